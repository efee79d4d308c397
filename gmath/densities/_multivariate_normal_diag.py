"""The multivariate normal distribution with a diagonal covariance."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from gmath._numerics import finite_positive, promote, standardize
from gmath.densities._base import Distribution, distribution
from gmath.densities._finite_loc import loc_is_finite, loc_mask
from gmath.densities._multivariate_normal import _batch_shape

__all__ = ["MultivariateNormalDiag"]

_LOG_2PI = math.log(2 * math.pi)


@distribution
class MultivariateNormalDiag(Distribution):
    r"""Multivariate normal with diagonal covariance :math:`\mathcal N(\mu, \operatorname{diag}(s)^2)`.

    .. math::
        \log p(x) = -\tfrac12 \sum_{i=1}^d \Big(\frac{x_i - \mu_i}{s_i}\Big)^2
                    - \sum_{i=1}^d \log s_i - \tfrac d2 \log 2\pi,
        \qquad \nabla_x \log p(x) = -\frac{x - \mu}{s^2}.

    The same law as ``MultivariateNormal(loc, scale_tril=diag(scale_diag))`` and as
    ``Independent(Normal(loc, scale_diag), 1)``, in :math:`O(d)` per point.

    Args:
      loc: mean :math:`\mu`, shape ``batch + (d,)``, every coordinate finite.
      scale_diag: standard deviations :math:`s_i > 0`, shape ``batch + (d,)``; the last
        dimensions of ``loc`` and ``scale_diag`` broadcast (a size-1 one repeats).

    ``event_shape`` is ``(d,)``.

    References:
      Anderson, T. W. (2003). An Introduction to Multivariate Statistical Analysis, 3rd ed.,
      ch. 2. Wiley [@anderson2003multivariate].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.densities import MultivariateNormalDiag
      >>> p = MultivariateNormalDiag(jnp.zeros(2), jnp.array([1.0, 2.0]))
      >>> round(float(p.log_prob(jnp.array([1.0, 2.0]))), 5)
      -3.53102
      >>> [round(float(v), 6) for v in p.variance()]
      [1.0, 4.0]
    """

    loc: Any
    scale_diag: Any

    _param_event_ndims = {"loc": 1, "scale_diag": 1}
    _event_ndims = 1

    @property
    def event_shape(self) -> tuple[int, ...]:
        loc_shape = tuple(jnp.shape(self.loc))
        scale_shape = tuple(jnp.shape(self.scale_diag))
        if not loc_shape or not scale_shape:
            raise ValueError(
                f"MultivariateNormalDiag: loc (shape {loc_shape}) and scale_diag (shape "
                f"{scale_shape}) need at least 1 dimension."
            )
        a, b = loc_shape[-1], scale_shape[-1]
        if a != b and 1 not in (a, b):
            raise ValueError(
                f"MultivariateNormalDiag: loc with shape {loc_shape} and scale_diag with shape "
                f"{scale_shape} disagree in the event size (last dimension)."
            )
        return (max(a, b),)

    @property
    def batch_shape(self) -> tuple[int, ...]:
        _ = self.event_shape
        return _batch_shape(
            "MultivariateNormalDiag", loc=(self.loc, 1), scale_diag=(self.scale_diag, 1)
        )

    def _constraints(self):
        return [
            (loc_is_finite(self.loc, 1), "loc must be finite."),
            (
                jnp.all(finite_positive(self.scale_diag), -1),
                "scale_diag must be positive and finite.",
            ),
        ]

    def _promoted(self, *values):
        """``(loc, scale_diag, *values)`` in one dtype; where ``loc`` is not finite, the
        parameters are NaN (and so every derivative through them)."""
        loc, scale, *rest = promote(self.loc, self.scale_diag, *values)
        m = loc_mask(loc, 1)
        return (loc * m, scale * m, *rest)

    def _standardize(self, x, method):
        x = self._check_value(x, method)
        loc, scale, x = self._promoted(x)
        return standardize(x, loc, scale), scale  # no overflow in d/dscale for tiny scales

    def _full(self, value):
        return jnp.broadcast_to(value, self.batch_shape + self.event_shape)

    def log_prob(self, x) -> jax.Array:
        z, scale = self._standardize(x, "log_prob")
        d = self.event_shape[0]
        log_scale = jnp.sum(jnp.broadcast_to(jnp.log(scale), scale.shape[:-1] + (d,)), -1)
        return -0.5 * jnp.sum(z * z, -1) - log_scale - 0.5 * d * _LOG_2PI

    def score(self, x) -> jax.Array:
        r""":math:`-(x - \mu)/s^2`.

        Args:
          x: values with shape ``sample_shape + batch_shape + event_shape`` (broadcasting).

        Returns:
          Array with the shape of ``x`` broadcast against ``batch_shape + event_shape``.
        """
        z, scale = self._standardize(x, "score")
        return -standardize(z, 0.0, scale)

    def sample(self, key, sample_shape=()) -> jax.Array:
        r""":math:`\mu + s \odot \varepsilon` with :math:`\varepsilon \sim \mathcal N(0, I)`.

        Args:
          key: a ``jax.random`` key.
          sample_shape: leading shape of independent draws (an int or a tuple).

        Returns:
          Array of shape ``sample_shape + batch_shape + event_shape``, dtype of the parameters.
        """
        loc, scale = self._promoted()
        eps = jax.random.normal(key, self._sample_shape(sample_shape), loc.dtype)
        return loc + scale * eps

    def entropy(self) -> jax.Array:
        r""":math:`\tfrac d2(1 + \log 2\pi) + \sum_i \log s_i`.

        Returns:
          Array of shape ``batch_shape``.
        """
        loc, scale = self._promoted()
        d = self.event_shape[0]
        log_scale = jnp.sum(self._full(jnp.log(scale)), -1)
        return 0.5 * d * (1.0 + _LOG_2PI) + log_scale

    def mean(self) -> jax.Array:
        loc, _ = self._promoted()
        return self._full(loc)

    def mode(self) -> jax.Array:
        return self.mean()

    def variance(self) -> jax.Array:
        _, scale = promote(self.loc, self.scale_diag)
        return self._full(scale * scale)

    @property
    def scale_tril(self) -> jax.Array:
        r""":math:`\operatorname{diag}(s)`, shape ``batch + (d, d)``."""
        _, scale = promote(self.loc, self.scale_diag)
        scale = self._full(scale)
        return scale[..., :, None] * jnp.eye(scale.shape[-1], dtype=scale.dtype)

    def covariance(self) -> jax.Array:
        r""":math:`\operatorname{diag}(s^2)`, shape ``batch + (d, d)``.

        Returns:
          Array of shape ``batch_shape + (d, d)``.
        """
        var = self.variance()
        return var[..., :, None] * jnp.eye(var.shape[-1], dtype=var.dtype)

    def precision_matrix(self) -> jax.Array:
        r""":math:`\operatorname{diag}(s^{-2})`, shape ``batch + (d, d)``.

        Returns:
          Array of shape ``batch_shape + (d, d)``.
        """
        var = self.variance()
        return (1 / var)[..., :, None] * jnp.eye(var.shape[-1], dtype=var.dtype)
