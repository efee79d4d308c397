"""The truncated normal distribution."""

from __future__ import annotations

import functools
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gmath._numerics import (
    default_float,
    finite_positive,
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
_GL_X, _GL_W = (v[16:] for v in np.polynomial.legendre.leggauss(32))  # positive half


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
    _, _, log_z = _standard(loc, scale, low, high)
    # outside [low, high] (and at x = +-inf, where the density vanishes) -inf with a zero
    # gradient: the formula runs at the safe point x = loc there
    inside = (x >= low) & (x <= high) & jnp.isfinite(x)
    z = standardize(jnp.where(inside, x, loc), loc, scale)
    return jnp.where(inside, _log_phi(z) - jnp.log(scale) - log_z, -jnp.inf)


@functools.partial(jax.jit, static_argnames="upper")
def _log_mass(loc, scale, low, high, x, *, upper):
    # log P(a < X < x) (or log P(x < X < b)), double-where at and beyond the ends
    alpha, beta, log_z = _standard(loc, scale, low, high)
    z = standardize(x, loc, scale)  # no derivative at x = +-inf
    strictly = (z > alpha) & (z < beta)
    z_safe = jnp.where(strictly, z, _interior(alpha, beta))
    if upper:
        value = log_ndtr_diff(z_safe, beta) - log_z
        edge = jnp.where(z <= alpha, 0.0, -jnp.inf)
    else:
        value = log_ndtr_diff(alpha, z_safe) - log_z
        edge = jnp.where(z <= alpha, -jnp.inf, 0.0)
    return jnp.where(strictly, value, edge)


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
    # loc + scale * alpha can round past low: clip in x too, so samples stay in [low, high]
    return jnp.clip(loc + scale * z, low, high)


def _mills_continued_fraction(t):
    r"""``(c, d)`` with :math:`1/M(t) = t + c`, :math:`c = 1/(t + d)`, for the Mills ratio
    :math:`M(t) = (1 - \Phi(t))/\varphi(t)`, by Laplace's continued fraction
    :math:`M(t) = 1/(t + 1/(t + 2/(t + 3/(t + \cdots))))` evaluated backwards from depth
    60 (exact to rounding for :math:`t \ge 3`)."""
    d = jnp.zeros_like(t)
    depth = _CF_DEPTH if t.dtype == jnp.float64 else _CF_DEPTH_F32
    for j in range(depth, 1, -1):
        d = j / (t + d)
    return 1.0 / (t + d), d


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
    log_m_a, c_a, d_a = _mills(a_t)
    log_m_b, c_b, d_b = _mills(a_t + w_f)
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

    :math:`\log Z` and the log-CDFs use ``log_ndtr_diff``, which takes differences in the tail
    away from the mode (and ``erf`` for intervals around the mode), so an interval 10 or 40 standard deviations from :math:`\mu` keeps its
    digits. The quantile solves :math:`\log\Phi(z) = \log(\Phi(\alpha) + uZ)` (or the mirrored
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
      loc: mean :math:`\mu` of the parent normal; all four parameters broadcast together.
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
        return [
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
        return jnp.exp(_log_mass(*self._promoted(self._check_value(x, "cdf")), upper=False))

    def log_cdf(self, x) -> jax.Array:
        return _log_mass(*self._promoted(self._check_value(x, "log_cdf")), upper=False)

    def log_survival(self, x) -> jax.Array:
        return _log_mass(*self._promoted(self._check_value(x, "log_survival")), upper=True)

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
