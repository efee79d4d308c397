"""The truncated normal distribution."""

from __future__ import annotations

import functools
import math
from typing import Any

import jax
import jax.numpy as jnp

from gmath._numerics import log_ndtr, log_ndtr_diff, log_ndtri, promote
from gmath.densities._base import Distribution, distribution

__all__ = ["TruncatedNormal"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_LOG_HALF = -math.log(2.0)
_CF_DEPTH = 60
_TAIL_START = 4.0
_TAIL_GAP = 40.0  # e^-40: the far end's share of the mass is below rounding


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
    z = (x - loc) / scale
    inside = (x >= low) & (x <= high)
    return jnp.where(inside, _log_phi(z) - jnp.log(scale) - log_z, -jnp.inf)


@functools.partial(jax.jit, static_argnames="upper")
def _log_mass(loc, scale, low, high, x, *, upper):
    # log P(a < X < x) (or log P(x < X < b)), double-where at and beyond the ends
    alpha, beta, log_z = _standard(loc, scale, low, high)
    z = (x - loc) / scale
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
    60 (exact to rounding for :math:`t \ge 4`)."""
    d = jnp.zeros_like(t)
    for j in range(_CF_DEPTH, 1, -1):
        d = j / (t + d)
    return 1.0 / (t + d), d


@jax.jit
def _moments(loc, scale, low, high):
    r"""(entropy, mean, variance).

    General case: the closed forms with :math:`r = \varphi/Z`. One-sided tail case (the interval
    starts at least 4 scales from the mode and the far end carries no mass to rounding):
    with :math:`t` the near end's distance and Laplace's continued fraction,
    :math:`\mathbb E|z| = t + c`, :math:`\operatorname{Var} z = (d - c)/(t + d)` and
    :math:`H = \tfrac12 + \log\sigma - \log(t + c) + tc/2`, free of the cancellation of
    :math:`1 + \alpha r_\alpha - r_\alpha^2` (which loses :math:`\alpha^4` ulps).
    """
    alpha, beta, log_z = _standard(loc, scale, low, high)
    r_a = jnp.exp(_log_phi(alpha) - log_z)
    r_b = jnp.exp(_log_phi(beta) - log_z)
    a_r_a = _times_ratio(alpha, _log_phi(alpha), log_z)
    b_r_b = _times_ratio(beta, _log_phi(beta), log_z)
    d = r_a - r_b
    entropy = 0.5 + _HALF_LOG_2PI + jnp.log(scale) + log_z + 0.5 * (a_r_a - b_r_b)
    mean = d
    variance = 1.0 + a_r_a - b_r_b - d * d
    # one-sided tails: upper (alpha >= 4, beta far beyond) or lower (mirrored)
    upper = (alpha >= _TAIL_START) & (0.5 * (beta * beta - alpha * alpha) > _TAIL_GAP)
    lower = (beta <= -_TAIL_START) & (0.5 * (alpha * alpha - beta * beta) > _TAIL_GAP)
    tail = upper | lower
    t = jnp.where(upper, alpha, jnp.where(lower, -beta, _TAIL_START))
    c, dd = _mills_continued_fraction(t)
    tail_mean = jnp.where(upper, t + c, -(t + c))
    tail_variance = (dd - c) / (t + dd)
    tail_entropy = 0.5 + jnp.log(scale) - jnp.log(t + c) + 0.5 * t * c
    entropy = jnp.where(tail, tail_entropy, entropy)
    mean = jnp.where(tail, tail_mean, mean)
    variance = jnp.where(tail, tail_variance, variance)
    return entropy, loc + scale * mean, scale * scale * variance


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

    In a one-sided tail (the interval starts 4 or more scales from :math:`\mu`, the far end
    carries no mass to rounding) the moments and the entropy use Laplace's continued fraction
    for the Mills ratio instead, which keeps them exact to rounding 10 or 40 scales out (the
    closed form above cancels :math:`\alpha^4` ulps there). Narrow intervals far in a tail
    but with both ends carrying mass still use the closed form.

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
            (jnp.asarray(self.scale) > 0, "scale must be positive."),
            (jnp.asarray(self.low) < jnp.asarray(self.high), "low must be below high."),
        ]

    def _promoted(self, *extra):
        return promote(self.loc, self.scale, self.low, self.high, *extra)

    def log_prob(self, x):
        return _log_prob(*self._promoted(self._check_value(x, "log_prob")))

    def score(self, x):
        r""":math:`-(x - \mu)/\sigma^2` on :math:`[a, b]`, 0 outside."""
        loc, scale, low, high, x = self._promoted(self._check_value(x, "score"))
        inside = (x >= low) & (x <= high)
        return jnp.where(inside, -(x - loc) / (scale * scale), 0.0)

    def cdf(self, x):
        r""":math:`(\Phi(z) - \Phi(\alpha))/Z`, 0 below :math:`a` and 1 above :math:`b`."""
        return jnp.exp(_log_mass(*self._promoted(self._check_value(x, "cdf")), upper=False))

    def log_cdf(self, x):
        return _log_mass(*self._promoted(self._check_value(x, "log_cdf")), upper=False)

    def log_survival(self, x):
        return _log_mass(*self._promoted(self._check_value(x, "log_survival")), upper=True)

    def icdf(self, u):
        r"""Quantile: :math:`z = \log\Phi^{-1}(\log(\Phi(\alpha) + uZ))` below the parent median,
        :math:`z = -\log\Phi^{-1}(\log(\Phi(-\beta) + (1 - u)Z))` above it, clipped to
        :math:`[\alpha, \beta]`; :math:`x = \mu + \sigma z`."""
        return _icdf(*self._promoted(self._check_value(u, "icdf")))

    def sample(self, key, sample_shape=()):
        r"""Inverse-CDF sampling: exact also when :math:`[a, b]` is far in a tail."""
        loc, scale, low, high = self._promoted()
        u = jax.random.uniform(key, self._sample_shape(sample_shape), loc.dtype)
        return _icdf(loc, scale, low, high, u)

    def entropy(self):
        return jnp.broadcast_to(_moments(*self._promoted())[0], self.batch_shape)

    def mean(self):
        return jnp.broadcast_to(_moments(*self._promoted())[1], self.batch_shape)

    def variance(self):
        return jnp.broadcast_to(_moments(*self._promoted())[2], self.batch_shape)

    def mode(self):
        r""":math:`\mu` clipped to :math:`[a, b]`."""
        loc, scale, low, high = promote(self.loc, self.scale, self.low, self.high)
        return jnp.broadcast_to(jnp.clip(loc, low, high), self.batch_shape)
