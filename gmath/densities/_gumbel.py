"""The Gumbel (type-I extreme value, maximum) distribution."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from gmath._numerics import log1mexp, promote
from gmath.densities._base import Distribution, distribution
from gmath.densities._location_scale import LocationScale

__all__ = ["Gumbel"]

_EULER_GAMMA = 0.5772156649015329
_PI_SQ_OVER_6 = math.pi**2 / 6.0
_SERIES_START = -math.log(1e-5)  # z above which u = e^{-z} < 1e-5


@distribution
class Gumbel(LocationScale, Distribution):
    r"""Gumbel distribution (of maxima; ``scipy.stats.gumbel_r``), location :math:`\mu`, scale
    :math:`\beta`.

    .. math::
        \log p(x) = -z - e^{-z} - \log\beta, \qquad F(x) = \exp(-e^{-z}),
        \quad z = \frac{x - \mu}{\beta},

    so ``log_cdf`` is :math:`-e^{-z}` exactly and ``log_survival`` is
    :math:`\log(1 - \exp(-e^{-z}))` by ``log1mexp``; the score is :math:`(e^{-z} - 1)/\beta`.
    Mean :math:`\mu + \gamma\beta` (:math:`\gamma` the Euler–Mascheroni constant), variance
    :math:`\pi^2\beta^2/6`, mode :math:`\mu`.

    Args:
      loc: location :math:`\mu` (the mode), any shape broadcasting with ``scale``.
      scale: scale :math:`\beta > 0`.

    References:
      Johnson, Kotz and Balakrishnan (1995). Continuous Univariate Distributions, vol. 2, ch. 22
      [@johnson1995continuous2].

    Examples:
      >>> from gmath.densities import Gumbel
      >>> p = Gumbel(loc=0.0, scale=1.0)
      >>> round(float(p.log_prob(0.0)), 6), round(float(p.cdf(0.0)), 6)
      (-1.0, 0.367879)
      >>> round(float(p.mean()), 6)
      0.577216
    """

    loc: Any = 0.0
    scale: Any = 1.0

    def log_prob(self, x) -> jax.Array:
        z, scale = self._standardize(x, "log_prob")
        return self._at_infinity(z, -z - jnp.exp(-z) - jnp.log(scale))

    def score(self, x) -> jax.Array:
        r""":math:`(e^{-z} - 1)/\beta` (``expm1``)."""
        z, scale = self._standardize(x, "score")
        return self._per_scale(jnp.expm1(-z), scale)

    def cdf(self, x) -> jax.Array:
        z, _ = self._standardize(x, "cdf")
        return jnp.exp(-jnp.exp(-z))

    def log_cdf(self, x) -> jax.Array:
        z, _ = self._standardize(x, "log_cdf")
        return -jnp.exp(-z)

    def log_survival(self, x) -> jax.Array:
        z, _ = self._standardize(x, "log_survival")
        # log(1 - exp(-u)), u = e^{-z}; for u < 1e-5 its series log u - u/2 + u^2/24 (exact to
        # rounding), which stays finite (about -z) where u underflows
        u = jnp.exp(-z)
        small = z > _SERIES_START
        u_s = jnp.where(small, u, 0.0)
        series = -jnp.where(small, z, 0.0) - 0.5 * u_s + u_s * u_s / 24.0
        return jnp.where(small, series, log1mexp(-jnp.where(small, 1.0, u)))

    def icdf(self, u) -> jax.Array:
        r"""Quantile :math:`\mu - \beta\log(-\log u)`."""
        loc, scale, u = promote(self.loc, self.scale, self._check_value(u, "icdf"))
        return loc - scale * jnp.log(-jnp.log(u))

    def sample(self, key, sample_shape=()) -> jax.Array:
        loc, scale = promote(self.loc, self.scale)
        eps = jax.random.gumbel(key, self._sample_shape(sample_shape), loc.dtype)
        return loc + scale * eps

    def entropy(self) -> jax.Array:
        r""":math:`\log\beta + \gamma + 1`."""
        loc, scale = promote(self.loc, self.scale)
        return jnp.broadcast_to(jnp.log(scale) + (_EULER_GAMMA + 1.0), self.batch_shape)

    def mean(self) -> jax.Array:
        r""":math:`\mu + \gamma\beta`."""
        loc, scale = promote(self.loc, self.scale)
        return jnp.broadcast_to(loc + _EULER_GAMMA * scale, self.batch_shape)

    def mode(self) -> jax.Array:
        loc, scale = promote(self.loc, self.scale)
        return jnp.broadcast_to(loc, self.batch_shape)

    def variance(self) -> jax.Array:
        r""":math:`\pi^2\beta^2/6`."""
        loc, scale = promote(self.loc, self.scale)
        return jnp.broadcast_to(_PI_SQ_OVER_6 * scale * scale, self.batch_shape)
