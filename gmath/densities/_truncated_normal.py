"""The truncated normal distribution."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gmath._numerics import (
    default_float,
    finite_positive,
    log1mexp,
    log_ndtr,
    log_ndtr_diff,
    log_ndtri,
    promote,
    standardize,
)
from gmath.densities._base import Distribution, distribution

__all__ = ["TruncatedNormal"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_LOG_HALF = -math.log(2.0)
_CF_DEPTH = 60
_CF_START = 3.0  # the continued fraction of depth 60 is exact to rounding from here
# in float32 (x64 disabled, no float64 working dtype) from t = 1 at depth 120: its truncation
# error there, about exp(-2 t sqrt(depth)) = 3e-10, is below float32 rounding, while the
# direct form's cancellations (c = 1/M - t, d = 1/c - t, d - c) cost up to 400 ulps of the
# variance at t = 2.6
_CF_START_F32 = 1.0
_CF_DEPTH_F32 = 120
_QUAD_SPREAD = 8.0  # quadrature where log p varies by at most this much over [a, b]


def _gauss_legendre(n):
    """Positive half of the n-point Gauss-Legendre rule: nodes x, weights, 1 + x and 1 - x,
    correctly rounded to float64 (numpy's nodes polished by Newton steps on the Legendre
    recurrence in extended precision: the weights of ``leggauss(32)`` are off by up to 8
    ulps of a quadrature)."""
    x = np.polynomial.legendre.leggauss(n)[0][n // 2 :].astype(np.longdouble)

    def legendre(x):  # P_n(x) and P_n'(x)
        p0, p1 = np.ones_like(x), x
        for k in range(2, n + 1):
            p0, p1 = p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k
        return p1, n * (x * p1 - p0) / (x * x - 1)

    for _ in range(3):
        p, dp = legendre(x)
        x = x - p / dp
    _, dp = legendre(x)
    w = 2 / ((1 - x * x) * dp * dp)
    return tuple(np.asarray(v, np.float64) for v in (x, w, 1 + x, 1 - x))


_GL_X, _GL_W, _GL_1PX, _GL_1MX = _gauss_legendre(32)  # positive half
# stand-in parameters (loc, scale, low, high, x) where a form is not the one used
_SAFE_ONE_SIDED = (0.0, 1.0, 1.0, 2.0, 1.5)
_SAFE_STRADDLE = (0.0, 1.0, -1.0, 1.0, 0.0)


def _log_phi(z):
    return -0.5 * z * z - _HALF_LOG_2PI


def _interior(alpha, beta):
    """A point strictly inside (alpha, beta) for each element, also for infinite ends."""
    fa, fb = jnp.isfinite(alpha), jnp.isfinite(beta)
    a = jnp.where(fa, alpha, 0.0)
    b = jnp.where(fb, beta, 0.0)
    return jnp.where(
        fa & fb, a + 0.5 * (b - a), jnp.where(fa, a + 1.0, jnp.where(fb, b - 1.0, 0.0))
    )


def _times_ratio(t, log_phi_t, log_z):
    r""":math:`t\,\varphi(t)/Z`, with 0 for infinite :math:`t` (where :math:`\varphi = 0`)."""
    finite = jnp.isfinite(t)
    return jnp.where(finite, jnp.where(finite, t, 0.0) * jnp.exp(log_phi_t - log_z), 0.0)


def _once(fn, *groups):
    """``fn`` (elementwise, returning a tuple of arrays) evaluated ONCE on several groups of
    arguments: each group's arrays broadcast together, are flattened and joined end to end, so
    one instance of ``fn``'s computation (one trace, one compile, one derivative) serves every
    group, whatever their shapes. Returns ``fn``'s outputs per group, in the group's shape."""
    shapes, columns = [], []
    for args in groups:
        args = jnp.broadcast_arrays(*args)
        shapes.append(args[0].shape)
        columns.append([jnp.ravel(v) for v in args])
    joined = [jnp.concatenate(c) if len(c) > 1 else c[0] for c in zip(*columns, strict=True)]
    outs = fn(*joined)
    ends = np.cumsum([math.prod(shape) for shape in shapes])
    starts = [0, *ends[:-1]]
    return [
        tuple(o[int(a) : int(b)].reshape(shape) for o in outs)
        for a, b, shape in zip(starts, ends, shapes, strict=True)
    ]


# Kernels on promoted arrays, jitted at module level so that eager calls reuse one compilation.


def _standardize_end(end, loc, scale):
    # (end - loc) / scale; an infinite end stays infinite with no gradient path (else the
    # derivative inf * 0 of the division poisons the gradients of loc and scale with NaN)
    finite = jnp.isfinite(end)
    z = (jnp.where(finite, end, 0.0) - loc) / scale
    return jnp.where(finite, z, jax.lax.stop_gradient(end))


def _standard(loc, scale, low, high):
    alpha = _standardize_end(low, loc, scale)
    beta = _standardize_end(high, loc, scale)
    return alpha, beta, log_ndtr_diff(alpha, beta)


@jax.jit
def _log_prob(loc, scale, low, high, x):
    # outside [low, high] (and at x = +-inf, where the density vanishes) -inf with a zero
    # gradient: the formulas run at safe points there. The normalisers depend on the parameters
    # only and are computed on their shape, never once per point of x.
    inside = (x >= low) & (x <= high) & jnp.isfinite(x)
    one = _is_one_sided(loc, low, high)
    # one side of loc: the frame of _one_sided (no Phi), log p = -s (alpha + s/2) - log sigma
    # - log J(alpha, omega) with s the distance of x from the near end in units of sigma
    l1, s1, a1, b1 = [
        jnp.where(one, v, d) for v, d in zip((loc, scale, low, high), _SAFE_ONE_SIDED, strict=False)
    ]
    up, alpha, omega = _frame(l1, s1, a1, b1)
    near = jnp.where(up, a1, b1)  # finite: the end nearer loc
    x1 = jnp.where(one & inside, x, near)
    dist = jnp.where(up, x1 - near, near - x1) / s1
    lp_one = -dist * (alpha + 0.5 * dist) - jnp.log(s1) - _log_j(alpha, omega)[0]
    # straddling loc: log phi(z) - log sigma - log Z
    p2 = [
        jnp.where(one, d, v)
        for v, d in zip((loc, scale, low, high), _SAFE_STRADDLE[:4], strict=True)
    ]
    _, _, log_z = _standard(*p2)
    z = standardize(jnp.where(inside & ~one, x, p2[0]), p2[0], p2[1])
    lp_two = _log_phi(z) - jnp.log(p2[1]) - log_z
    return jnp.where(inside, jnp.where(one, lp_one, lp_two), -jnp.inf)


def _log_quadrature(k, q):
    r""":math:`\log\int_{-1}^1 e^{-k(1 + y) - q y^2}\,dy` for :math:`k, q \ge 0`, :math:`k + q`
    at most about 8, by 32-point Gauss-Legendre: one exponential per node, of an exponent that is
    near 0 where the term is large (:math:`1 \pm y` are rounded constants), so each term is
    exact to about an ulp and the sum of positive terms keeps that."""
    x = jnp.asarray(_GL_X, k.dtype)
    w = jnp.asarray(_GL_W, k.dtype)
    one_plus = jnp.asarray(_GL_1PX, k.dtype)
    one_minus = jnp.asarray(_GL_1MX, k.dtype)
    k_, qx2 = k[..., None], q[..., None] * (x * x)
    terms = jnp.exp(-(k_ * one_plus + qx2)) + jnp.exp(-(k_ * one_minus + qx2))
    return jnp.log(jnp.sum(w * terms, -1))


def _log_j(alpha, w):
    r"""``(log J, log J - log w, quad)`` for :math:`J(\alpha, w) = \int_0^w e^{-\alpha t - t^2/2}\,dt`,
    :math:`\alpha \ge 0`, :math:`w > 0` (``w = inf`` allowed, where ``log J - log w`` is unused).

    :math:`\varphi(\alpha) J(\alpha, w) = \Phi(\alpha + w) - \Phi(\alpha)`, written so that no
    :math:`\alpha^2/2` is ever formed. Where the exponent varies by at most 8 over
    :math:`[0, w]` (``quad``), 32-point Gauss-Legendre in :math:`t = h(1 + y)`, :math:`h = w/2`:
    :math:`J = h e^{h^2/2} \int_{-1}^1 e^{-(\alpha + h)h y - h^2y^2/2} dy` (positive terms,
    exact to rounding); otherwise by the Mills ratio :math:`M` (:func:`_mills`),
    :math:`J = M(\alpha)(1 - e^{r})`, :math:`r = -w(\alpha + w/2) + \log M(\alpha + w) - \log
    M(\alpha) \le -8`, where nothing cancels."""
    finite = jnp.isfinite(w)
    w_f = jnp.where(finite, w, 1.0)
    quad = finite & (w_f * (alpha + 0.5 * w_f) <= _QUAD_SPREAD)
    w_q = jnp.where(quad, w_f, 1.0)
    h = 0.5 * w_q
    a_q = jnp.where(quad, alpha, 0.0)
    rel_q = _LOG_HALF + 0.5 * h * h + _log_quadrature((a_q + h) * h, 0.5 * h * h)
    a_m = jnp.where(quad, 0.0, alpha)
    w_m = jnp.where(quad | ~finite, 8.0, w_f)
    (log_m_a, _, _), (log_m_b, _, _) = _once(_mills, (a_m,), (a_m + w_m,))  # one instance
    r = -w_m * (a_m + 0.5 * w_m) + log_m_b - log_m_a
    log_j_m = log_m_a + jnp.where(finite, log1mexp(jnp.minimum(r, -1.0)), 0.0)
    log_j = jnp.where(quad, jnp.log(w_q) + rel_q, log_j_m)
    rel = jnp.where(quad, rel_q, log_j_m - jnp.log(w_f))
    return log_j, rel, quad


def _frame(loc, scale, low, high):
    r"""``(up, alpha, omega)`` of an interval on one side of :math:`\mu`: whether it lies above,
    the distance :math:`\alpha \ge 0` of its near end from :math:`\mu` and its width
    :math:`\omega` (``inf`` for a half-line), in units of :math:`\sigma`."""
    up = low >= loc
    finite = jnp.isfinite(low) & jnp.isfinite(high)
    alpha = jnp.where(up, low - loc, loc - high) / scale
    omega = jnp.where(finite, jnp.where(finite, high, 0.0) - jnp.where(finite, low, 0.0), 1.0)
    return up, alpha, jnp.where(finite, omega / scale, jnp.inf)


def _one_sided(loc, scale, low, high, x):
    r"""``(log p(x), log P(X < x), log P(X > x))`` for :math:`[a, b]` on one side of
    :math:`\mu` and :math:`a < x < b` (:math:`a \le x \le b` for ``log p``).

    In units of :math:`\sigma` from the end nearer :math:`\mu` (distance :math:`\alpha \ge 0`
    from :math:`\mu`; width :math:`\omega`, :math:`x` at :math:`s`, :math:`\rho = \omega - s`
    from the far end, each computed from a difference of the inputs), with :math:`J` of
    :func:`_log_j`: :math:`\log p = -s(\alpha + s/2) - \log\sigma - \log J(\alpha, \omega)`,
    near mass :math:`J(\alpha, s)/J(\alpha, \omega)`, far mass
    :math:`e^{-s(\alpha + s/2)} J(\alpha + s, \rho)/J(\alpha, \omega)`. The parent's
    :math:`\Phi` never appears, so the values are as well conditioned as the law on
    :math:`[a, b]` itself, not as :math:`\Phi` at :math:`\alpha` (an interval 40 standard
    deviations out keeps every digit, at every width); narrow intervals take the ratios of
    widths :math:`s/\omega`, :math:`\rho/\omega` by one division."""
    up, alpha, omega = _frame(loc, scale, low, high)
    finite_a, finite_b = jnp.isfinite(low), jnp.isfinite(high)
    finite = finite_a & finite_b
    s = jnp.where(up, x - jnp.where(up, low, 0.0), jnp.where(up, 0.0, high) - x) / scale
    far_finite = jnp.where(up, finite_b, finite_a)
    rho = jnp.where(
        far_finite,
        jnp.where(up, jnp.where(finite_b, high, 0.0) - x, x - jnp.where(finite_a, low, 0.0)),
        1.0,
    )
    rho = jnp.where(far_finite, rho / scale, jnp.inf)
    drop = -s * (alpha + 0.5 * s)  # log phi(alpha + s) - log phi(alpha)
    # the masses are used strictly inside (s, rho > 0); elsewhere at s = rho = omega/2 or 1,
    # so that no logarithm of 0 meets a gradient
    inside = (s > 0) & (rho > 0)
    stand_in = jnp.where(finite, 0.5 * jnp.where(finite, omega, 0.0), 1.0)
    s_m = jnp.where(inside, s, stand_in)
    rho_m = jnp.where(inside, rho, stand_in)
    # J(alpha, omega) (on the parameters' shape), J(alpha, s) and J(alpha + s, rho): one
    # evaluation of _log_j on the three argument pairs joined
    (log_j, rel, quad), (log_j_s, rel_s, _), (log_j_r, rel_r, _) = _once(
        _log_j, (alpha, omega), (alpha, s_m), (alpha + s_m, rho_m)
    )
    omega_q = jnp.where(quad, omega, 1.0)
    near = jnp.where(quad, jnp.log(s_m / omega_q) + (rel_s - rel), log_j_s - log_j)
    drop_m = -s_m * (alpha + 0.5 * s_m)
    far = drop_m + jnp.where(quad, jnp.log(rho_m / omega_q) + (rel_r - rel), log_j_r - log_j)
    lp = drop - jnp.log(scale) - log_j
    return lp, jnp.where(up, near, far), jnp.where(up, far, near)


def _is_one_sided(loc, low, high):
    return (low >= loc) | (high <= loc)


def _masses(loc, scale, low, high, x):
    """``(log P(X < x), log P(X > x))`` strictly inside ``(low, high)``; the one-sided frame of
    :func:`_one_sided`, else differences of ``log_ndtr`` (the interval holds the mode)."""
    one = _is_one_sided(loc, low, high)
    # each form at a safe stand-in where the other is used, so that no gradient meets NaN
    p1 = [
        jnp.where(one, v, d)
        for v, d in zip((loc, scale, low, high, x), _SAFE_ONE_SIDED, strict=True)
    ]
    p2 = [
        jnp.where(one, d, v)
        for v, d in zip((loc, scale, low, high, x), _SAFE_STRADDLE, strict=True)
    ]
    shape = jnp.broadcast_shapes(*(jnp.shape(v) for v in (loc, scale, low, high, x)))
    unused = (jnp.zeros(shape, x.dtype), jnp.zeros(shape, x.dtype))

    def one_sided():
        _, lower, upper = _one_sided(*p1)
        return jnp.broadcast_to(lower, shape), jnp.broadcast_to(upper, shape)

    def straddling():
        alpha = _standardize_end(p2[2], p2[0], p2[1])
        beta = _standardize_end(p2[3], p2[0], p2[1])
        z = standardize(p2[4], p2[0], p2[1])
        # log Z, log(Phi(z) - Phi(alpha)), log(Phi(beta) - Phi(z)): one log_ndtr_diff
        (log_z,), (lower,), (upper,) = _once(
            lambda a, b: (log_ndtr_diff(a, b),), (alpha, beta), (alpha, z), (z, beta)
        )
        return jnp.broadcast_to(lower - log_z, shape), jnp.broadcast_to(upper - log_z, shape)

    # each form only where some element needs it (the one-sided frame costs a quadrature per
    # point); under vmap both run, as selects
    lower_1, upper_1 = jax.lax.cond(jnp.any(one), one_sided, lambda: unused)
    lower_2, upper_2 = jax.lax.cond(jnp.all(one), lambda: unused, straddling)
    return jnp.where(one, lower_1, lower_2), jnp.where(one, upper_1, upper_2)


@jax.jit
def _log_cdfs(loc, scale, low, high, x):
    # (log P(X < x), log P(X > x)) from one evaluation of the masses (log_cdf, log_survival
    # and cdf share this kernel, so a program using several compiles it once); double-where at
    # and beyond the ends; a mass above 1/2 as log1p of minus the other side (which keeps
    # digits as the mass nears 1)
    alpha = _standardize_end(low, loc, scale)
    beta = _standardize_end(high, loc, scale)
    z = standardize(x, loc, scale)  # no derivative at x = +-inf
    strictly = (x > low) & (x < high) & (z > alpha) & (z < beta)
    x_safe = jnp.where(strictly, x, _interior(low, high))
    lower, upper = _masses(loc, scale, low, high, x_safe)
    # each side from the other where the other is below 1/2: one log1mexp for both
    take = (upper < _LOG_HALF, lower < _LOG_HALF)
    safe = [jnp.where(t, o, 2 * _LOG_HALF) for t, o in zip(take, (upper, lower), strict=True)]
    complements = log1mexp(jnp.stack(safe))
    lower = jnp.where(take[0], complements[0], lower)
    upper = jnp.where(take[1], complements[1], upper)
    # not strictly inside: at or below the lower end where x <= low or where z rounds onto
    # alpha (x a few ulps above low), else at or above the upper end
    below = (x <= low) | (z <= alpha)
    log_cdf = jnp.where(strictly, lower, jnp.where(below, -jnp.inf, 0.0))
    log_sf = jnp.where(strictly, upper, jnp.where(below, 0.0, -jnp.inf))
    return log_cdf, log_sf


@jax.jit
def _icdf(loc, scale, low, high, u):
    alpha, beta, log_z = _standard(loc, scale, low, high)
    log_lower = jnp.logaddexp(log_ndtr(alpha), jnp.log(u) + log_z)
    log_upper = jnp.logaddexp(log_ndtr(-beta), jnp.log1p(-u) + log_z)
    # one inverse serves both sides: Phi(z) = e^lower below the median, Phi(-z) = e^upper above
    use_lower = log_lower <= _LOG_HALF
    z = log_ndtri(jnp.minimum(jnp.where(use_lower, log_lower, log_upper), _LOG_HALF))
    z = jnp.clip(jnp.where(use_lower, z, -z), alpha, beta)
    z = jnp.where((u >= 0) & (u <= 1), z, jnp.nan)
    # loc + scale * alpha can round past low: clip in x too, so samples stay in [low, high];
    # u = 0 and u = 1 give the ends themselves (z rounded an ulp inside would not)
    x = jnp.clip(loc + scale * z, low, high)
    return jnp.where(u == 0, low, jnp.where(u == 1, high, x))


def _mills_levels(t):
    r"""The first three levels :math:`(c, d, e)` of Laplace's continued fraction for the Mills
    ratio: :math:`1/M = t + c`, :math:`c = 1/(t + d)`, :math:`d = 2/(t + e)`,
    :math:`e = 3/(t + \cdots)`, evaluated backwards from depth 60 (120 in float32)."""
    d = e = jnp.zeros_like(t)
    depth = _CF_DEPTH if t.dtype == jnp.float64 else _CF_DEPTH_F32
    for j in range(depth, 1, -1):
        e, d = d, j / (t + d)
    return 1.0 / (t + d), d, e


@jax.custom_jvp
def _mills_continued_fraction(t):
    r"""``(c, d)`` with :math:`1/M(t) = t + c`, :math:`c = 1/(t + d)`, for the Mills ratio
    :math:`M(t) = (1 - \Phi(t))/\varphi(t)`, by Laplace's continued fraction
    :math:`M(t) = 1/(t + 1/(t + 2/(t + 3/(t + \cdots))))` evaluated backwards from depth
    60 (exact to rounding for :math:`t \ge 3`).

    Its derivative is that of the exact functions, not of the unrolled recurrence (whose
    reverse pass of 60 stored levels compiled for minutes): :math:`M' = tM - 1` gives
    :math:`c' = c(c - d)` and, with :math:`d = 2/(t + e)`, :math:`d' = d(d - e)`; in the
    continued fraction's range :math:`c_k \approx k/t`, so neither difference cancels."""
    c, d, _ = _mills_levels(t)
    return c, d


@_mills_continued_fraction.defjvp
def _mills_continued_fraction_jvp(primals, tangents):
    (t,), (dt,) = primals, tangents
    c, d, e = _mills_levels(t)
    return (c, d), (c * (c - d) * dt, d * (d - e) * dt)


def _mills(t):
    r"""``(log M, c, d)`` of the Mills ratio at finite :math:`t \ge 0`: :math:`M = 1/(t + c)`,
    :math:`c = 1/(t + d)`; the continued fraction from :math:`t = 3`, below it
    :math:`M = \Phi(-t)/\varphi(t)` (where :math:`c = 1/M - t` cancels at most a factor 12)."""
    start = _CF_START if t.dtype == jnp.float64 else _CF_START_F32
    cf = t >= start
    t_cf = jnp.where(cf, t, start)
    c_cf, d_cf = _mills_continued_fraction(t_cf)
    t_d = jnp.where(cf, 0.0, t)
    log_m_d = log_ndtr(-t_d) - _log_phi(t_d)
    c_d = jnp.exp(-log_m_d) - t_d
    d_d = 1.0 / c_d - t_d
    log_m = jnp.where(cf, -jnp.log(t_cf + c_cf), log_m_d)
    return log_m, jnp.where(cf, c_cf, c_d), jnp.where(cf, d_cf, d_d)


def _moments_quadrature(k, q):
    r"""Moments of :math:`x \in [-1, 1]` with density :math:`\propto e^{-kx - qx^2}`,
    :math:`k, q \ge 0`: ``(mean, variance, log S)`` with :math:`S = \int_{-1}^1
    e^{-kx - qx^2 - k}\,dx`, by Gauss-Legendre on symmetric node pairs (the odd part by
    :math:`\sinh`, so nothing cancels; the variance as a sum of squares about the mean)."""
    x = jnp.asarray(_GL_X, k.dtype)
    w = jnp.asarray(_GL_W, k.dtype)
    k_, q_ = k[..., None], q[..., None]
    base = jnp.exp(-q_ * x * x - k_)
    plus = base * jnp.exp(-k_ * x)  # at +x (away from the parent mode)
    minus = base * jnp.exp(k_ * x)  # at -x
    s0 = jnp.sum(w * (plus + minus), -1)
    mean = -2.0 * jnp.sum(w * x * base * jnp.sinh(k_ * x), -1) / s0
    m = mean[..., None]
    var = jnp.sum(w * ((x - m) ** 2 * plus + (x + m) ** 2 * minus), -1) / s0
    return mean, var, jnp.log(s0)


def _moments_work(loc, scale, low, high):
    r"""(entropy, mean, variance) in the working dtype; see :class:`TruncatedNormal`."""
    finite_a, finite_b = jnp.isfinite(low), jnp.isfinite(high)
    a0 = jnp.where(finite_a, low, 0.0)
    b0 = jnp.where(finite_b, high, 0.0)
    mid0 = 0.5 * a0 + 0.5 * b0
    # canonical frame: reflect x -> -x so that the interval's centre is at or above loc
    flip = jnp.where(finite_a & finite_b, mid0 < loc, jnp.isneginf(low) & finite_b)
    mu = jnp.where(flip, -loc, loc)
    lo = jnp.where(flip, -high, low)
    hi = jnp.where(flip, -low, high)
    finite = finite_a & finite_b
    lo_f = jnp.where(jnp.isfinite(lo), lo, 0.0)
    hi_f = jnp.where(jnp.isfinite(hi), hi, 0.0)
    mid = jnp.where(finite, 0.5 * lo_f + 0.5 * hi_f, 0.0)
    half = jnp.where(finite, 0.5 * hi_f - 0.5 * lo_f, 1.0)  # half-width in x
    c = (mid - mu) / scale  # >= 0
    h = half / scale
    spread = jnp.where(c <= h, 0.5 * (c + h) ** 2, 2.0 * c * h)  # range of log p on [a, b]
    quad = finite & (spread <= _QUAD_SPREAD)
    alpha = jnp.where(jnp.isfinite(lo), (lo_f - mu) / scale, -jnp.inf)
    tail = ~quad & (alpha >= 0)
    general = ~quad & ~tail

    # Q: the log-density varies by at most _QUAD_SPREAD: quadrature in x = (X - mid) / half
    c_q = jnp.where(quad, c, 0.0)
    h_q = jnp.where(quad, h, 1.0)
    half_q = jnp.where(quad, half, 1.0)
    k, qq = c_q * h_q, 0.5 * h_q * h_q
    m_q, v_q, log_s = _moments_quadrature(k, qq)
    mean_q = jnp.where(quad, mid, 0.0) + half_q * m_q
    var_q = half_q * (half_q * v_q)
    ent_q = jnp.log(half_q) + log_s + k * (1.0 + m_q) + qq * (v_q + m_q * m_q)

    # T: the interval starts at or beyond loc: s = (X - a) / scale in [0, w], density
    # e^{-alpha s - s^2/2}; the law on [0, inf) less its part beyond w (mass fraction P)
    a_t = jnp.where(tail, alpha, 1.0)
    finite_w = ~tail | jnp.isfinite(hi)  # in T the interval may reach +inf
    w_f = jnp.where(tail & finite_w, (hi_f - lo_f) / scale, 1.0)
    (log_m_a, c_a, d_a), (log_m_b, c_b, d_b) = _once(_mills, (a_t,), (a_t + w_f,))
    log_p = -(a_t * w_f + 0.5 * w_f * w_f) + log_m_b - log_m_a
    p = jnp.where(finite_w, jnp.exp(log_p), 0.0)
    far_mean = jnp.where(finite_w, w_f + c_b, 0.0)
    m_t = (c_a - p * far_mean) / (1.0 - p)
    v_full = c_a * (d_a - c_a)
    v_far = c_b * (d_b - c_b)
    gap = jnp.where(p > 0, m_t - far_mean, 0.0)  # 0 * inf where w is huge
    v_t = (v_full - p * v_far - p * (1.0 - p) * gap * gap) / (1.0 - p)
    scale_t = jnp.where(tail, scale, 1.0)
    mean_t = jnp.where(tail, lo_f, 0.0) + scale_t * m_t
    var_t = scale_t * (scale_t * v_t)
    ent_t = jnp.log(scale_t) + a_t * m_t + 0.5 * (v_t + m_t * m_t) + log_m_a + jnp.log1p(-p)

    # G: the interval holds loc (and is wide): the closed forms with r = phi / Z
    mu_g = jnp.where(general, mu, 0.0)
    scale_g = jnp.where(general, scale, 1.0)
    lo_g = jnp.where(general, lo, -1.0)
    hi_g = jnp.where(general, hi, 1.0)
    alpha_g, beta_g, log_z = _standard(mu_g, scale_g, lo_g, hi_g)
    r_a = jnp.exp(_log_phi(jnp.where(jnp.isfinite(alpha_g), alpha_g, 0.0)) - log_z)
    r_a = jnp.where(jnp.isfinite(alpha_g), r_a, 0.0)
    r_b = jnp.exp(_log_phi(jnp.where(jnp.isfinite(beta_g), beta_g, 0.0)) - log_z)
    r_b = jnp.where(jnp.isfinite(beta_g), r_b, 0.0)
    a_r_a = _times_ratio(alpha_g, _log_phi(alpha_g), log_z)
    b_r_b = _times_ratio(beta_g, _log_phi(beta_g), log_z)
    mean_g = mu_g + scale_g * (r_a - r_b)
    var_g = scale_g * (scale_g * (1.0 + a_r_a - b_r_b - (r_a - r_b) ** 2))
    ent_g = 0.5 + _HALF_LOG_2PI + jnp.log(scale_g) + log_z + 0.5 * (a_r_a - b_r_b)

    def pick(vq, vt, vg):
        return jnp.where(quad, vq, jnp.where(tail, vt, vg))

    mean = pick(mean_q, mean_t, mean_g)
    mean = jnp.where(flip, -mean, mean)
    variance = jnp.maximum(pick(var_q, var_t, var_g), 0.0)
    return pick(ent_q, ent_t, ent_g), mean, variance


@jax.jit
def _moments(loc, scale, low, high):
    r"""(entropy, mean, variance), evaluated in float64 where x64 is enabled (float32 results
    are then correctly rounded values of the float64 ones)."""
    dtype = loc.dtype
    work = default_float() if jnp.finfo(default_float()).bits > jnp.finfo(dtype).bits else dtype
    args = jnp.broadcast_arrays(*(v.astype(work) for v in (loc, scale, low, high)))
    return tuple(v.astype(dtype) for v in _moments_work(*args))


@distribution
class TruncatedNormal(Distribution):
    r"""Normal distribution :math:`\mathcal N(\mu, \sigma^2)` truncated to :math:`[a, b]`.

    With :math:`z = (x - \mu)/\sigma`, :math:`\alpha = (a - \mu)/\sigma`,
    :math:`\beta = (b - \mu)/\sigma` and :math:`Z = \Phi(\beta) - \Phi(\alpha)`:

    .. math::
        \log p(x) = -\tfrac12 z^2 - \tfrac12\log 2\pi - \log\sigma - \log Z
        \quad (a \le x \le b), \qquad
        F(x) = \frac{\Phi(z) - \Phi(\alpha)}{Z}.

    Where :math:`[a, b]` lies on one side of :math:`\mu`, ``log_prob`` and the CDFs are
    computed in the interval's own frame, from distances to the end nearer :math:`\mu` and
    :math:`J(\alpha, w) = \int_0^w e^{-\alpha t - t^2/2} dt` (Gauss-Legendre where the
    log-density varies by at most 8, else the Mills ratio), so no :math:`\log\Phi(\alpha)` is
    formed: an interval 40 standard deviations out, however narrow, keeps its digits. Intervals
    holding :math:`\mu` use ``log_ndtr_diff``. A mass above one half is ``log1p`` of minus the
    other side's. The quantile solves :math:`\log\Phi(z) = \log(\Phi(\alpha) + uZ)` (or the mirrored
    equation for the upper survival function, whichever side of the median the answer lies)
    with an inverse of :math:`\log\Phi` (``ndtri`` start, Newton polish in log space), so
    sampling by inverse CDF is exact in far tails. Outside :math:`[a, b]` ``log_prob`` is
    :math:`-\infty` with a zero gradient. ``low = -inf`` and ``high = inf`` are allowed.

    Moments, with :math:`r_\alpha = \varphi(\alpha)/Z`, :math:`r_\beta = \varphi(\beta)/Z`
    (computed as exponentials of log-ratios):

    .. math::
        \mathbb E X = \mu + \sigma(r_\alpha - r_\beta), \qquad
        \operatorname{Var} X = \sigma^2\bigl(1 + \alpha r_\alpha - \beta r_\beta
        - (r_\alpha - r_\beta)^2\bigr),

    .. math::
        H = \tfrac12\log 2\pi e + \log\sigma + \log Z + \tfrac12(\alpha r_\alpha - \beta r_\beta).

    These closed forms cancel badly in two places: an interval narrow against
    :math:`\sigma` (the variance :math:`\approx (b - a)^2/12` is the small difference of
    :math:`O(1)` terms) and an interval on one side of :math:`\mu` (the mean is anchored at
    :math:`\mu`, far from the interval, and the variance cancels :math:`\alpha^4` ulps). The
    moments therefore reflect the problem so that the interval's centre lies at or above
    :math:`\mu` and use one of three exact forms:

    * the log-density varies by at most 8 over :math:`[a, b]`: 32-point Gauss-Legendre
      quadrature in :math:`t = (x - m)/h` (:math:`m`, :math:`h` the interval's midpoint and
      half-width, so the mean is :math:`m + h\,\mathbb E t` and the variance
      :math:`h^2 \operatorname{Var} t`, with no :math:`\sigma` and no cancellation against
      :math:`\mu`); the odd moment pairs nodes through :math:`\sinh` and the variance is a sum
      of squares about the mean (exact to rounding, checked against mpmath);
    * the interval starts at or beyond :math:`\mu` (:math:`\alpha \ge 0`): with
      :math:`s = (x - a)/\sigma`, the law on :math:`[0, \infty)` with density
      :math:`\propto e^{-\alpha s - s^2/2}` has mean :math:`c_\alpha`, variance
      :math:`c_\alpha(d_\alpha - c_\alpha)` for the Mills ratio
      :math:`M(\alpha) = 1/(\alpha + c_\alpha)`, :math:`c_\alpha = 1/(\alpha + d_\alpha)`
      (Laplace's continued fraction from :math:`\alpha = 3`, :math:`\Phi(-\alpha)/\varphi(\alpha)`
      below); the part beyond :math:`b` (a mass fraction :math:`P \le e^{-8}`) is removed by the
      mixture identities for the mean and the variance, and the mean is :math:`a + \sigma\,\mathbb
      E s`;
    * otherwise (the interval holds :math:`\mu` and is wide) the closed forms above, which do
      not cancel there.

    Where x64 is enabled they are evaluated in float64 (float32 results are then the rounded
    float64 values). The variance is never negative.

    Args:
      loc: mean :math:`\mu` of the parent normal (finite); all four parameters broadcast
        together.
      scale: standard deviation :math:`\sigma > 0` of the parent normal.
      low: lower end :math:`a` (may be ``-inf``).
      high: upper end :math:`b > a` (may be ``inf``).

    References:
      Johnson, Kotz and Balakrishnan (1994). Continuous Univariate Distributions, vol. 1,
      sec. 13.10 [@johnson1994continuous1].

    Examples:
      >>> from gmath.densities import TruncatedNormal
      >>> p = TruncatedNormal(loc=0.0, scale=1.0, low=-1.0, high=2.0)
      >>> round(float(p.log_prob(0.0)), 6), round(float(p.mean()), 6)
      (-0.718772, 0.229637)
      >>> q = TruncatedNormal(0.0, 1.0, 10.0, float("inf"))  # 10 sigma out
      >>> round(float(q.log_prob(10.0)), 4), round(float(q.mean()), 4)
      (2.3123, 10.0981)
    """

    loc: Any = 0.0
    scale: Any = 1.0
    low: Any = -1.0
    high: Any = 1.0

    _param_event_ndims = {"loc": 0, "scale": 0, "low": 0, "high": 0}

    def _constraints(self):
        # an infinite loc is no distribution (the parent's mass is at infinity): invalid, as for
        # the location-scale families
        return [
            (jnp.isfinite(jnp.asarray(self.loc)), "loc must be finite."),
            (finite_positive(self.scale), "scale must be positive and finite."),
            (jnp.asarray(self.low) < jnp.asarray(self.high), "low must be below high."),
        ]

    def _promoted(self, *extra):
        return promote(self.loc, self.scale, self.low, self.high, *extra)

    def log_prob(self, x) -> jax.Array:
        return _log_prob(*self._promoted(self._check_value(x, "log_prob")))

    def score(self, x) -> jax.Array:
        r""":math:`-(x - \mu)/\sigma^2` on :math:`[a, b]`, 0 outside."""
        loc, scale, low, high, x = self._promoted(self._check_value(x, "score"))
        inside = (x >= low) & (x <= high)
        return jnp.where(inside, -standardize(jnp.where(inside, x, loc), loc, scale) / scale, 0.0)

    def cdf(self, x) -> jax.Array:
        r""":math:`(\Phi(z) - \Phi(\alpha))/Z`, 0 below :math:`a` and 1 above :math:`b`."""
        return jnp.exp(_log_cdfs(*self._promoted(self._check_value(x, "cdf")))[0])

    def log_cdf(self, x) -> jax.Array:
        return _log_cdfs(*self._promoted(self._check_value(x, "log_cdf")))[0]

    def log_survival(self, x) -> jax.Array:
        return _log_cdfs(*self._promoted(self._check_value(x, "log_survival")))[1]

    def icdf(self, u) -> jax.Array:
        r"""Quantile: :math:`z = \log\Phi^{-1}(\log(\Phi(\alpha) + uZ))` below the parent median,
        :math:`z = -\log\Phi^{-1}(\log(\Phi(-\beta) + (1 - u)Z))` above it, clipped to
        :math:`[\alpha, \beta]`; :math:`x = \mu + \sigma z`."""
        return _icdf(*self._promoted(self._check_value(u, "icdf")))

    def sample(self, key, sample_shape=()) -> jax.Array:
        r"""Inverse-CDF sampling: exact also when :math:`[a, b]` is far in a tail."""
        loc, scale, low, high = self._promoted()
        u = jax.random.uniform(key, self._sample_shape(sample_shape), loc.dtype)
        return _icdf(loc, scale, low, high, u)

    def entropy(self) -> jax.Array:
        return jnp.broadcast_to(_moments(*self._promoted())[0], self.batch_shape)

    def mean(self) -> jax.Array:
        return jnp.broadcast_to(_moments(*self._promoted())[1], self.batch_shape)

    def variance(self) -> jax.Array:
        return jnp.broadcast_to(_moments(*self._promoted())[2], self.batch_shape)

    def mode(self) -> jax.Array:
        r""":math:`\mu` clipped to :math:`[a, b]`."""
        loc, scale, low, high = promote(self.loc, self.scale, self.low, self.high)
        return jnp.broadcast_to(jnp.clip(loc, low, high), self.batch_shape)
