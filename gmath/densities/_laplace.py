"""The Laplace (double exponential) distribution."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from gmath._numerics import promote
from gmath.densities._base import Distribution, distribution
from gmath.densities._location_scale import LocationScale

__all__ = ["Laplace"]

_LOG_2 = math.log(2.0)


@distribution
class Laplace(LocationScale, Distribution):
    r"""Laplace distribution with location :math:`\mu` and scale :math:`b`.

    .. math::
        \log p(x) = -\frac{|x - \mu|}{b} - \log 2b, \qquad
        F(x) = \begin{cases} \tfrac12 e^{z} & z < 0 \\ 1 - \tfrac12 e^{-z} & z \ge 0
        \end{cases}, \quad z = \frac{x - \mu}{b}.

    The score :math:`-\operatorname{sign}(x - \mu)/b` takes the value 0 at :math:`x = \mu`,
    the midpoint of the subdifferential :math:`[-1/b, 1/b]` (``jax.grad`` of ``log_prob`` gives
    :math:`-1/b` there, JAX's one-sided choice for ``abs``). CDF tails are in log space: ``log_cdf`` is
    exactly :math:`z - \log 2` below the location, ``log_survival`` :math:`-z - \log 2` above it.

    Args:
      loc: location :math:`\mu` (mean, median and mode), any shape broadcasting with ``scale``.
      scale: scale :math:`b > 0` (the variance is :math:`2b^2`).

    References:
      Johnson, Kotz and Balakrishnan (1995). Continuous Univariate Distributions, vol. 2, ch. 24
      [@johnson1995continuous2].

    Examples:
      >>> from gmath.densities import Laplace
      >>> p = Laplace(loc=1.0, scale=2.0)
      >>> round(float(p.log_prob(0.0)), 6)
      -1.886294
      >>> round(float(p.cdf(1.0)), 6), float(p.score(3.0))
      (0.5, -0.5)
    """

    loc: Any = 0.0
    scale: Any = 1.0

    def log_prob(self, x) -> jax.Array:
        z, scale = self._standardize(x, "log_prob")
        return self._at_infinity(z, -jnp.abs(z) - jnp.log(scale) - _LOG_2)

    def score(self, x) -> jax.Array:
        r""":math:`-\operatorname{sign}(x - \mu)/b`, with 0 at :math:`x = \mu`."""
        z, scale = self._standardize(x, "score")
        return -self._per_scale(jnp.sign(z), scale)

    def cdf(self, x) -> jax.Array:
        z, _ = self._standardize(x, "cdf")
        half_tail = 0.5 * jnp.exp(-jnp.abs(z))
        return jnp.where(z < 0, half_tail, 1.0 - half_tail)

    @staticmethod
    def _log_lower(z):
        # log F(z): z - log 2 below 0, log1p(-exp(-z)/2) above (both branches at safe points).
        neg = z < 0
        return jnp.where(
            neg,
            jnp.where(neg, z, 0.0) - _LOG_2,
            jnp.log1p(-0.5 * jnp.exp(-jnp.where(neg, 0.0, z))),
        )

    def log_cdf(self, x) -> jax.Array:
        z, _ = self._standardize(x, "log_cdf")
        return self._log_lower(z)

    def log_survival(self, x) -> jax.Array:
        z, _ = self._standardize(x, "log_survival")
        return self._log_lower(-z)

    def icdf(self, u) -> jax.Array:
        r"""Quantile :math:`\mu + b\log 2u` for :math:`u < 1/2`, :math:`\mu - b\log 2(1 - u)`
        above (``1 - u`` is exact there)."""
        loc, scale, u = promote(self.loc, self.scale, self._check_value(u, "icdf"))
        low = u < 0.5
        tail = jnp.where(low, u, 1.0 - u)
        return loc + scale * jnp.where(low, 1.0, -1.0) * jnp.log(2.0 * tail)

    def sample(self, key, sample_shape=()) -> jax.Array:
        loc, scale = promote(self.loc, self.scale)
        eps = jax.random.laplace(key, self._sample_shape(sample_shape), loc.dtype)
        return loc + scale * eps

    def entropy(self) -> jax.Array:
        r""":math:`1 + \log 2b`."""
        loc, scale = promote(self.loc, self.scale)
        return jnp.broadcast_to(1.0 + _LOG_2 + jnp.log(scale), self.batch_shape)

    def mean(self) -> jax.Array:
        loc, scale = promote(self.loc, self.scale)
        return jnp.broadcast_to(loc, self.batch_shape)

    def mode(self) -> jax.Array:
        return self.mean()

    def variance(self) -> jax.Array:
        r""":math:`2b^2`."""
        loc, scale = promote(self.loc, self.scale)
        return jnp.broadcast_to(2.0 * scale * scale, self.batch_shape)
