"""The Laplace (double exponential) distribution."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

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

    # the standard Laplace law, density e^{-|z|}/2
    _std_log_norm = _LOG_2
    _std_entropy = 1.0 + _LOG_2
    _std_variance = 2.0

    @staticmethod
    def _std_log_kernel(z):
        return -jnp.abs(z)

    @staticmethod
    def _std_score(z):
        # -sign(z), 0 at z = 0 (the midpoint of the subdifferential)
        return -jnp.sign(z)

    @staticmethod
    def _std_cdf(z):
        half_tail = 0.5 * jnp.exp(-jnp.abs(z))
        return jnp.where(z < 0, half_tail, 1.0 - half_tail)

    @staticmethod
    def _std_log_cdf(z):
        # log F(z): z - log 2 below 0, log1p(-exp(-z)/2) above (both branches at safe points).
        neg = z < 0
        return jnp.where(
            neg,
            jnp.where(neg, z, 0.0) - _LOG_2,
            jnp.log1p(-0.5 * jnp.exp(-jnp.where(neg, 0.0, z))),
        )

    @staticmethod
    def _std_icdf(u):
        # log 2u for u < 1/2, -log 2(1 - u) above (1 - u is exact there)
        low = u < 0.5
        tail = jnp.where(low, u, 1.0 - u)
        return jnp.where(low, 1.0, -1.0) * jnp.log(2.0 * tail)

    @staticmethod
    def _std_sample(key, shape, dtype):
        return jax.random.laplace(key, shape, dtype)
