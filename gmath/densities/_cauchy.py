"""The Cauchy distribution."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from gmath._numerics import standardize, z_over_1p_square
from gmath.densities._base import Distribution, distribution
from gmath.densities._location_scale import LocationScale

__all__ = ["Cauchy"]

_LOG_PI = math.log(math.pi)


def _log_cauchy_kernel(z):
    r""":math:`\log(1 + z^2)` for Cauchy's ``log_prob``: ``log(1 + z**2)``, one ``log`` per
    point (cheaper than ``log1p`` on XLA:CPU), and :math:`2\log|z|` above :math:`1/\varepsilon`
    as in :func:`gmath._numerics.log1p_square`. Rounding :math:`1 + z^2` costs at most half an ulp of 1 in
    absolute terms, within the conditioning of the Cauchy log-density: its derivative in
    :math:`\log\gamma` is :math:`2z^2/(1 + z^2) - 1`, of size 1 where :math:`z^2 \ll 1`
    (Student's t, whose factor :math:`(\nu + 1)/2` would amplify it, keeps ``log1p``)."""
    a = jnp.abs(z)
    top = 1.0 / jnp.finfo(a.dtype).eps
    big = a > top
    a_small = jnp.minimum(a, top)
    log_term = jnp.log(jnp.where(big, a, 1 + a_small * a_small))
    return jnp.where(big, 2.0 * log_term, log_term)


@distribution
class Cauchy(LocationScale, Distribution):
    r"""Cauchy distribution with location :math:`\mu` and scale :math:`\gamma`.

    .. math::
        \log p(x) = -\log\pi\gamma - \log(1 + z^2), \qquad
        F(x) = \tfrac12 + \tfrac1\pi\arctan z = \tfrac1\pi\operatorname{atan2}(1, -z),
        \quad z = \frac{x - \mu}{\gamma}.

    The ``atan2`` form keeps the relative accuracy of both tails (:math:`F(z) \approx
    1/(\pi|z|)` as :math:`z \to -\infty`); :math:`\log(1 + z^2)` is evaluated as
    :math:`2\log|z|` once :math:`z^2` exceeds :math:`4/\varepsilon`, so ``log_prob(1e200)`` and
    its gradient are finite. The score is :math:`-2z/(\gamma(1 + z^2))`.

    The mean and the variance do not exist: ``mean()`` and ``variance()`` return NaN (as
    ``scipy.stats.cauchy``). The median and mode are :math:`\mu`.

    Args:
      loc: location :math:`\mu`, any shape broadcasting with ``scale``.
      scale: scale :math:`\gamma > 0` (half the interquartile range).

    References:
      Johnson, Kotz and Balakrishnan (1994). Continuous Univariate Distributions, vol. 1, ch. 16
      [@johnson1994continuous1].

    Examples:
      >>> from gmath.densities import Cauchy
      >>> p = Cauchy(loc=0.0, scale=1.0)
      >>> round(float(p.log_prob(1.0)), 6), round(float(p.cdf(1.0)), 6)
      (-1.837877, 0.75)
      >>> round(float(p.icdf(0.75)), 6)
      1.0
    """

    loc: Any = 0.0
    scale: Any = 1.0

    def log_prob(self, x) -> jax.Array:
        x = self._check_value(x, "log_prob")
        loc, scale, x = self._loc_scale(x)
        # far out (|z| > 1/eps), log p = log(scale) - 2 log|x - loc| - log(pi), whose scale
        # derivative 1/scale does not pass through dz/dscale = -z/scale (which overflows, e.g.
        # float32 z = 1e24 at scale 1e-30); each branch runs at safe points of the other
        far = jnp.abs(jax.lax.stop_gradient((x - loc) / scale)) > 1.0 / jnp.finfo(scale.dtype).eps
        z = standardize(jnp.where(far, loc, x), loc, scale)
        value = (-_LOG_PI - jnp.log(scale)) - _log_cauchy_kernel(z)
        finite = far & jnp.isfinite(x)
        gap = jnp.abs(jnp.where(finite, x - loc, 1.0))
        value_far = jnp.where(finite, jnp.log(scale) - 2.0 * jnp.log(gap) - _LOG_PI, -jnp.inf)
        return jnp.where(far, value_far, value)

    # the standard Cauchy law, density 1/(pi (1 + z^2)); no mean, no variance
    _std_log_norm = _LOG_PI
    _std_entropy = math.log(4.0 * math.pi)
    _std_mean = math.nan
    _std_variance = math.nan

    @staticmethod
    def _std_log_kernel(z):
        return -_log_cauchy_kernel(z)

    @staticmethod
    def _std_score(z):
        return -2.0 * z_over_1p_square(z)

    @staticmethod
    def _std_cdf(z):
        return jnp.arctan2(1.0, -z) / jnp.pi

    @staticmethod
    def _std_log_cdf(z):
        r""":math:`\log(\operatorname{atan2}(1, -z)/\pi)`: directly where it is at most 1/2
        (:math:`z \le 0`), else :math:`\log(1 - q)` by ``log1p`` of the complement
        :math:`q = \operatorname{atan2}(1, z)/\pi`, which keeps the digits of values near 0."""
        t = -z
        near_one = t < 0
        direct = jnp.log(jnp.arctan2(1.0, jnp.where(near_one, 0.0, t))) - _LOG_PI
        complement = jnp.log1p(-jnp.arctan2(1.0, -jnp.where(near_one, t, 0.0)) / jnp.pi)
        return jnp.where(near_one, complement, direct)

    @staticmethod
    def _std_icdf(u):
        r""":math:`\tan(\pi(u - \tfrac12))`, evaluated as :math:`-1/\tan(\pi u)` for
        :math:`u < 1/4` and :math:`1/\tan(\pi(1 - u))` for :math:`u > 3/4`, away from the pole
        of the tangent."""
        low = u < 0.25
        high = u > 0.75
        mid = ~(low | high)
        z_mid = jnp.tan(jnp.pi * (jnp.where(mid, u, 0.5) - 0.5))
        z_low = -1.0 / jnp.tan(jnp.pi * jnp.where(low, u, 0.25))
        z_high = 1.0 / jnp.tan(jnp.pi * (1.0 - jnp.where(high, u, 0.75)))
        return jnp.where(low, z_low, jnp.where(high, z_high, z_mid))

    @staticmethod
    def _std_sample(key, shape, dtype):
        return jax.random.cauchy(key, shape, dtype)
