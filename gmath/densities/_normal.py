"""The univariate normal distribution."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from gmath._numerics import log_ndtr, ndtr, ndtri, promote
from gmath.densities._base import Distribution, distribution
from gmath.densities._location_scale import LocationScale

__all__ = ["Normal"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


@distribution
class Normal(LocationScale, Distribution):
    r"""Normal distribution :math:`\mathcal N(\mu, \sigma^2)`.

    .. math::
        \log p(x) = -\frac{(x - \mu)^2}{2\sigma^2} - \log\sigma - \tfrac12\log 2\pi,
        \qquad \nabla_x \log p(x) = -\frac{x - \mu}{\sigma^2}.

    Args:
      loc: mean :math:`\mu`, any shape broadcasting with ``scale``.
      scale: standard deviation :math:`\sigma > 0`.

    Moments and entropy: :math:`\mathbb E X = \text{mode} = \mu`,
    :math:`\operatorname{Var} X = \sigma^2`, :math:`H = \tfrac12 + \tfrac12\log 2\pi + \log\sigma`;
    :math:`F(x) = \Phi((x - \mu)/\sigma)` and :math:`F^{-1}(u) = \mu + \sigma\Phi^{-1}(u)`.
    ``sample`` is the reparameterised :math:`\mu + \sigma\varepsilon`.

    The log-CDF and log-survival use gmath's own ``log_ndtr`` (``gmath._numerics``; JAX's
    ``jax.scipy.special.log_ndtr`` is inaccurate in parts of its range): an asymptotic series
    below :math:`z = -30` (float64), so ``Normal().log_cdf(-200.)`` matches
    ``scipy.stats.norm.logcdf`` to rounding and the lower tail stays finite down to
    :math:`z \approx -10^{150}`.

    References:
      Johnson, Kotz and Balakrishnan (1994). Continuous Univariate Distributions, vol. 1, 2nd
      ed., ch. 13. Wiley [@johnson1994continuous1].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.densities import Normal
      >>> p = Normal(loc=0.0, scale=2.0)
      >>> round(float(p.log_prob(1.0)), 6)
      -1.737086
      >>> round(float(p.cdf(0.0)), 6)
      0.5
    """

    loc: Any = 0.0
    scale: Any = 1.0

    def log_prob(self, x) -> jax.Array:
        z, scale = self._standardize(x)
        return self._at_infinity(z, -0.5 * z * z - jnp.log(scale) - _HALF_LOG_2PI)

    def score(self, x) -> jax.Array:
        z, scale = self._standardize(x)
        return -self._per_scale(z, scale)

    def cdf(self, x) -> jax.Array:
        r""":math:`\Phi((x - \mu)/\sigma)`.

        Args:
          x: values with shape ``sample_shape + batch_shape`` (broadcasting).

        Returns:
          Array of the broadcast shape.
        """
        z, _ = self._standardize(x)
        return ndtr(z)

    def log_cdf(self, x) -> jax.Array:
        r""":math:`\log\Phi((x - \mu)/\sigma)`, accurate deep in the lower tail.

        Args:
          x: values with shape ``sample_shape + batch_shape`` (broadcasting).

        Returns:
          Array of the broadcast shape.
        """
        z, _ = self._standardize(x)
        return log_ndtr(z)

    def log_survival(self, x) -> jax.Array:
        r""":math:`\log(1 - \Phi((x - \mu)/\sigma)) = \log\Phi(-(x - \mu)/\sigma)`.

        Args:
          x: values with shape ``sample_shape + batch_shape`` (broadcasting).

        Returns:
          Array of the broadcast shape.
        """
        z, _ = self._standardize(x)
        return log_ndtr(-z)

    def icdf(self, u) -> jax.Array:
        r"""Quantile :math:`\mu + \sigma\,\Phi^{-1}(u)`.

        Args:
          u: probabilities in :math:`[0, 1]`, shape ``sample_shape + batch_shape`` (broadcasting).

        Returns:
          Array of the broadcast shape.
        """
        loc, scale, u = promote(self.loc, self.scale, self._check_value(u, "icdf"))
        return loc + scale * ndtri(u)

    def sample(self, key, sample_shape=()) -> jax.Array:
        loc, scale = promote(self.loc, self.scale)
        eps = jax.random.normal(key, self._sample_shape(sample_shape), loc.dtype)
        return loc + scale * eps

    def entropy(self) -> jax.Array:
        r""":math:`\tfrac12 + \tfrac12\log 2\pi + \log\sigma`.

        Returns:
          Array of shape ``batch_shape``.
        """
        loc, scale = promote(self.loc, self.scale)
        return jnp.broadcast_to(0.5 + _HALF_LOG_2PI + jnp.log(scale), self.batch_shape)

    def mean(self) -> jax.Array:
        loc, scale = promote(self.loc, self.scale)
        return jnp.broadcast_to(loc, self.batch_shape)

    def mode(self) -> jax.Array:
        return self.mean()

    def variance(self) -> jax.Array:
        loc, scale = promote(self.loc, self.scale)
        return jnp.broadcast_to(scale * scale, self.batch_shape)
