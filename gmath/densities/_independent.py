"""Reinterpret batch dimensions of a distribution as event dimensions."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from gmath._numerics import is_array_like
from gmath.densities._base import Distribution, distribution, static_field

__all__ = ["Independent"]


@distribution
class Independent(Distribution):
    r"""Treat the last ``reinterpreted_batch_ndims`` batch dimensions of ``base`` as one event.

    For a base with independent coordinates :math:`p_i`,

    .. math::
        \log p(x) = \sum_{i} \log p_i(x_i), \qquad H[p] = \sum_i H[p_i],

    the sums running over the reinterpreted dimensions. ``batch_shape`` loses those dimensions
    and ``event_shape`` gains them: ``Independent(Normal(zeros((3, 4)), 1.0), 1)`` has
    ``batch_shape (3,)`` and ``event_shape (4,)``. ``sample``, ``mean``, ``variance``, ``mode`` and
    ``score`` (coordinatewise) are those of ``base``.

    Args:
      base: any distribution record with at least ``reinterpreted_batch_ndims`` batch dimensions.
      reinterpreted_batch_ndims: how many trailing batch dimensions to move into the event
        (a static int, not traced).

    References:
      Dillon, J. V. et al. (2017). TensorFlow Distributions. arXiv:1711.10604, sec. 3.3
      [@dillon2017tensorflow].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.densities import Independent, Normal
      >>> p = Independent(Normal(jnp.zeros(3), 1.0), 1)
      >>> p.batch_shape, p.event_shape
      ((), (3,))
      >>> round(float(p.log_prob(jnp.zeros(3))), 5)
      -2.75682
    """

    base: Any
    reinterpreted_batch_ndims: int = static_field(default=1)

    def __post_init__(self) -> None:
        n = self.reinterpreted_batch_ndims
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValueError(
                f"Independent: reinterpreted_batch_ndims must be a non-negative int, got {n!r}."
            )
        if not isinstance(self.base, Distribution):
            raise TypeError(
                f"Independent: base must be a distribution record, got {type(self.base).__name__}."
            )
        if not all(map(is_array_like, jax.tree_util.tree_leaves(self.base))):
            return  # a pytree skeleton: nothing to validate
        batch = tuple(self.base.batch_shape)
        if n > len(batch):
            raise ValueError(
                f"Independent: reinterpreted_batch_ndims={n} exceeds the {len(batch)} batch "
                f"dimensions of base (batch_shape {batch})."
            )

    @property
    def batch_shape(self) -> tuple[int, ...]:
        batch = tuple(self.base.batch_shape)
        return batch[: len(batch) - self.reinterpreted_batch_ndims]

    @property
    def event_shape(self) -> tuple[int, ...]:
        batch = tuple(self.base.batch_shape)
        n = self.reinterpreted_batch_ndims
        return batch[len(batch) - n :] + tuple(self.base.event_shape)

    def _reduce(self, value):
        n = self.reinterpreted_batch_ndims
        return jnp.sum(value, axis=tuple(range(-n, 0))) if n else value

    def log_prob(self, x) -> jax.Array:
        r""":math:`\sum_i \log p_i(x_i)` over the reinterpreted dimensions.

        Args:
          x: values with shape ``sample_shape + batch_shape + event_shape`` (broadcasting).

        Returns:
          Array of shape ``broadcast(sample_shape + batch_shape)``, dtype of the parameters
            and ``x``; ``-inf`` outside the support.
        """
        x = self._check_value(x)
        return self._reduce(self.base.log_prob(x))

    def score(self, x) -> jax.Array:
        x = self._check_value(x, "score")
        return self.base.score(x)

    def sample(self, key, sample_shape=()) -> jax.Array:
        return self.base.sample(key, sample_shape)

    def entropy(self) -> jax.Array:
        r""":math:`\sum_i H[p_i]` over the reinterpreted dimensions.

        Returns:
          Array of shape ``batch_shape``.
        """
        return self._reduce(self.base.entropy())

    def mean(self) -> jax.Array:
        return self.base.mean()

    def variance(self) -> jax.Array:
        return self.base.variance()

    def mode(self) -> jax.Array:
        return self.base.mode()

    def __repr__(self) -> str:
        return f"Independent({self.base!r}, reinterpreted_batch_ndims={self.reinterpreted_batch_ndims})"
