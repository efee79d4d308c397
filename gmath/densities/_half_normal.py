"""The half-normal distribution."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
from jax.scipy.special import erf, erfc, erfinv

from gmath._numerics import finite_positive, log_ndtr, ndtri, promote, standardize
from gmath.densities._base import Distribution, distribution

__all__ = ["HalfNormal"]

_HALF_LOG_2_OVER_PI = 0.5 * math.log(2 / math.pi)
_LOG_2 = math.log(2.0)
_SQRT_2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


@distribution
class HalfNormal(Distribution):
    r"""Half-normal distribution: :math:`|Y|` for :math:`Y \sim \mathcal N(0, \sigma^2)`, on
    :math:`[0, \infty)`.

    .. math::
        \log p(x) = \tfrac12\log\frac{2}{\pi} - \log\sigma - \frac{x^2}{2\sigma^2}, \qquad
        F(x) = \operatorname{erf}\Bigl(\frac{x}{\sigma\sqrt2}\Bigr) = 2\Phi(x/\sigma) - 1.

    For :math:`x < 0` ``log_prob`` is :math:`-\infty` with a zero gradient, ``cdf`` 0,
    ``log_cdf`` :math:`-\infty`, ``log_survival`` 0. The upper tail is
    :math:`\log(1 - F) = \log 2 + \log\Phi(-x/\sigma)` (``log_ndtr``), exact far out; the
    score is :math:`-x/\sigma^2`. Mean :math:`\sigma\sqrt{2/\pi}`, variance
    :math:`\sigma^2(1 - 2/\pi)`, mode 0, entropy :math:`\tfrac12\log(\pi e\sigma^2/2)`.

    Args:
      scale: scale :math:`\sigma > 0` of the underlying normal, any shape.

    References:
      Johnson, Kotz and Balakrishnan (1994). Continuous Univariate Distributions, vol. 1, ch. 13
      [@johnson1994continuous1].

    Examples:
      >>> from gmath.densities import HalfNormal
      >>> p = HalfNormal(scale=2.0)
      >>> round(float(p.log_prob(1.0)), 6), round(float(p.cdf(2.0)), 6)
      (-1.043939, 0.682689)
      >>> float(p.log_prob(-1.0))
      -inf
    """

    scale: Any = 1.0

    _param_event_ndims = {"scale": 0}

    def _constraints(self):
        return [(finite_positive(self.scale), "scale must be positive and finite.")]

    def _standardize(self, x, method):
        x = self._check_value(x, method)
        scale, x = promote(self.scale, x)
        inside = x >= 0
        # standardize: derivatives without overflow for tiny scales, none at x = inf
        return standardize(jnp.where(inside, x, 0.0), 0.0, scale), scale, inside

    def log_prob(self, x) -> jax.Array:
        z, scale, inside = self._standardize(x, "log_prob")
        inside = inside & (z < jnp.inf)
        return jnp.where(inside, _HALF_LOG_2_OVER_PI - jnp.log(scale) - 0.5 * z * z, -jnp.inf)

    def score(self, x) -> jax.Array:
        r""":math:`-x/\sigma^2` for :math:`x \ge 0`, 0 outside."""
        z, scale, inside = self._standardize(x, "score")
        return jnp.where(inside, -standardize(z, 0.0, scale), 0.0)

    def cdf(self, x) -> jax.Array:
        z, _, _ = self._standardize(x, "cdf")
        return erf(z / _SQRT_2)

    def log_cdf(self, x) -> jax.Array:
        r""":math:`\log\operatorname{erf}(z/\sqrt2)` near 0, :math:`\log(1 - \operatorname{erfc})`
        beyond :math:`z = 1`; :math:`-\infty` for :math:`x \le 0`. Below :math:`z = 10^{-4}`
        it is :math:`\log x - \log\sigma + \tfrac12\log(2/\pi) + \log(1 - z^2/6)` (the
        series of :math:`\operatorname{erf}(t)/t`), finite also where :math:`z = x/\sigma`
        underflows."""
        z, scale, inside = self._standardize(x, "log_cdf")
        (x,) = promote(self._check_value(x, "log_cdf"), scale)[:1]
        positive = inside & (x > 0)
        near = z < 1
        tiny = z < 1e-4
        t = jnp.where(positive, z, 1.0) / _SQRT_2
        t_near = jnp.where(near & ~tiny, t, 0.5)
        t_far = jnp.where(near, 1.0, t)
        x_tiny = jnp.where(positive & tiny, x, 1.0)
        z_tiny = jnp.where(tiny, z, 0.0)
        value_tiny = (
            jnp.log(x_tiny) - jnp.log(scale) + _HALF_LOG_2_OVER_PI + jnp.log1p(-z_tiny * z_tiny / 6)
        )
        value = jnp.where(near, jnp.log(erf(t_near)), jnp.log1p(-erfc(t_far)))
        return jnp.where(positive, jnp.where(tiny, value_tiny, value), -jnp.inf)

    def log_survival(self, x) -> jax.Array:
        z, _, _ = self._standardize(x, "log_survival")
        # log(1 - erf(z / sqrt 2)) by log1p below z = 1 (exact near 0), log 2 + log Phi(-z) above
        near = z < 1
        value_near = jnp.log1p(-erf(jnp.where(near, z, 0.0) / _SQRT_2))
        return jnp.where(near, value_near, _LOG_2 + log_ndtr(-jnp.where(near, 1.0, z)))

    def icdf(self, u) -> jax.Array:
        r"""Quantile :math:`\sigma\sqrt2\operatorname{erf}^{-1}(u)` for :math:`u < 1/2` and
        :math:`-\sigma\,\Phi^{-1}((1 - u)/2)` above (exact ``1 - u``)."""
        scale, u = promote(self.scale, self._check_value(u, "icdf"))
        low = u < 0.5
        z_low = _SQRT_2 * erfinv(jnp.where(low, u, 0.25))
        z_high = -ndtri(0.5 * (1.0 - jnp.where(low, 0.75, u)))
        return scale * jnp.where(low, z_low, z_high)

    def sample(self, key, sample_shape=()) -> jax.Array:
        (scale,) = promote(self.scale)
        eps = jax.random.normal(key, self._sample_shape(sample_shape), scale.dtype)
        return scale * jnp.abs(eps)

    def entropy(self) -> jax.Array:
        r""":math:`\tfrac12\log(\pi\sigma^2/2) + \tfrac12`."""
        (scale,) = promote(self.scale)
        value = 0.5 * math.log(math.pi / 2) + 0.5 + jnp.log(scale)
        return jnp.broadcast_to(value, self.batch_shape)

    def mean(self) -> jax.Array:
        r""":math:`\sigma\sqrt{2/\pi}`."""
        (scale,) = promote(self.scale)
        return jnp.broadcast_to(_SQRT_2_OVER_PI * scale, self.batch_shape)

    def variance(self) -> jax.Array:
        r""":math:`\sigma^2(1 - 2/\pi)`."""
        (scale,) = promote(self.scale)
        return jnp.broadcast_to((1.0 - 2.0 / math.pi) * scale * scale, self.batch_shape)

    def mode(self) -> jax.Array:
        r"""0."""
        (scale,) = promote(self.scale)
        return jnp.zeros(self.batch_shape, scale.dtype)
