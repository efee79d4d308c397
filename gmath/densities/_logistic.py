"""The logistic distribution."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from gmath._numerics import log1pexp
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

    # the standard logistic law, density e^{-z}/(1 + e^{-z})^2
    _std_entropy = 2.0
    _std_variance = _PI_SQ_OVER_3

    @staticmethod
    def _std_log_kernel(z):
        a = jnp.abs(z)
        return -a - 2.0 * log1pexp(-a)

    @staticmethod
    def _std_score(z):
        return -jnp.tanh(0.5 * z)

    _std_cdf = staticmethod(jax.nn.sigmoid)

    @staticmethod
    def _std_log_cdf(z):
        return -log1pexp(-z)

    @staticmethod
    def _std_icdf(u):
        # log u - log(1 - u) (log1p)
        return jnp.log(u) - jnp.log1p(-u)

    @staticmethod
    def _std_sample(key, shape, dtype):
        return jax.random.logistic(key, shape, dtype)
