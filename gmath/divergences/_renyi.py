r"""Rényi divergences and the closed forms that follow from them.

.. math::
    D_\alpha(p \| q) = \frac{1}{\alpha - 1}\log\int p^\alpha q^{1 - \alpha},

with :math:`D_1 = KL`, Bhattacharyya distance :math:`B = -\log\int\sqrt{pq} = D_{1/2}/2`,
squared Hellinger distance :math:`H^2 = 1 - e^{-B}` and Pearson's
:math:`\chi^2 = e^{D_2} - 1`. Exponential families go through their log-normaliser
(:func:`exponential_family_renyi`), uniform laws through their overlap.
"""

from __future__ import annotations

import jax.numpy as jnp

from gmath._numerics import betainc, gammaincc, ndtr
from gmath.divergences._exponential_family import exponential_family_renyi
from gmath.divergences._kl_registry import kl
from gmath.divergences._params import (
    bernoulli_log_probs,
    bernoulli_logits,
    categorical_log_probs,
    common_dtype,
    expm1_minus,
    params,
)

__all__ = ["bhattacharyya", "chi_squared", "hellinger_squared", "renyi", "total_variation"]


def _uniform_renyi(p, q, alpha):
    dt = common_dtype(p, q)
    lp, hp, lq, hq = params(dt, p.low, p.high, q.low, q.high)
    alpha = jnp.asarray(alpha, dt)
    overlap = jnp.maximum(jnp.minimum(hp, hq) - jnp.maximum(lp, lq), 0.0)
    len_p, len_q = hp - lp, hq - lq
    nested = (lq <= lp) & (hp <= hq)
    not_one = alpha != 1
    a = jnp.where(not_one, alpha, 0.5)
    safe_overlap = jnp.where(overlap > 0, overlap, 1.0)
    log_integral = jnp.log(safe_overlap) - a * jnp.log(len_p) + (a - 1) * jnp.log(len_q)
    value = log_integral / (a - 1)
    finite = jnp.where(a > 1, nested, overlap > 0)
    value = jnp.where(finite, value, jnp.inf)
    return jnp.where(not_one, value, kl(p, q))


def _log1p_minus(x):
    r""":math:`\log(1 + x) - x`, accurate near 0: :math:`-(e^t - 1 - t)` at :math:`t = \log(1 + x)`."""
    return -expm1_minus(jnp.log1p(x))


def _normal_renyi(p, q, alpha):
    r"""Gil et al. (2013) for normals, written without first-order cancellation near p = q.

    With :math:`\delta = \sigma_p^2/\sigma_q^2 - 1`, :math:`L(x) = \log(1 + x) - x`:
    :math:`D_\alpha = \frac{(1 - \alpha) L(\delta) - L((1 - \alpha)\delta)}{2(\alpha - 1)}
    + \frac{\alpha(\mu_p - \mu_q)^2}{2\sigma_\alpha^2}`,
    :math:`\sigma_\alpha^2 = \alpha\sigma_q^2 + (1 - \alpha)\sigma_p^2 > 0` (else
    :math:`+\infty`).
    """
    dt = common_dtype(p, q)
    m1, s1, m2, s2 = params(dt, p.loc, p.scale, q.loc, q.scale)
    alpha = jnp.asarray(alpha, dt)
    delta = jnp.expm1(2 * (jnp.log(s1) - jnp.log(s2)))
    one_minus = 1 - alpha
    ratio = 1 + one_minus * delta  # sigma_alpha^2 / sigma_q^2
    valid = ratio > 0
    safe_ratio = jnp.where(valid, ratio, 1.0)
    x = jnp.where(valid, one_minus * delta, 0.0)
    not_one = alpha != 1
    denom = 2 * jnp.where(not_one, alpha - 1, 1.0)
    scale_part = (one_minus * _log1p_minus(delta) - _log1p_minus(x)) / denom
    value = scale_part + alpha * (m1 - m2) ** 2 / (2 * s2 * s2 * safe_ratio)
    return jnp.where(valid, value, jnp.inf)


def renyi(p, q, alpha):
    r"""Rényi divergence of order :math:`\alpha` in closed form.

    .. math::
        D_\alpha(p \| q) = \frac{1}{\alpha - 1}\log\int p(x)^\alpha q(x)^{1 - \alpha}\,dx.

    Exponential families (Normal, LogNormal, HalfNormal, Exponential, Gamma, Beta, Dirichlet,
    Bernoulli, Binomial with equal ``total_count``, Categorical, Poisson, Geometric, VonMises,
    multivariate normals in any parameterisation) use

    .. math::
        D_\alpha = \frac{A(\alpha\theta_p + (1-\alpha)\theta_q) - \alpha A(\theta_p)
            - (1 - \alpha) A(\theta_q)}{\alpha - 1},

    :math:`+\infty` where the combined parameter leaves the natural domain (for Gaussians,
    :math:`\alpha\sigma_q^2 + (1 - \alpha)\sigma_p^2 \le 0`). Uniforms use their overlap.
    :math:`\alpha = 1` gives :func:`kl`. :math:`D_\alpha` is non-decreasing in
    :math:`\alpha`; :math:`D_{1/2} = 2 B` (Bhattacharyya), :math:`D_2 = \log(1 + \chi^2)`.

    Args:
      p, q: records of one exponential family, or two Uniforms.
      alpha: order :math:`\alpha > 0` (array, broadcasting with the batch shape).

    Returns:
      Array of shape ``broadcast(p.batch_shape, q.batch_shape, shape(alpha))``.

    Raises:
      NotImplementedError: for pairs without a closed form.

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
    name_p, name_q = type(p).__name__, type(q).__name__
    if name_p == name_q == "Uniform":
        return _uniform_renyi(p, q, alpha)
    try:
        if name_p == name_q and name_p in ("Normal", "LogNormal"):
            value = _normal_renyi(p, q, alpha)
        else:
            value = exponential_family_renyi(p, q, alpha)
    except NotImplementedError:
        raise NotImplementedError(
            f"renyi: no closed form for ({type(p).__name__}, {type(q).__name__}). Closed forms "
            "exist within one exponential family and between Uniforms; for other pairs use "
            "gmath.divergences.f_divergence with generators.amari_alpha(alpha) (Monte Carlo)."
        ) from None
    try:
        closed = kl(p, q)  # at alpha = 1, the hand-written KL (exact at p = q)
    except NotImplementedError:
        return value
    return jnp.where(jnp.asarray(alpha) == 1, closed, value)


def bhattacharyya(p, q):
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
    return 0.5 * renyi(p, q, 0.5)


def hellinger_squared(p, q):
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
    return -jnp.expm1(-bhattacharyya(p, q))


def chi_squared(p, q):
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
    return jnp.expm1(renyi(p, q, 2.0))


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


_TV = {
    "Normal": _tv_normal,
    "Uniform": _tv_uniform,
    "Exponential": _tv_exponential,
    "Bernoulli": _tv_bernoulli,
    "Categorical": _tv_categorical,
    "Poisson": _tv_poisson,
    "Geometric": _tv_geometric,
    "Binomial": _tv_binomial,
}


def total_variation(p, q):
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
    name_p, name_q = type(p).__name__, type(q).__name__
    fn = _TV.get(name_p) if name_p == name_q else None
    if fn is None:
        raise NotImplementedError(
            f"total_variation: no closed form for ({name_p}, {name_q}); closed forms: "
            f"{sorted(_TV)} (same family). Use f_divergence with generators.total_variation "
            "for a Monte Carlo estimate."
        )
    out = fn(p, q)
    shape = jnp.broadcast_shapes(tuple(p.batch_shape), tuple(q.batch_shape))
    return jnp.broadcast_to(out, jnp.broadcast_shapes(out.shape, shape))
