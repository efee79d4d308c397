"""The Gumbel (type-I extreme value, maximum) distribution."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from gmath._numerics import log1mexp
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

    # the standard Gumbel law, density exp(-z - e^{-z})
    _std_entropy = _EULER_GAMMA + 1.0
    _std_mean = _EULER_GAMMA
    _std_variance = _PI_SQ_OVER_6

    @staticmethod
    def _std_log_kernel(z):
        return -z - jnp.exp(-z)

    @staticmethod
    def _std_score(z):
        return jnp.expm1(-z)

    @staticmethod
    def _std_cdf(z):
        return jnp.exp(-jnp.exp(-z))

    @staticmethod
    def _std_log_cdf(z):
        return -jnp.exp(-z)

    @staticmethod
    def _std_log_survival(z):
        # log(1 - exp(-u)), u = e^{-z}; for u < 1e-5 its series log u - u/2 + u^2/24 (exact to
        # rounding), which stays finite (about -z) where u underflows
        u = jnp.exp(-z)
        small = z > _SERIES_START
        u_s = jnp.where(small, u, 0.0)
        series = -jnp.where(small, z, 0.0) - 0.5 * u_s + u_s * u_s / 24.0
        return jnp.where(small, series, log1mexp(-jnp.where(small, 1.0, u)))

    @staticmethod
    def _std_icdf(u):
        return -jnp.log(-jnp.log(u))

    @staticmethod
    def _std_sample(key, shape, dtype):
        return jax.random.gumbel(key, shape, dtype)
