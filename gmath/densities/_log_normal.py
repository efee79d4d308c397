"""The log-normal distribution."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from gmath._numerics import finite_positive, log_ndtr, ndtr, ndtri, promote, standardize
from gmath.densities._base import Distribution, distribution
from gmath.densities._finite_loc import loc_is_finite, loc_mask

__all__ = ["LogNormal"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


@distribution
class LogNormal(Distribution):
    r"""Log-normal distribution: :math:`\log X \sim \mathcal N(\mu, \sigma^2)`, on
    :math:`(0, \infty)`.

    .. math::
        \log p(x) = -\frac{(\log x - \mu)^2}{2\sigma^2} - \log x - \log\sigma
        - \tfrac12\log 2\pi, \qquad F(x) = \Phi\Bigl(\frac{\log x - \mu}{\sigma}\Bigr).

    For :math:`x \le 0` ``log_prob`` is :math:`-\infty` with a zero gradient, ``cdf`` 0,
    ``log_cdf`` :math:`-\infty` and ``log_survival`` 0. Tails use gmath's ``log_ndtr``.
    Score :math:`-(1 + (\log x - \mu)/\sigma^2)/x`; mean :math:`e^{\mu + \sigma^2/2}`, variance
    :math:`(e^{\sigma^2} - 1) e^{2\mu + \sigma^2}` (``expm1``), mode :math:`e^{\mu - \sigma^2}`,
    entropy :math:`\mu + \tfrac12 + \log\sigma + \tfrac12\log 2\pi`.

    Args:
      loc: mean :math:`\mu` of :math:`\log X`, finite, any shape broadcasting with ``scale``.
      scale: standard deviation :math:`\sigma > 0` of :math:`\log X`.

    References:
      Johnson, Kotz and Balakrishnan (1994). Continuous Univariate Distributions, vol. 1, ch. 14
      [@johnson1994continuous1].

    Examples:
      >>> from gmath.densities import LogNormal
      >>> p = LogNormal(loc=0.0, scale=1.0)
      >>> round(float(p.log_prob(1.0)), 6), round(float(p.cdf(1.0)), 6)
      (-0.918939, 0.5)
      >>> round(float(p.mean()), 6), float(p.log_prob(0.0))
      (1.648721, -inf)
    """

    loc: Any = 0.0
    scale: Any = 1.0

    _param_event_ndims = {"loc": 0, "scale": 0}

    def _constraints(self):
        # an infinite loc is no distribution (its mean would be 0 or inf, its log-density -inf
        # everywhere): invalid like an infinite scale
        return [
            (loc_is_finite(self.loc), "loc must be finite."),
            (finite_positive(self.scale), "scale must be positive and finite."),
        ]

    def _promoted(self, *values):
        """``(loc, scale, *values)`` in one dtype; where ``loc`` is not finite, the parameters
        are NaN (and so every derivative through them)."""
        loc, scale, *rest = promote(self.loc, self.scale, *values)
        m = loc_mask(loc)
        return (loc * m, scale * m, *rest)

    def _standardize(self, x, method):
        # z = (log x - mu) / sigma at the safe point x = 1 outside the support.
        x = self._check_value(x, method)
        loc, scale, x = self._promoted(x)
        # x = +inf: log x = +inf as a constant (no derivative path), so z = +inf
        inside = x > 0
        finite = inside & (x < jnp.inf)
        log_x = jnp.where(finite | ~inside, jnp.log(jnp.where(finite, x, 1.0)), jnp.inf)
        return standardize(log_x, loc, scale), log_x, scale, inside

    def log_prob(self, x) -> jax.Array:
        z, log_x, scale, inside = self._standardize(x, "log_prob")
        value = -0.5 * z * z - log_x - jnp.log(scale) - _HALF_LOG_2PI
        return jnp.where(inside & (z < jnp.inf), value, -jnp.inf)

    def score(self, x) -> jax.Array:
        r""":math:`-(1 + (\log x - \mu)/\sigma^2)/x` for :math:`x > 0`, 0 outside (and at
        :math:`+\infty`, its limit)."""
        z, log_x, scale, inside = self._standardize(x, "score")
        inside = inside & (z < jnp.inf)
        x_safe = jnp.exp(jnp.where(inside, log_x, 0.0))
        z_over_scale = standardize(jnp.where(inside, z, 0.0), 0.0, scale)  # no overflow in d/dscale
        return jnp.where(inside, -(1.0 + z_over_scale) / x_safe, 0.0)

    def cdf(self, x) -> jax.Array:
        z, _, _, inside = self._standardize(x, "cdf")
        return jnp.where(inside, ndtr(z), 0.0)

    def log_cdf(self, x) -> jax.Array:
        z, _, _, inside = self._standardize(x, "log_cdf")
        return jnp.where(inside, log_ndtr(z), -jnp.inf)

    def log_survival(self, x) -> jax.Array:
        z, _, _, inside = self._standardize(x, "log_survival")
        return jnp.where(inside, log_ndtr(-z), 0.0)

    def icdf(self, u) -> jax.Array:
        r"""Quantile :math:`\exp(\mu + \sigma\,\Phi^{-1}(u))`."""
        loc, scale, u = self._promoted(self._check_value(u, "icdf"))
        return jnp.exp(loc + scale * ndtri(u))

    def sample(self, key, sample_shape=()) -> jax.Array:
        loc, scale = self._promoted()
        eps = jax.random.normal(key, self._sample_shape(sample_shape), loc.dtype)
        return jnp.exp(loc + scale * eps)

    def entropy(self) -> jax.Array:
        r""":math:`\mu + \tfrac12 + \log\sigma + \tfrac12\log 2\pi`."""
        loc, scale = self._promoted()
        return jnp.broadcast_to(loc + 0.5 + _HALF_LOG_2PI + jnp.log(scale), self.batch_shape)

    def mean(self) -> jax.Array:
        r""":math:`e^{\mu + \sigma^2/2}`."""
        loc, scale = self._promoted()
        return jnp.broadcast_to(jnp.exp(loc + 0.5 * scale * scale), self.batch_shape)

    def variance(self) -> jax.Array:
        r""":math:`(e^{\sigma^2} - 1)\,e^{2\mu + \sigma^2}`."""
        loc, scale = self._promoted()
        s2 = scale * scale
        return jnp.broadcast_to(jnp.expm1(s2) * jnp.exp(2.0 * loc + s2), self.batch_shape)

    def mode(self) -> jax.Array:
        r""":math:`e^{\mu - \sigma^2}`."""
        loc, scale = self._promoted()
        return jnp.broadcast_to(jnp.exp(loc - scale * scale), self.batch_shape)
