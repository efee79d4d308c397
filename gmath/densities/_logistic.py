"""The logistic distribution."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from gmath._numerics import log1pexp, promote
from gmath.densities._base import Distribution, distribution
from gmath.densities._location_scale import LocationScale

__all__ = ["Logistic"]

_PI_SQ_OVER_3 = math.pi**2 / 3.0


@distribution
class Logistic(LocationScale, Distribution):
    r"""Logistic distribution with location :math:`\mu` and scale :math:`s`.

    .. math::
        \log p(x) = -|z| - 2\log(1 + e^{-|z|}) - \log s, \qquad
        F(x) = \sigma(z) = \frac{1}{1 + e^{-z}}, \quad z = \frac{x - \mu}{s},

    so ``log_cdf`` is :math:`-\operatorname{softplus}(-z)` and ``log_survival``
    :math:`-\operatorname{softplus}(z)`, exact in both tails; the score is
    :math:`-\tanh(z/2)/s`.

    Args:
      loc: location :math:`\mu` (mean, median and mode), any shape broadcasting with ``scale``.
      scale: scale :math:`s > 0` (the variance is :math:`\pi^2 s^2/3`).

    References:
      Johnson, Kotz and Balakrishnan (1995). Continuous Univariate Distributions, vol. 2, ch. 23
      [@johnson1995continuous2].

    Examples:
      >>> from gmath.densities import Logistic
      >>> p = Logistic(loc=0.0, scale=1.0)
      >>> round(float(p.log_prob(0.0)), 6), round(float(p.cdf(1.0)), 6)
      (-1.386294, 0.731059)
      >>> round(float(p.log_cdf(-800.0)), 6)
      -800.0
    """

    loc: Any = 0.0
    scale: Any = 1.0

    def log_prob(self, x) -> jax.Array:
        z, scale = self._standardize(x, "log_prob")
        a = jnp.abs(z)
        return self._at_infinity(z, -a - 2.0 * log1pexp(-a) - jnp.log(scale))

    def score(self, x) -> jax.Array:
        r""":math:`-\tanh(z/2)/s`."""
        z, scale = self._standardize(x, "score")
        return -self._per_scale(jnp.tanh(0.5 * z), scale)

    def cdf(self, x) -> jax.Array:
        z, _ = self._standardize(x, "cdf")
        return jax.nn.sigmoid(z)

    def log_cdf(self, x) -> jax.Array:
        z, _ = self._standardize(x, "log_cdf")
        return -log1pexp(-z)

    def log_survival(self, x) -> jax.Array:
        z, _ = self._standardize(x, "log_survival")
        return -log1pexp(z)

    def icdf(self, u) -> jax.Array:
        r"""Quantile :math:`\mu + s\,(\log u - \log(1 - u))` (``log1p``)."""
        loc, scale, u = promote(self.loc, self.scale, self._check_value(u, "icdf"))
        return loc + scale * (jnp.log(u) - jnp.log1p(-u))

    def sample(self, key, sample_shape=()) -> jax.Array:
        loc, scale = promote(self.loc, self.scale)
        eps = jax.random.logistic(key, self._sample_shape(sample_shape), loc.dtype)
        return loc + scale * eps

    def entropy(self) -> jax.Array:
        r""":math:`\log s + 2`."""
        loc, scale = promote(self.loc, self.scale)
        return jnp.broadcast_to(jnp.log(scale) + 2.0, self.batch_shape)

    def mean(self) -> jax.Array:
        loc, scale = promote(self.loc, self.scale)
        return jnp.broadcast_to(loc, self.batch_shape)

    def mode(self) -> jax.Array:
        return self.mean()

    def variance(self) -> jax.Array:
        r""":math:`\pi^2 s^2 / 3`."""
        loc, scale = promote(self.loc, self.scale)
        return jnp.broadcast_to(_PI_SQ_OVER_3 * scale * scale, self.batch_shape)
