"""The univariate normal distribution."""

from __future__ import annotations

import math
from typing import Any

import jax

from gmath._numerics import log_ndtr, ndtr, ndtri
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

    # the standard normal law
    _std_log_norm = _HALF_LOG_2PI
    _std_entropy = 0.5 + _HALF_LOG_2PI
    _std_variance = 1.0

    @staticmethod
    def _std_log_kernel(z):
        return -0.5 * z * z

    @staticmethod
    def _std_score(z):
        return -z

    _std_cdf = staticmethod(ndtr)
    _std_log_cdf = staticmethod(log_ndtr)
    _std_icdf = staticmethod(ndtri)

    @staticmethod
    def _std_sample(key, shape, dtype):
        return jax.random.normal(key, shape, dtype)
