r"""Rényi divergences and the closed forms that follow from them.

.. math::
    D_\alpha(p \| q) = \frac{1}{\alpha - 1}\log\int p^\alpha q^{1 - \alpha},

with :math:`D_1 = KL`, Bhattacharyya distance :math:`B = -\log\int\sqrt{pq} = D_{1/2}/2`,
squared Hellinger distance :math:`H^2 = 1 - e^{-B}` and Pearson's
:math:`\chi^2 = e^{D_2} - 1`. Exponential families go through their log-normaliser
(:func:`exponential_family_renyi`), uniform laws through their overlap.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

import gmath.densities as gd
from gmath._numerics import betainc, float_dtype, gammaincc, matmul, ndtr
from gmath.densities import Distribution
from gmath.divergences._gaussian import (
    GAUSSIAN_CLASSES,
    _bcast_batch,
    _tril,
    as_gaussian,
    is_gaussian,
)
from gmath.divergences._kl import (
    categorical_bregman,
    dirichlet_bregman,
    gamma_bregman,
    geometric_bregman,
    geometric_delta,
    log_mass_outside,
    pair_log_weights,
    poisson_bregman,
    von_mises_bregman,
    von_mises_natural,
)
from gmath.divergences._kl_registry import has_kl, kl
from gmath.divergences._params import (
    bernoulli_log_probs,
    bernoulli_logits,
    categorical_log_probs,
    check_alpha,
    check_distribution,
    check_pair,
    check_same_categories,
    common_dtype,
    expm1_minus,
    finish,
    log1p_minus,
    log_ratio,
    nonnegative,
    params,
)
from gmath.divergences._registry import Registry

__all__ = [
    "RENYI",
    "TV",
    "bhattacharyya",
    "chi_squared",
    "hellinger_squared",
    "register_renyi",
    "register_total_variation",
    "renyi",
    "total_variation",
]

RENYI = Registry("renyi")
TV = Registry("total_variation")


def register_renyi(type_p, type_q) -> Callable[[Callable], Callable]:
    r"""Decorator registering ``fn(p, q, alpha)`` as the closed form of :math:`D_\alpha(p \| q)`.

    The mechanism of :func:`register_kl`: keyed by the pair of classes, subclasses included.
    :func:`renyi` calls ``fn`` with ``alpha`` already an array of the records' dtype (NaN where
    invalid) and handles the rest: the value at :math:`\alpha = 1` is :func:`kl` where a KL is
    registered for the pair, and for gmath records exactly 0 between equal parameters and NaN
    for invalid ones. :func:`bhattacharyya`, :func:`hellinger_squared` and :func:`chi_squared`
    follow from it.

    Args:
      type_p, type_q: the classes (or names of gmath families).

    Returns:
      The decorator; it returns ``fn`` unchanged.

    Examples:
      >>> import jax.numpy as jnp
      >>> import gmath.divergences as gv
      >>> class Coin:  # a user's record: heads with probability h
      ...     batch_shape = ()
      ...     def __init__(self, h):
      ...         self.h = h
      >>> @gv.register_renyi(Coin, Coin)
      ... def _renyi_coin(p, q, alpha):
      ...     total = p.h**alpha * q.h ** (1 - alpha) + (1 - p.h) ** alpha * (1 - q.h) ** (1 - alpha)
      ...     return jnp.log(total) / (alpha - 1)
      >>> round(float(gv.renyi(Coin(0.5), Coin(0.25), 2.0)), 6)  # log(1 + 1/3)
      0.287682
    """
    return RENYI.register(type_p, type_q)


def register_total_variation(type_p, type_q) -> Callable[[Callable], Callable]:
    r"""Decorator registering ``fn(p, q)`` as the closed form of :math:`TV(p, q)`.

    The mechanism of :func:`register_kl`: keyed by the pair of classes, subclasses included.

    Args:
      type_p, type_q: the classes (or names of gmath families).

    Returns:
      The decorator; it returns ``fn`` unchanged.
    """
    return TV.register(type_p, type_q)


def _no_closed_form(where, p, q, hint):
    return NotImplementedError(
        f"{where}: no closed form for ({type(p).__qualname__}, {type(q).__qualname__}). {hint}"
    )


def _uniform_renyi(p, q, alpha):
    dt = common_dtype(p, q)
    lp, hp, lq, hq = params(dt, p.low, p.high, q.low, q.high)
    overlap = jnp.maximum(jnp.minimum(hp, hq) - jnp.maximum(lp, lq), 0.0)
    len_p, len_q = hp - lp, hq - lq
    nested = (lq <= lp) & (hp <= hq)
    not_one = alpha != 1
    a = jnp.where(not_one, alpha, 0.5)
    safe_overlap = jnp.where(overlap > 0, overlap, 1.0)
    log_integral = jnp.log(safe_overlap) - a * jnp.log(len_p) + (a - 1) * jnp.log(len_q)
    value = log_integral / (a - 1)
    finite = jnp.where(a > 1, nested, overlap > 0)
    value = jnp.where(finite, nonnegative(value), jnp.inf)
    return jnp.where(not_one, value, kl(p, q))


# ---------------------------------------------------------------------------- the Bregman route
def _bregman_renyi(kl_fn, t2, delta, alpha, in_domain=None, event_ndims=0, t1=None):
    r"""Rényi divergence of order :math:`\alpha \ne 1` within an exponential family, from the
    KL between members.

    With natural (or affine) coordinates :math:`\theta_q`, :math:`\Delta = \theta_p - \theta_q`
    and the geometric mixture :math:`p_\alpha \propto p^\alpha q^{1 - \alpha}`, of coordinates
    :math:`\theta_\alpha = \theta_q + \alpha\Delta`,

    .. math::
        D_\alpha(p \| q) = \frac{\alpha}{1 - \alpha} KL(p_\alpha \| p) + KL(p_\alpha \| q)

    (van Erven and Harremoës 2014, Theorem 30; it is the Bregman identity
    :math:`(1 - \alpha) D_\alpha = \alpha B_A(\theta_p, \theta_\alpha) + (1 - \alpha)
    B_A(\theta_q, \theta_\alpha)` for the log-normaliser A). Both KLs are evaluated from
    the coordinate differences :math:`(1 - \alpha)\Delta` and :math:`-\alpha\Delta`, so the value
    keeps its relative accuracy for nearby laws and for :math:`\alpha` near 0 or 1 (no division
    of a cancelled difference by :math:`\alpha - 1`), and is exactly 0 for equal parameters.
    ``kl_fn(theta, d, target)`` is :math:`KL(p_\theta \| p_{\theta + d})` on tuples of
    coordinates, ``target`` the exact :math:`\theta + d` (``t1`` or ``t2``; ``t1`` may be
    omitted, and is then ``None``).
    """

    def ex(x, like):
        return x.reshape(x.shape + (1,) * event_ndims) if like.ndim > x.ndim else x

    a = jnp.where((alpha == 1) | jnp.isnan(alpha), 0.5, alpha)
    t_alpha = tuple(t + ex(a, d) * d for t, d in zip(t2, delta, strict=True))
    valid = jnp.asarray(True) if in_domain is None else in_domain(*t_alpha)
    t_alpha = tuple(jnp.where(ex(valid, ta), ta, t) for ta, t in zip(t_alpha, t2, strict=True))
    first = kl_fn(t_alpha, tuple(ex(1 - a, d) * d for d in delta), t1)
    second = kl_fn(t_alpha, tuple(-ex(a, d) * d for d in delta), t2)
    value = nonnegative(a / (1 - a) * first + second)
    # both terms beyond the dtype's range (alpha > 1, e^D overflowing): the divergence too
    value = jnp.where(jnp.isinf(first) & jnp.isinf(second), jnp.inf, value)
    return jnp.where(valid, value, jnp.inf)


def _broadcast(alpha, *arrays, event_ndims=0):
    batch = jnp.broadcast_shapes(alpha.shape, *[x.shape[: x.ndim - event_ndims] for x in arrays])
    alpha = jnp.broadcast_to(alpha, batch)
    return alpha, [jnp.broadcast_to(x, batch + x.shape[x.ndim - event_ndims :]) for x in arrays]


def _gamma_renyi(p, q, alpha):
    dt = common_dtype(p, q)

    def shape_rate(d):
        if isinstance(d, gd.Exponential):
            rate = params(dt, d.rate)
            return jnp.ones_like(rate), rate
        return params(dt, d.concentration, d.rate)

    (ap, bp), (aq, bq) = shape_rate(p), shape_rate(q)
    alpha, (ap, bp, aq, bq) = _broadcast(alpha, ap, bp, aq, bq)
    return _bregman_renyi(
        lambda t, d, y: gamma_bregman(t[0], t[1], d[0], d[1], y[0], y[1]),
        (aq, bq),
        (ap - aq, bp - bq),
        alpha,
        lambda a, b: (a > 0) & (b > 0),
        t1=(ap, bp),
    )


def _dirichlet_renyi(ap, aq, alpha):
    alpha, (ap, aq) = _broadcast(alpha, ap, aq, event_ndims=1)
    return _bregman_renyi(
        lambda t, d, y: dirichlet_bregman(t[0], d[0]),
        (aq,),
        (ap - aq,),
        alpha,
        lambda a: jnp.all(a > 0, -1),
        event_ndims=1,
    )


def _poisson_renyi(p, q, alpha):
    r"""Poisson: log-rate coordinates; a point mass (rate 0) by the definition."""
    dt = common_dtype(p, q)
    rp, rq = params(dt, p.rate, q.rate)
    alpha, (rp, rq) = _broadcast(alpha, rp, rq)
    regular = (rp > 0) & (rq > 0)
    rps, rqs = jnp.where(regular, rp, 1.0), jnp.where(regular, rq, 1.0)
    value = _bregman_renyi(
        lambda t, d, y: poisson_bregman(t[0], d[0]), (jnp.log(rqs),), (log_ratio(rqs, rps),), alpha
    )
    # p = delta_0: -log q(0) = rate_q; q = delta_0 (p not): sum p(0)^a = e^(-a rate_p)
    a = jnp.where(alpha < 1, alpha, 0.0)
    to_point = jnp.where(alpha < 1, a / (1 - a) * rp, jnp.inf)
    return jnp.where(regular, value, jnp.where(rp == 0, rq, to_point))


def _geometric_renyi(p, q, alpha):
    r"""Geometric: coordinate :math:`\log(1 - p)`; the point mass p = 1 by the definition."""
    dt = common_dtype(p, q)
    lp1, lp0 = bernoulli_log_probs(p, dt)
    lq1, lq0 = bernoulli_log_probs(q, dt)
    alpha, (lp1, lp0, lq1, lq0) = _broadcast(alpha, lp1, lp0, lq1, lq0)
    point_p, point_q = lp0 == -jnp.inf, lq0 == -jnp.inf
    regular = ~point_p & ~point_q
    fq = jnp.where(regular, lq0, -1.0)
    delta = jnp.where(regular, -geometric_delta(p, q, dt, lp0, lq0), 0.0)
    fp = jnp.where(regular, lp0, -1.0)
    value = _bregman_renyi(
        lambda t, d, y: geometric_bregman(t[0], d[0], y[0]),
        (fq,),
        (delta,),
        alpha,
        lambda f: f < 0,
        t1=(fp,),
    )
    a = jnp.where(alpha < 1, alpha, 0.0)
    to_point = jnp.where(alpha < 1, -a / (1 - a) * lp1, jnp.inf)
    return jnp.where(regular, value, jnp.where(point_p, -lq1, to_point))


def _categorical_renyi(a, b, alpha, d=None):
    r"""Categorical laws of log-weights ``a``, ``b`` (last axis, :math:`-\infty` allowed).

    On the common support T the Bregman route applies to the conditioned laws; then
    :math:`D_\alpha = D_\alpha(p_T \| q_T) - \frac{\alpha}{1 - \alpha}\log P(T) - \log Q(T)`,
    :math:`+\infty` for :math:`\alpha \ge 1` when :math:`P(T) < 1`. ``d``: :math:`b - a`
    computed accurately, if available.
    """
    if d is None:
        d = b - jnp.where(a > -jnp.inf, a, 0.0)
    alpha, (a, b, d) = _broadcast(alpha, a, b, d, event_ndims=1)
    on_p, on_q = a > -jnp.inf, b > -jnp.inf
    common = on_p & on_q
    empty = ~jnp.any(common, -1)
    t = common & ~empty[..., None] | (empty[..., None] & (jnp.arange(a.shape[-1]) == 0))
    b_t = jnp.where(t, jnp.where(common, b, 0.0), -jnp.inf)
    delta = jnp.where(t & common, -d, 0.0)
    inside = _bregman_renyi(
        lambda th, d, y: categorical_bregman(th[0], d[0]),
        (b_t,),
        (delta,),
        alpha,
        event_ndims=1,
    )
    minus_log_p = log_mass_outside(common, a)  # -log P(T)
    minus_log_q = log_mass_outside(common, b)  # -log Q(T)
    al = jnp.where(alpha < 1, alpha, 0.0)
    p_term = jnp.where(minus_log_p == 0, 0.0, al / (1 - al) * minus_log_p)
    value = jnp.where(empty, 0.0, inside) + p_term + minus_log_q
    return jnp.where((alpha >= 1) & (minus_log_p > 0), jnp.inf, value)


def _bernoulli_renyi(p, q, alpha):
    a, b, d = pair_log_weights(p, q, common_dtype(p, q))
    return _categorical_renyi(a, b, alpha, d)


def _binomial_renyi(p, q, alpha):
    dt = common_dtype(p, q)
    n_p, n_q = params(dt, p.total_count, q.total_count)
    per_trial = _bernoulli_renyi(p, q, alpha)
    return jnp.where(n_p == n_q, jnp.where(n_p == 0, 0.0, n_p * per_trial), jnp.nan)


def _log_mix(beta, comp, g):
    r""":math:`\log(1 + \beta(e^g - 1)) = \log(c + \beta e^g)`, :math:`c = 1 - \beta` given
    separately (exact: not recomputed from a rounded :math:`\beta`), and where it is defined
    (the argument positive), without overflow for large g."""
    lim = 0.5 * math.log(jnp.finfo(g.dtype).max)
    mid = (g >= -1) & (g < lim)
    low = g < -1
    gm = jnp.where(mid, g, 0.0)
    x = beta * jnp.expm1(gm)
    gs = jnp.where(low, g, -1.0)
    y_low = comp + beta * jnp.exp(gs)
    gl = jnp.where(mid | low, lim, g)
    y_high = beta + comp * jnp.exp(-gl)
    ok = jnp.where(mid, x > -1, jnp.where(low, y_low > 0, y_high > 0))
    v_mid = jnp.log1p(jnp.where(mid & ok, x, 0.0))
    v_low = jnp.log(jnp.where(low & ok, y_low, 1.0))
    v_high = gl + jnp.log(jnp.where(~mid & ~low & ok, y_high, 1.0))
    return jnp.where(mid, v_mid, jnp.where(low, v_low, v_high)), ok


def _scale_renyi(sp, sq, alpha):
    r"""Rényi divergence between centred normals of scales ``sp``, ``sq`` (the scale part of the
    normal one; also half-normals), by the Bregman route in the precision :math:`\pi = 1/\sigma^2`,
    with :math:`g = \log(\pi_p/\pi_q)`:
    :math:`\log(\pi_\alpha/\pi_q) = \log(1 + \alpha(e^g - 1))`,
    :math:`\log(\pi_\alpha/\pi_p) = \log(1 + (1 - \alpha)(e^{-g} - 1))` and
    :math:`KL = \tfrac12(e^t - 1 - t)` at :math:`t` the log-ratio of precisions.
    Returns (value, :math:`\log(\pi_\alpha/\pi_p)`, valid)."""
    a = jnp.where((alpha == 1) | jnp.isnan(alpha), 0.5, alpha)
    g = 2 * log_ratio(sp, sq)
    log_aq, ok_q = _log_mix(a, 1 - a, g)
    log_ap, ok_p = _log_mix(1 - a, a, -g)
    valid = ok_q & ok_p
    log_aq = jnp.where(valid, log_aq, 0.0)
    log_ap = jnp.where(valid, log_ap, 0.0)
    value = 0.5 * (a / (1 - a) * expm1_minus(-log_ap) + expm1_minus(-log_aq))
    return nonnegative(value), log_ap, valid


def _normal_renyi(p, q, alpha):
    r"""Normals (Gil et al. 2013):
    :math:`D_\alpha = D_\alpha^{\text{scale}} + \frac{\alpha(\mu_p - \mu_q)^2}{2\sigma_\alpha^2}`,
    :math:`\sigma_\alpha^2 = \alpha\sigma_q^2 + (1 - \alpha)\sigma_p^2 > 0` (else
    :math:`+\infty`), with :math:`\sigma_\alpha^2/\sigma_q^2 = \pi_\alpha/\pi_p` and the scale
    part from :func:`_scale_renyi`."""
    dt = common_dtype(p, q)
    m1, s1, m2, s2 = params(dt, p.loc, p.scale, q.loc, q.scale)
    alpha, (m1, s1, m2, s2) = _broadcast(alpha, m1, s1, m2, s2)
    scale, log_ap, valid = _scale_renyi(s1, s2, alpha)
    a = jnp.where((alpha == 1) | jnp.isnan(alpha), 0.5, alpha)
    z = (m1 - m2) / s2 * jnp.exp(-0.5 * log_ap)
    value = scale + 0.5 * a * z * z
    return jnp.where(valid, value, jnp.inf)


def _halfnormal_renyi(p, q, alpha):
    dt = common_dtype(p, q)
    sp, sq = params(dt, p.scale, q.scale)
    alpha, (sp, sq) = _broadcast(alpha, sp, sq)
    value, _, valid = _scale_renyi(sp, sq, alpha)
    return jnp.where(valid, value, jnp.inf)


def _beta_renyi(p, q, alpha):
    dt = common_dtype(p, q)
    a1, b1, a2, b2 = params(
        dt, p.concentration1, p.concentration0, q.concentration1, q.concentration0
    )
    a1, b1, a2, b2 = jnp.broadcast_arrays(a1, b1, a2, b2)
    return _dirichlet_renyi(jnp.stack([a1, b1], -1), jnp.stack([a2, b2], -1), alpha)


def _dirichlet_pair_renyi(p, q, alpha):
    dt = common_dtype(p, q)
    ap, aq = params(dt, p.concentration, q.concentration)
    if ap.shape[-1] != aq.shape[-1]:
        raise ValueError(
            f"renyi: Dirichlet concentrations of sizes {ap.shape[-1]} and {aq.shape[-1]} (p and "
            "q must have the same number of categories)."
        )
    return _dirichlet_renyi(ap, aq, alpha)


def _categorical_pair_renyi(p, q, alpha):
    dt = common_dtype(p, q)
    a, b, d = pair_log_weights(p, q, dt)
    check_same_categories("renyi", a.shape[-1], b.shape[-1])
    return _categorical_renyi(a, b, alpha, d)


def _diag_gaussian_renyi(p, q, alpha):
    r"""Diagonal covariances: the law is a product, and :math:`D_\alpha` the sum of the
    univariate normal ones (:func:`_normal_renyi`'s form, coordinate by coordinate)."""
    dt = common_dtype(p, q)
    gp, gq = as_gaussian(p, dt), as_gaussian(q, dt)
    if gp.dim != gq.dim:
        raise ValueError(
            f"renyi: multivariate normals of different dimensions {gp.dim} and {gq.dim}."
        )
    m1, s1, m2, s2 = jnp.broadcast_arrays(gp.loc, gp.scale, gq.loc, gq.scale)
    a = alpha[..., None]
    scale, log_ap, valid = _scale_renyi(s1, s2, a)
    a_s = jnp.where((a == 1) | jnp.isnan(a), 0.5, a)
    z = (m1 - m2) / s2 * jnp.exp(-0.5 * log_ap)
    value = jnp.where(valid, scale + 0.5 * a_s * z * z, jnp.inf)
    return jnp.sum(value, -1)


def _precision(g):
    if g.kind == "tril":
        eye = jnp.broadcast_to(jnp.eye(g.dim, dtype=g.tril.dtype), g.tril.shape)
        inv = jax.lax.linalg.triangular_solve(g.tril, eye, left_side=True, lower=True)
        return matmul(jnp.swapaxes(inv, -1, -2), inv)
    return g.precision()


def _power_of_2_scale(x):
    """The power of 2 nearest each positive ``x`` (1 where ``x`` is not finite and positive), as
    a constant: dividing by it is exact and carries no derivative."""
    e = jnp.round(jnp.log2(jnp.where(jnp.isfinite(x) & (x > 0), x, 1.0)))
    return jax.lax.stop_gradient(jnp.exp2(e).astype(x.dtype))


def _gaussian_renyi(p, q, alpha):
    r"""Multivariate normals (any parameterisation) by the same route, in closed form.

    With :math:`\Lambda` the precisions, :math:`\Lambda_d = \Lambda_p - \Lambda_q`,
    :math:`\Lambda_\alpha = \Lambda_q + \alpha\Lambda_d = L L^\top` (else :math:`+\infty`),
    :math:`\kappa` the eigenvalues of :math:`L^{-1}\Lambda_d L^{-\top}` and
    :math:`\delta = \mu_p - \mu_q`: :math:`\mu_\alpha - \mu_p = -(1 - \alpha)\Sigma_\alpha
    \Lambda_q\delta`, :math:`\mu_\alpha - \mu_q = \alpha\Sigma_\alpha\Lambda_p\delta`, and

    .. math::
        KL(p_\alpha \| p) = \tfrac12\sum_i \phi((1 - \alpha)\kappa_i)
            + \tfrac12 (\mu_\alpha - \mu_p)^\top\Lambda_p(\mu_\alpha - \mu_p),
        \quad \phi(x) = x - \log(1 + x) \ge 0,

    likewise :math:`KL(p_\alpha \| q)` with :math:`\phi(-\alpha\kappa_i)`: the factor
    :math:`1 - \alpha` multiplies exactly, so :math:`\alpha` near 1 costs no accuracy."""
    dt = common_dtype(p, q)
    gp, gq = as_gaussian(p, dt), as_gaussian(q, dt)
    if gp.dim != gq.dim:
        raise ValueError(
            f"renyi: multivariate normals of different dimensions {gp.dim} and {gq.dim}."
        )
    delta = gp.loc - gq.loc
    if {gp.kind, gq.kind} <= {"tril", "diag"}:
        # Lambda_p - Lambda_q = A^T E + E^T B, A = L_p^-1, B = L_q^-1, E = A - B =
        # -A (L_p - L_q) B: from the exact difference of the factors. Coordinate i is first
        # divided by s_i, the power of 2 nearest L_q's diagonal entry (exact; D_alpha is
        # invariant), so that no precision overflows (float32 scales of 1e-30: 1e60); both
        # inverses come from one batched solve (no two independent LAPACK calls, which can
        # deadlock jaxlib 0.10.2 on CPU)
        lp, lq = _bcast_batch(_tril(gp), _tril(gq), 2, 2)
        s = _power_of_2_scale(jnp.diagonal(lq, axis1=-2, axis2=-1))
        lp, lq = lp / s[..., :, None], lq / s[..., :, None]
        delta = delta / s
        eye = jnp.broadcast_to(jnp.eye(gp.dim, dtype=dt), lp.shape)
        inv = jax.lax.linalg.triangular_solve(
            jnp.stack([lp, lq]), jnp.stack([eye, eye]), left_side=True, lower=True
        )
        inv_p, inv_q = inv[0], inv[1]
        e = -matmul(inv_p, matmul(lp - lq, inv_q))
        lam_p = matmul(jnp.swapaxes(inv_p, -1, -2), inv_p)
        lam_q = matmul(jnp.swapaxes(inv_q, -1, -2), inv_q)
        lam_d = matmul(jnp.swapaxes(inv_p, -1, -2), e) + matmul(jnp.swapaxes(e, -1, -2), inv_q)
    else:
        lam_p, lam_q = _precision(gp), _precision(gq)
        lam_d = None
    batch = jnp.broadcast_shapes(alpha.shape, lam_p.shape[:-2], lam_q.shape[:-2], delta.shape[:-1])
    a = jnp.where((alpha == 1) | jnp.isnan(alpha), 0.5, alpha)
    a = jnp.broadcast_to(a, batch)
    lam_p = jnp.broadcast_to(lam_p, batch + lam_p.shape[-2:])
    lam_q = jnp.broadcast_to(lam_q, batch + lam_q.shape[-2:])
    delta = jnp.broadcast_to(delta, batch + delta.shape[-1:])
    lam_d = lam_p - lam_q if lam_d is None else jnp.broadcast_to(lam_d, lam_p.shape)
    lam = lam_q + a[..., None, None] * lam_d
    chol = jnp.linalg.cholesky(0.5 * (lam + jnp.swapaxes(lam, -1, -2)))
    valid = jnp.all(jnp.isfinite(chol), (-2, -1)) & jnp.all(
        jnp.diagonal(chol, axis1=-2, axis2=-1) > 0, -1
    )
    eye = jnp.broadcast_to(jnp.eye(gp.dim, dtype=dt), chol.shape)
    chol = jnp.where(valid[..., None, None], chol, eye)
    solve = lambda x: jax.lax.linalg.triangular_solve(chol, x, left_side=True, lower=True)
    half = solve(jnp.swapaxes(solve(lam_d), -1, -2))  # L^-1 lam_d L^-T
    kappa = jnp.linalg.eigvalsh(0.5 * (half + jnp.swapaxes(half, -1, -2)))

    # Sigma_alpha x = L^-T L^-1 x; the quadratic forms below use y = L^-1 x
    def sigma(x):
        y = solve(x[..., None])
        return jax.lax.linalg.triangular_solve(
            chol, y, left_side=True, lower=True, transpose_a=True
        )[..., 0]

    v = sigma(matmul(lam_q, delta[..., None])[..., 0])  # (mu_p - mu_alpha) / (1 - alpha)
    w = sigma(matmul(lam_p, delta[..., None])[..., 0])  # (mu_alpha - mu_q) / alpha
    quad = lambda m, x: jnp.sum(x * matmul(m, x[..., None])[..., 0], -1)
    phi = lambda x: -log1p_minus(x)
    b = a[..., None]
    scale = jnp.sum(a[..., None] / (1 - b) * phi((1 - b) * kappa) + phi(-b * kappa), -1)
    mean = a * (1 - a) * quad(lam_p, v) + a * a * quad(lam_q, w)
    value = nonnegative(0.5 * (scale + mean))
    return jnp.where(valid, value, jnp.inf)


def _gaussians_renyi(p, q, alpha):
    if not (is_gaussian(p) and is_gaussian(q)):
        raise _no_closed_form(
            "renyi",
            p,
            q,
            "Independent records are multivariate normals only "
            "over a Normal with one reinterpreted dimension.",
        )
    if as_gaussian(p).kind == as_gaussian(q).kind == "diag":
        return _diag_gaussian_renyi(p, q, alpha)
    return _gaussian_renyi(p, q, alpha)


def _von_mises_renyi(p, q, alpha):
    r"""VonMises by the Bregman route (:func:`_bregman_renyi`) in the natural parameters
    :math:`\kappa(\cos\mu, \sin\mu)`, with :func:`von_mises_bregman` and the exact
    difference of :func:`von_mises_natural`: exactly 0 between identical laws, with the formula's
    derivatives (the gradient exactly 0 there, the Hessian :math:`\alpha` times the Fisher
    information), and no division by :math:`\alpha - 1`."""
    dt = common_dtype(p, q)
    mp, kp, mq, kq = params(dt, p.loc, p.concentration, q.loc, q.concentration)
    alpha, (mp, kp, mq, kq) = _broadcast(alpha, mp, kp, mq, kq)
    theta_p, theta_q, delta = von_mises_natural(mp, kp, mq, kq)
    return _bregman_renyi(
        lambda t, d, y: von_mises_bregman(t[0], d[0]),
        (theta_q,),
        (delta,),
        alpha,
        event_ndims=1,
        t1=(theta_p,),
    )


for _pair, _fn in (
    ((gd.Normal, gd.Normal), _normal_renyi),
    ((gd.LogNormal, gd.LogNormal), _normal_renyi),
    ((gd.HalfNormal, gd.HalfNormal), _halfnormal_renyi),
    ((gd.Gamma, gd.Gamma), _gamma_renyi),
    ((gd.Gamma, gd.Exponential), _gamma_renyi),
    ((gd.Exponential, gd.Gamma), _gamma_renyi),
    ((gd.Exponential, gd.Exponential), _gamma_renyi),
    ((gd.Beta, gd.Beta), _beta_renyi),
    ((gd.Dirichlet, gd.Dirichlet), _dirichlet_pair_renyi),
    ((gd.Poisson, gd.Poisson), _poisson_renyi),
    ((gd.Geometric, gd.Geometric), _geometric_renyi),
    ((gd.Bernoulli, gd.Bernoulli), _bernoulli_renyi),
    ((gd.Binomial, gd.Binomial), _binomial_renyi),
    ((gd.Categorical, gd.Categorical), _categorical_pair_renyi),
    ((gd.Uniform, gd.Uniform), _uniform_renyi),
    ((gd.VonMises, gd.VonMises), _von_mises_renyi),
    *(((a, b), _gaussians_renyi) for a in GAUSSIAN_CLASSES for b in GAUSSIAN_CLASSES),
):
    RENYI.register(*_pair)(_fn)


def renyi(p: Distribution, q: Distribution, alpha: ArrayLike) -> jax.Array:
    r"""Rényi divergence of order :math:`\alpha` in closed form.

    .. math::
        D_\alpha(p \| q) = \frac{1}{\alpha - 1}\log\int p(x)^\alpha q(x)^{1 - \alpha}\,dx.

    Exponential families (Normal, LogNormal, HalfNormal, Exponential, Gamma, Beta, Dirichlet,
    Bernoulli, Binomial with equal ``total_count``, Categorical, Poisson, Geometric, VonMises,
    multivariate normals in any parameterisation) have

    .. math::
        D_\alpha = \frac{A(\alpha\theta_p + (1-\alpha)\theta_q) - \alpha A(\theta_p)
            - (1 - \alpha) A(\theta_q)}{\alpha - 1}
            = \frac{\alpha}{1 - \alpha} KL(p_\alpha \| p) + KL(p_\alpha \| q),

    :math:`p_\alpha \propto p^\alpha q^{1 - \alpha}` the member of natural parameter
    :math:`\alpha\theta_p + (1 - \alpha)\theta_q`, :math:`+\infty` where that parameter leaves
    the natural domain (for Gaussians, :math:`\alpha\sigma_q^2 + (1 - \alpha)\sigma_p^2 \le 0`).
    The right-hand form (van Erven and Harremoës 2014, Theorem 30) is what is evaluated for all
    the univariate families, Dirichlet and Categorical, with the accurate KLs of :func:`kl`: the
    result keeps its relative accuracy for nearby laws and near :math:`\alpha = 0` and
    :math:`\alpha = 1`, is exactly 0 between equal laws and never negative. Degenerate members
    (probabilities 0 or 1, Poisson rate 0, categories of probability 0) follow the definition:
    a category outside the support of q gives :math:`+\infty` for :math:`\alpha \ge 1`.
    Multivariate normals take the same form (with :math:`p_\alpha` from the precisions, so
    nearby laws keep the accuracy their conditioning allows); Uniforms use their overlap;
    VonMises uses the log-normaliser form.

    :math:`\alpha = 1` gives :func:`kl`; :math:`\alpha = 0` gives
    :math:`-\log Q(\operatorname{supp} p)`. :math:`D_\alpha` is non-decreasing in
    :math:`\alpha`; :math:`D_{1/2} = 2 B` (Bhattacharyya), :math:`D_2 = \log(1 + \chi^2)`.

    Args:
      p, q: records of one exponential family, or two Uniforms; batch shapes broadcast.
      alpha: order :math:`\alpha \in [0, \infty)` (array, broadcasting with the batch shape);
        outside (negative, infinite, NaN) the result is NaN, and with
        ``gmath.config.checks(True)`` an ``InvalidParameterError`` is raised (also when traced).

    Returns:
      Array of shape ``broadcast(p.batch_shape, q.batch_shape, shape(alpha))``; NaN where a
      record's parameters are invalid.

    Raises:
      TypeError: when ``p`` or ``q`` is not a gmath distribution (another library's record);
        the message names its type. :func:`bhattacharyya`, :func:`hellinger_squared`,
        :func:`chi_squared` and :func:`total_variation` do the same.
      NotImplementedError: for pairs without a closed form.
      ValueError: when the batch shapes do not broadcast, or the laws have different numbers
        of categories or dimensions.

    References:
      Rényi (1961). On measures of entropy and information [@renyi1961measures];
      Gil, Alajaji and Linder (2013). Rényi divergence measures for commonly used univariate
      continuous distributions [@gil2013renyi]; van Erven and Harremoës (2014). Rényi
      divergence and Kullback–Leibler divergence [@vanerven2014renyi].

    Examples:
      >>> from gmath.densities import Normal
      >>> import gmath.divergences as gv
      >>> round(float(gv.renyi(Normal(0.0, 1.0), Normal(1.0, 1.0), 2.0)), 6)  # alpha d^2 / 2
      1.0
    """
    return _renyi("renyi", p, q, alpha)


def _renyi(where, p, q, alpha):
    shape = check_pair(where, p, q, foreign=True)
    fn = RENYI.lookup(p, q)
    if fn is None:
        check_distribution(where, p, "p")
        check_distribution(where, q, "q")
        raise _no_closed_form(
            where,
            p,
            q,
            "Closed forms exist within one exponential family and between Uniforms (register "
            "one with gmath.divergences.register_renyi); for a Monte Carlo estimate use "
            "gmath.divergences.f_divergence_estimate with generators.amari_alpha(alpha).",
        )
    gmath_pair = isinstance(p, Distribution) and isinstance(q, Distribution)
    dt = common_dtype(p, q) if gmath_pair else float_dtype(alpha)
    alpha = check_alpha(where, alpha, dt)
    value = jnp.asarray(fn(p, q, alpha))
    if has_kl(p, q):
        try:
            closed = kl(p, q)  # at alpha = 1, the hand-written KL
        except NotImplementedError:
            closed = None
        if closed is not None:
            value = jnp.where(alpha == 1, closed, value)
    value = jnp.where(jnp.isnan(alpha), jnp.nan, value)
    out_shape = jnp.broadcast_shapes(shape, alpha.shape)
    if gmath_pair:
        return finish(p, q, value, out_shape)
    return jnp.broadcast_to(value, jnp.broadcast_shapes(value.shape, out_shape))


def bhattacharyya(p: Distribution, q: Distribution) -> jax.Array:
    r"""Bhattacharyya distance :math:`B(p, q) = -\log\int\sqrt{p q} = \tfrac12 D_{1/2}(p \| q)`.

    Gaussians (Bhattacharyya 1943):
    :math:`\tfrac14\frac{(\mu_p - \mu_q)^2}{\sigma_p^2 + \sigma_q^2}
    + \tfrac12\log\frac{\sigma_p^2 + \sigma_q^2}{2\sigma_p\sigma_q}`.

    Args:
      p, q: as in :func:`renyi`.

    Returns:
      Array of the broadcast batch shape.

    References:
      Bhattacharyya (1943). On a measure of divergence between two statistical populations
      [@bhattacharyya1943measure].

    Examples:
      >>> from gmath.densities import Normal
      >>> import gmath.divergences as gv
      >>> round(float(gv.bhattacharyya(Normal(0.0, 1.0), Normal(2.0, 1.0))), 6)
      0.5
    """
    return 0.5 * _renyi("bhattacharyya", p, q, 0.5)


def hellinger_squared(p: Distribution, q: Distribution) -> jax.Array:
    r"""Squared Hellinger distance :math:`H^2 = \tfrac12\int(\sqrt p - \sqrt q)^2 = 1 - BC`.

    With this convention :math:`0 \le H^2 \le 1`, and
    ``f_divergence(p, q, generators.squared_hellinger)`` agrees. Computed as
    :math:`-\operatorname{expm1}(-B)` from the Bhattacharyya distance :math:`B`.

    Args:
      p, q: as in :func:`renyi`.

    Returns:
      Array of the broadcast batch shape.

    References:
      Hellinger (1909); Gil, Alajaji and Linder (2013) [@gil2013renyi].

    Examples:
      >>> from gmath.densities import Normal
      >>> import gmath.divergences as gv
      >>> round(float(gv.hellinger_squared(Normal(0.0, 1.0), Normal(0.0, 1.0))), 6)
      0.0
    """
    return -jnp.expm1(-0.5 * _renyi("hellinger_squared", p, q, 0.5))


def chi_squared(p: Distribution, q: Distribution) -> jax.Array:
    r"""Pearson :math:`\chi^2(p \| q) = \int (p - q)^2 / q = e^{D_2(p \| q)} - 1`.

    ``+inf`` when the integral diverges (for Gaussians, :math:`2\sigma_q^2 \le \sigma_p^2`).

    Args:
      p, q: as in :func:`renyi`.

    Returns:
      Array of the broadcast batch shape.

    References:
      Nielsen and Nock (2014). On the chi square and higher-order chi distances for
      approximating f-divergences [@nielsen2014chi].

    Examples:
      >>> from gmath.densities import Normal
      >>> import gmath.divergences as gv
      >>> round(float(gv.chi_squared(Normal(0.0, 1.0), Normal(1.0, 1.0))), 6)  # e - 1
      1.718282
    """
    return jnp.expm1(_renyi("chi_squared", p, q, 2.0))


# ---------------------------------------------------------------------------- total variation
def _tv_normal(p, q):
    dt = common_dtype(p, q)
    m1, s1, m2, s2 = params(dt, p.loc, p.scale, q.loc, q.scale)
    # log p - log q = a x^2 + b x + c; roots bound the set {p > q} (or its complement).
    a = 0.5 / (s2 * s2) - 0.5 / (s1 * s1)
    b = m1 / (s1 * s1) - m2 / (s2 * s2)
    c = 0.5 * (m2 / s2) ** 2 - 0.5 * (m1 / s1) ** 2 + jnp.log(s2) - jnp.log(s1)
    disc = jnp.sqrt(jnp.maximum(b * b - 4 * a * c, 0.0))
    qq = -0.5 * (b + jnp.where(b >= 0, disc, -disc))
    degenerate = qq == 0  # identical laws
    qs = jnp.where(degenerate, 1.0, qq)
    r1 = qs / jnp.where(a == 0, 1.0, a)
    r1 = jnp.where(a == 0, jnp.where(qs > 0, jnp.inf, -jnp.inf), r1)
    r2 = c / qs
    lo, hi = jnp.minimum(r1, r2), jnp.maximum(r1, r2)
    mass = lambda m, s: ndtr((hi - m) / s) - ndtr((lo - m) / s)
    return jnp.where(degenerate, 0.0, jnp.abs(mass(m1, s1) - mass(m2, s2)))


def _tv_uniform(p, q):
    dt = common_dtype(p, q)
    lp, hp, lq, hq = params(dt, p.low, p.high, q.low, q.high)
    overlap = jnp.maximum(jnp.minimum(hp, hq) - jnp.maximum(lp, lq), 0.0)
    return 1 - overlap / jnp.maximum(hp - lp, hq - lq)


def _tv_exponential(p, q):
    dt = common_dtype(p, q)
    r1, r2 = params(dt, p.rate, q.rate)
    same = r1 == r2
    x = (jnp.log(r1) - jnp.log(r2)) / jnp.where(same, 1.0, r1 - r2)
    return jnp.where(same, 0.0, jnp.abs(jnp.exp(-r2 * x) - jnp.exp(-r1 * x)))


def _tv_bernoulli(p, q):
    dt = common_dtype(p, q)
    lp, _ = bernoulli_log_probs(p, dt)
    lq, _ = bernoulli_log_probs(q, dt)
    return jnp.abs(jnp.exp(lp) - jnp.exp(lq))


def _tv_categorical(p, q):
    check_same_categories("total_variation", p.num_categories, q.num_categories)
    dt = common_dtype(p, q)
    pp = jnp.exp(categorical_log_probs(p, dt))
    qq = jnp.exp(categorical_log_probs(q, dt))
    return 0.5 * jnp.sum(jnp.abs(pp - qq), -1)


def _tv_poisson(p, q):
    dt = common_dtype(p, q)
    r1, r2 = params(dt, p.rate, q.rate)
    same = r1 == r2
    k = (r2 - r1) / jnp.where(same, 1.0, jnp.log(r2) - jnp.log(r1))
    m = jnp.floor(k)
    cdf = lambda r: gammaincc(m + 1, r)  # P(X <= m)
    return jnp.where(same, 0.0, jnp.abs(cdf(r1) - cdf(r2)))


def _tv_geometric(p, q):
    dt = common_dtype(p, q)
    l1, f1 = bernoulli_log_probs(p, dt)
    l2, f2 = bernoulli_log_probs(q, dt)
    same = l1 == l2
    k = (l1 - l2) / jnp.where(same, 1.0, f2 - f1)
    m = jnp.floor(k)
    cdf = lambda f: -jnp.expm1((m + 1) * f)  # P(failures <= m) = 1 - (1 - p)^(m + 1)
    return jnp.where(same, 0.0, jnp.abs(cdf(f1) - cdf(f2)))


def _tv_binomial(p, q):
    dt = common_dtype(p, q)
    n, n_q = params(dt, p.total_count, q.total_count)
    l1, l2 = bernoulli_logits(p, dt), bernoulli_logits(q, dt)
    same = l1 == l2
    sp = lambda l: jnp.logaddexp(l, 0.0)
    k = n * (sp(l1) - sp(l2)) / jnp.where(same, 1.0, l1 - l2)
    m = jnp.clip(jnp.floor(k), -1, n)
    inner = (m >= 0) & (m < n)
    ms = jnp.where(inner, m, 0.0)

    def cdf(l):  # P(X <= m) = I_{1-p}(n - m, m + 1)
        one_minus = jnp.exp(-sp(l))
        val = betainc(jnp.where(inner, n - ms, 1.0), ms + 1, one_minus)
        return jnp.where(inner, val, jnp.where(m < 0, 0.0, 1.0))

    tv = jnp.where(same, 0.0, jnp.abs(cdf(l1) - cdf(l2)))
    return jnp.where(n == n_q, tv, jnp.nan)


for _tv_cls, _tv_fn in (
    (gd.Normal, _tv_normal),
    (gd.Uniform, _tv_uniform),
    (gd.Exponential, _tv_exponential),
    (gd.Bernoulli, _tv_bernoulli),
    (gd.Categorical, _tv_categorical),
    (gd.Poisson, _tv_poisson),
    (gd.Geometric, _tv_geometric),
    (gd.Binomial, _tv_binomial),
):
    TV.register(_tv_cls, _tv_cls)(_tv_fn)


def total_variation(p: Distribution, q: Distribution) -> jax.Array:
    r"""Total variation distance :math:`TV(p, q) = \sup_A |P(A) - Q(A)| = \tfrac12\int|p - q|`.

    Exact for Normal (any scales: the set :math:`\{p > q\}` is an interval or its complement,
    bounded by the roots of :math:`\log p - \log q`; equal scales give
    :math:`\operatorname{erf}(|\mu_p - \mu_q| / (2\sqrt2\sigma))`), Uniform, Exponential,
    Bernoulli, Categorical, and the monotone-likelihood-ratio families Poisson, Geometric and
    Binomial (equal ``total_count``), where :math:`\{p > q\}` is a half-line of integers and
    the answer is a difference of CDFs. Bounds for other pairs: Pinsker
    :math:`TV \le \sqrt{KL/2}` and Bretagnolle–Huber :math:`TV \le \sqrt{1 - e^{-KL}}`.

    Args:
      p, q: records of the same family among those listed.

    Returns:
      Array of the broadcast batch shape, in [0, 1].

    References:
      Devroye, Mehrabian and Reddad (2018). The total variation distance between
      high-dimensional Gaussians [@devroye2018total].

    Examples:
      >>> from gmath.densities import Normal
      >>> import gmath.divergences as gv
      >>> round(float(gv.total_variation(Normal(0.0, 1.0), Normal(1.0, 1.0))), 6)
      0.382925
    """
    shape = check_pair("total_variation", p, q, foreign=True)
    fn = TV.lookup(p, q)
    if fn is None:
        check_distribution("total_variation", p, "p")
        check_distribution("total_variation", q, "q")
        pairs = ", ".join(f"({a}, {b})" for a, b in TV.names())
        raise _no_closed_form(
            "total_variation",
            p,
            q,
            f"Closed forms: {pairs} (or register one with "
            "gmath.divergences.register_total_variation). For a Monte Carlo estimate use "
            "gmath.divergences.f_divergence_estimate with generators.total_variation.",
        )
    out = jnp.asarray(fn(p, q))
    if isinstance(p, Distribution) and isinstance(q, Distribution):
        return finish(p, q, out, shape)
    return jnp.broadcast_to(out, jnp.broadcast_shapes(out.shape, shape))
