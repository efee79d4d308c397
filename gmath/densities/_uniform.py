"""The continuous uniform distribution."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from gmath._numerics import promote
from gmath.densities._base import Distribution, distribution

__all__ = ["Uniform"]


@distribution
class Uniform(Distribution):
    r"""Uniform distribution on the closed interval :math:`[a, b]`.

    .. math::
        \log p(x) = -\log(b - a) \quad (a \le x \le b), \qquad
        F(x) = \min\bigl(\max\bigl(\tfrac{x - a}{b - a}, 0\bigr), 1\bigr).

    Outside :math:`[a, b]` ``log_prob`` is :math:`-\infty` with a zero gradient; the score is 0
    everywhere. Every point of :math:`[a, b]` is a mode: ``mode()`` returns the midpoint.

    Args:
      low: lower end :math:`a`, any shape broadcasting with ``high``.
      high: upper end :math:`b > a`.

    References:
      Johnson, Kotz and Balakrishnan (1995). Continuous Univariate Distributions, vol. 2, ch. 26
      [@johnson1995continuous2].

    Examples:
      >>> from gmath.densities import Uniform
      >>> p = Uniform(low=-1.0, high=3.0)
      >>> round(float(p.log_prob(0.0)), 6)
      -1.386294
      >>> float(p.cdf(2.0)), float(p.log_prob(4.0))
      (0.75, -inf)
    """

    low: Any = 0.0
    high: Any = 1.0

    _param_event_ndims = {"low": 0, "high": 0}

    def _constraints(self):
        return [(jnp.asarray(self.low) < jnp.asarray(self.high), "low must be below high.")]

    def _prepare(self, x, method):
        x = self._check_value(x, method)
        return promote(self.low, self.high, x)

    def log_prob(self, x) -> jax.Array:
        low, high, x = self._prepare(x, "log_prob")
        inside = (x >= low) & (x <= high)
        outside = jnp.where(low < high, -jnp.inf, jnp.nan)  # NaN for invalid parameters
        return jnp.where(inside, -jnp.log(high - low), outside)

    def score(self, x) -> jax.Array:
        r"""0 everywhere (the density is constant on the support and :math:`-\infty` off it)."""
        low, high, x = self._prepare(x, "score")
        return jnp.zeros(jnp.broadcast_shapes(low.shape, high.shape, x.shape), x.dtype)

    def cdf(self, x) -> jax.Array:
        r""":math:`(x - a)/(b - a)` clipped to :math:`[0, 1]`."""
        low, high, x = self._prepare(x, "cdf")
        # clip x first: beyond the ends the value is a constant, with zero (not inf * 0)
        # derivatives also at x = +-inf
        value = (jnp.clip(x, low, high) - low) / (high - low)
        return jnp.where(low < high, value, jnp.nan)

    def log_cdf(self, x) -> jax.Array:
        r""":math:`\log(x - a) - \log(b - a)` on the support, :math:`-\infty` below, 0 above."""
        low, high, x = self._prepare(x, "log_cdf")
        return self._log_fraction(x - low, high - low)

    def log_survival(self, x) -> jax.Array:
        r""":math:`\log(b - x) - \log(b - a)` on the support, 0 below, :math:`-\infty` above."""
        low, high, x = self._prepare(x, "log_survival")
        return self._log_fraction(high - x, high - low)

    @staticmethod
    def _log_fraction(distance, width):
        # log(clip(distance / width, 0, 1)) with a zero (not NaN) gradient where it is clipped.
        inside = (distance > 0) & (distance < width)
        safe = jnp.where(inside, distance, 0.5 * width)
        value = jnp.log(safe) - jnp.log(width)
        outside = jnp.where(distance <= 0, -jnp.inf, 0.0)
        return jnp.where(inside, value, jnp.where(width > 0, outside, jnp.nan))

    def icdf(self, u) -> jax.Array:
        r"""Quantile :math:`a + u\,(b - a)`."""
        low, high, u = self._prepare(u, "icdf")
        return low + u * (high - low)

    def sample(self, key, sample_shape=()) -> jax.Array:
        low, high = promote(self.low, self.high)
        u = jax.random.uniform(key, self._sample_shape(sample_shape), low.dtype)
        return low + u * (high - low)

    def entropy(self) -> jax.Array:
        r""":math:`\log(b - a)`."""
        low, high = promote(self.low, self.high)
        return jnp.broadcast_to(jnp.log(high - low), self.batch_shape)

    def mean(self) -> jax.Array:
        r""":math:`(a + b)/2`, computed as :math:`a + (b - a)/2`."""
        low, high = promote(self.low, self.high)
        return jnp.broadcast_to(low + 0.5 * (high - low), self.batch_shape)

    def variance(self) -> jax.Array:
        r""":math:`(b - a)^2 / 12`."""
        low, high = promote(self.low, self.high)
        width = high - low
        return jnp.broadcast_to(width * width / 12.0, self.batch_shape)

    def mode(self) -> jax.Array:
        r"""The midpoint (every point of :math:`[a, b]` maximises the density)."""
        return self.mean()
