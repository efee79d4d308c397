"""The exponential distribution."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from gmath._numerics import finite_positive, log1mexp, promote
from gmath.densities._base import Distribution, distribution

__all__ = ["Exponential"]


@distribution
class Exponential(Distribution):
    r"""Exponential distribution with rate :math:`\lambda`, supported on :math:`[0, \infty)`.

    .. math::
        \log p(x) = \log\lambda - \lambda x, \qquad F(x) = 1 - e^{-\lambda x},
        \qquad \nabla_x \log p(x) = -\lambda \quad (x \ge 0).

    Outside the support (:math:`x < 0`) ``log_prob`` is :math:`-\infty` with a zero gradient,
    ``cdf`` is 0, ``log_cdf`` is :math:`-\infty` and ``log_survival`` is 0. The log-CDF is
    :math:`\log(1 - e^{-\lambda x})` by ``log1mexp``, accurate for tiny and huge
    :math:`\lambda x`.

    Args:
      rate: rate :math:`\lambda > 0` (the mean is :math:`1/\lambda`), any shape.

    References:
      Johnson, Kotz and Balakrishnan (1994). Continuous Univariate Distributions, vol. 1, ch. 19
      [@johnson1994continuous1].

    Examples:
      >>> from gmath.densities import Exponential
      >>> p = Exponential(rate=2.0)
      >>> round(float(p.log_prob(1.0)), 6)
      -1.306853
      >>> round(float(p.cdf(0.5)), 6)
      0.632121
      >>> float(p.log_prob(-1.0))
      -inf
    """

    rate: Any = 1.0

    _param_event_ndims = {"rate": 0}

    def _constraints(self):
        return [(finite_positive(self.rate), "rate must be positive and finite.")]

    def _prepare(self, x, method):
        x = self._check_value(x, method)
        rate, x = promote(self.rate, x)
        return rate, x

    @staticmethod
    def _clamped(x):
        """``(max(x, 0) with +inf replaced by 0, x == +inf)``: the limits at ``+inf`` are taken
        explicitly, with zero gradients (not ``inf * 0``)."""
        top = x == jnp.inf
        return jnp.where(top, 0.0, jnp.maximum(x, 0.0)), top

    def log_prob(self, x) -> jax.Array:
        rate, x = self._prepare(x, "log_prob")
        inside = (x >= 0) & (x < jnp.inf)
        x_safe = jnp.where(inside, x, 0.0)
        return jnp.where(inside, jnp.log(rate) - rate * x_safe, -jnp.inf)

    def score(self, x) -> jax.Array:
        r""":math:`-\lambda` on the support, 0 outside (the gradient of the constant
        :math:`-\infty`)."""
        rate, x = self._prepare(x, "score")
        rate, x = jnp.broadcast_arrays(rate, x)
        return jnp.where(x >= 0, -rate, jnp.zeros_like(x))

    def cdf(self, x) -> jax.Array:
        r""":math:`1 - e^{-\lambda x}` (``-expm1``), 0 for :math:`x < 0`."""
        rate, x = self._prepare(x, "cdf")
        x_c, top = self._clamped(x)
        return jnp.where(top, 1.0, -jnp.expm1(-rate * x_c))

    def log_cdf(self, x) -> jax.Array:
        r""":math:`\log(1 - e^{-\lambda x})`, :math:`-\infty` for :math:`x \le 0`."""
        rate, x = self._prepare(x, "log_cdf")
        inside = (x > 0) & (x < jnp.inf)
        x_safe = jnp.where(inside, x, 1.0)
        return jnp.where(inside, log1mexp(-rate * x_safe), jnp.where(x > 0, 0.0, -jnp.inf))

    def log_survival(self, x) -> jax.Array:
        r""":math:`\log(1 - F(x)) = -\lambda \max(x, 0)`."""
        rate, x = self._prepare(x, "log_survival")
        x_c, top = self._clamped(x)
        return jnp.where(top, -jnp.inf, -rate * x_c)

    def icdf(self, u) -> jax.Array:
        r"""Quantile :math:`-\log(1 - u) / \lambda` (``log1p``)."""
        rate, u = self._prepare(u, "icdf")
        return -jnp.log1p(-u) / rate

    def sample(self, key, sample_shape=()) -> jax.Array:
        (rate,) = promote(self.rate)
        e = jax.random.exponential(key, self._sample_shape(sample_shape), rate.dtype)
        return e / rate

    def entropy(self) -> jax.Array:
        r""":math:`1 - \log\lambda`."""
        (rate,) = promote(self.rate)
        return jnp.broadcast_to(1.0 - jnp.log(rate), self.batch_shape)

    def mean(self) -> jax.Array:
        r""":math:`1/\lambda`."""
        (rate,) = promote(self.rate)
        return jnp.broadcast_to(1.0 / rate, self.batch_shape)

    def variance(self) -> jax.Array:
        r""":math:`1/\lambda^2`."""
        (rate,) = promote(self.rate)
        return jnp.broadcast_to(1.0 / (rate * rate), self.batch_shape)

    def mode(self) -> jax.Array:
        r"""0."""
        (rate,) = promote(self.rate)
        return jnp.zeros(self.batch_shape, rate.dtype)
