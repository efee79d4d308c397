"""Shared machinery of the distribution records.

A family is a frozen dataclass registered as a JAX pytree (so it passes through ``jit``, ``vmap``
and ``grad``), decorated with :func:`distribution`, mixing in :class:`Distribution` for the
methods every family shares. Parameters are stored as given; they broadcast lazily, so a record
built inside a transformation costs nothing until a method runs.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

import jax
import jax.numpy as jnp

from gmath._config import checks_enabled, error_if_not
from gmath._numerics import broadcast_shapes_named, is_array_like
from gmath._pytree import register_record, static_field

__all__ = ["Distribution", "distribution", "static_field"]


def distribution(cls):
    """Make ``cls`` a frozen dataclass and register it as a pytree (data fields are leaves)."""
    cls = dataclasses.dataclass(frozen=True, eq=False)(cls)
    # not jax.tree_util.register_dataclass: see gmath._pytree (wrong executables under jit)
    return register_record(cls)


class Distribution:
    r"""Methods shared by every family.

    A family declares ``_param_event_ndims``: for each parameter field, how many trailing
    dimensions belong to one distribution (``{"loc": 1, "scale_tril": 2}`` for a multivariate
    normal); the rest broadcast to ``batch_shape``. It implements ``log_prob``, ``sample``,
    ``entropy``, ``mean``, ``variance``, ``mode`` and, where it has them, the CDF methods, and
    lists its parameter constraints in ``_constraints`` for the opt-in check mode.

    **Shapes.** A record holds a batch of independent distributions. Its ``batch_shape`` is the
    broadcast of the parameters' leading dimensions, its ``event_shape`` the shape of one draw;
    ``log_prob(x)`` takes ``x`` of shape ``sample_shape + batch_shape + event_shape``
    (broadcasting) and returns ``sample_shape + batch_shape``. The shared methods are defined
    from the family's ones:

    .. math::
        p(x) = e^{\log p(x)}, \qquad \operatorname{score}(x) = \nabla_x \log p(x),
        \qquad \operatorname{stddev} = \sqrt{\operatorname{Var}[X]}.

    **Dtypes.** Parameters and arguments are promoted together (``gmath._numerics.promote``);
    float32 in gives float32 out, and integers are promoted to the default float dtype.

    References:
      Dillon, J. V. et al. (2017). TensorFlow Distributions. arXiv:1711.10604, sec. 3.3 (batch
      and event shapes) [@dillon2017tensorflow].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.densities import Normal
      >>> p = Normal(jnp.zeros(3), 1.0)
      >>> p.batch_shape, p.event_shape
      ((3,), ())
      >>> p.log_prob(jnp.zeros((5, 3))).shape
      (5, 3)
      >>> [round(float(v), 6) for v in p.score(jnp.array([1.0, 0.0, -2.0]))]
      [-1.0, 0.0, 2.0]
    """

    _param_event_ndims: ClassVar[dict[str, int]] = {}
    _event_ndims: ClassVar[int] = 0

    # ------------------------------------------------------------------ construction
    def __post_init__(self) -> None:
        params = self._params()
        if not params or not all(is_array_like(v) for v in params.values()):
            return  # a pytree skeleton (vmap in_axes, tree_map sentinels): nothing to validate
        _ = self.batch_shape  # raises a named ValueError when parameters do not broadcast
        if checks_enabled():
            for ok, message in self._constraints():
                error_if_not(ok, f"{type(self).__name__}: {message}")

    def _params(self) -> dict[str, Any]:
        return {
            name: getattr(self, name)
            for name in self._param_event_ndims
            if getattr(self, name) is not None
        }

    def _constraints(self) -> list[tuple[Any, str]]:
        """``[(ok, message), ...]`` checked when ``gmath.config.checks(True)``."""
        return []

    # ------------------------------------------------------------------ shapes
    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Shape of the batch of independent distributions this record holds."""
        shapes = {}
        for name, value in self._params().items():
            shape = jnp.shape(value)
            k = self._param_event_ndims[name]
            if len(shape) < k:
                raise ValueError(
                    f"{type(self).__name__}: {name} needs at least {k} dimensions, got shape "
                    f"{tuple(shape)}."
                )
            shapes[name] = shape[: len(shape) - k]
        return broadcast_shapes_named(type(self).__name__, **shapes)

    @property
    def event_shape(self) -> tuple[int, ...]:
        """Shape of one draw from one distribution of the batch."""
        return ()

    def _check_value(self, x, method: str = "log_prob"):
        """Convert ``x`` to an array and check it broadcasts against the batch and event shapes."""
        x = jnp.asarray(x)
        event_shape = self.event_shape
        k = len(event_shape)
        if k and tuple(x.shape[x.ndim - k :]) != tuple(event_shape):
            raise ValueError(
                f"{type(self).__name__}.{method}: x has shape {tuple(x.shape)}, but its trailing "
                f"dimensions must equal event_shape {tuple(event_shape)}."
            )
        try:
            jnp.broadcast_shapes(x.shape[: x.ndim - k], self.batch_shape)
        except ValueError:
            raise ValueError(
                f"{type(self).__name__}.{method}: x with shape {tuple(x.shape)} does not "
                f"broadcast with batch_shape {tuple(self.batch_shape)} (event_shape "
                f"{tuple(event_shape)})."
            ) from None
        return x

    def _sample_shape(self, sample_shape) -> tuple[int, ...]:
        if isinstance(sample_shape, int):
            sample_shape = (sample_shape,)
        return tuple(sample_shape) + tuple(self.batch_shape) + tuple(self.event_shape)

    # ------------------------------------------------------------------ the interface
    def log_prob(self, x):
        r"""Log-density (or log-mass) :math:`\log p(x)`.

        Args:
          x: values with shape ``sample_shape + batch_shape + event_shape`` (broadcasting).

        Returns:
          Array of shape ``broadcast(sample_shape + batch_shape)``; ``-inf`` outside the support.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement log_prob")

    def sample(self, key, sample_shape=()):
        r"""Draw samples with shape ``sample_shape + batch_shape + event_shape``.

        Args:
          key: a ``jax.random`` key.
          sample_shape: leading shape of independent draws (an int or a tuple).

        Returns:
          Array of shape ``sample_shape + batch_shape + event_shape`` with the parameters'
          dtype (integer-valued families return floats holding integers).
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement sample")

    def entropy(self):
        r"""Differential (or Shannon) entropy :math:`-\mathbb E_p[\log p(X)]`, per batch member.

        Returns:
          Array of shape ``batch_shape``,
          dtype of the parameters (float32 in, float32 out).
        """
        raise NotImplementedError(f"{type(self).__name__} has no closed-form entropy")

    def mean(self):
        r"""Mean :math:`\mathbb E[X]` with shape ``batch_shape + event_shape``.

        Returns:
          Array of shape ``batch_shape + event_shape`` (NaN where the mean does not exist),
          dtype of the parameters (float32 in, float32 out).
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement mean")

    def variance(self):
        r"""Variance :math:`\operatorname{Var}[X]` (per coordinate) with the mean's shape.

        Returns:
          Array of shape ``batch_shape + event_shape`` (NaN or ``inf`` where it does not exist),
          dtype of the parameters (float32 in, float32 out).
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement variance")

    def mode(self):
        r"""A mode :math:`\arg\max_x p(x)` with the mean's shape.

        Returns:
          Array of shape ``batch_shape + event_shape``,
          dtype of the parameters (float32 in, float32 out).
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement mode")

    def cdf(self, x):
        r"""Cumulative distribution function :math:`F(x) = P(X \le x)` (univariate families).

        Args:
          x: values with shape ``sample_shape + batch_shape`` (broadcasting).

        Returns:
          Array of the broadcast shape, dtype of the parameters and ``x``.
        """
        raise NotImplementedError(f"{type(self).__name__} has no cdf")

    def log_cdf(self, x):
        r"""Log CDF :math:`\log F(x)`, accurate where :math:`F(x)` is tiny (univariate families).

        Args:
          x: values with shape ``sample_shape + batch_shape`` (broadcasting).

        Returns:
          Array of the broadcast shape, :math:`\le 0`.
        """
        raise NotImplementedError(f"{type(self).__name__} has no log_cdf")

    def log_survival(self, x):
        r"""Log survival :math:`\log(1 - F(x))`, accurate where :math:`F(x)` is near 1 (univariate).

        Args:
          x: values with shape ``sample_shape + batch_shape`` (broadcasting).

        Returns:
          Array of the broadcast shape, :math:`\le 0`.
        """
        raise NotImplementedError(f"{type(self).__name__} has no log_survival")

    def icdf(self, u):
        r"""Quantile function :math:`F^{-1}(u)` for :math:`u \in [0, 1]` (univariate continuous).

        Args:
          u: probabilities in :math:`[0, 1]`, shape ``sample_shape + batch_shape``
            (broadcasting); ``icdf(0)`` and ``icdf(1)`` are the ends of the support.

        Returns:
          Array of the broadcast shape, dtype of the parameters and ``u``.
        """
        raise NotImplementedError(f"{type(self).__name__} has no icdf")

    # ------------------------------------------------------------------ shared methods
    def prob(self, x):
        r"""Density (or mass) :math:`p(x) = \exp \log p(x)`.

        Args:
          x: values with shape ``sample_shape + batch_shape + event_shape`` (broadcasting).

        Returns:
          Array of shape ``broadcast(sample_shape + batch_shape)``; 0 outside the support.
        """
        return jnp.exp(self.log_prob(x))

    def score(self, x):
        r"""Score :math:`\nabla_x \log p(x)`, by automatic differentiation of ``log_prob``.

        Families with a closed form override this.

        Args:
          x: values with shape ``sample_shape + batch_shape + event_shape`` (broadcasting).

        Returns:
          Array with the shape of ``x`` broadcast against ``batch_shape + event_shape``, and
          its dtype.
        """
        x = self._check_value(x, "score")
        full = jnp.broadcast_shapes(x.shape, tuple(self.batch_shape) + tuple(self.event_shape))
        x = jnp.broadcast_to(x, full)
        return jax.grad(lambda v: jnp.sum(self.log_prob(v)))(x)

    def stddev(self):
        r"""Standard deviation :math:`\sqrt{\operatorname{Var}[X]}`.

        Returns:
          Array of shape ``batch_shape + event_shape``,
          dtype of the parameters (float32 in, float32 out).
        """
        return jnp.sqrt(self.variance())

    def __repr__(self) -> str:
        parts = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            shape = getattr(value, "shape", None)
            parts.append(f"{f.name}={value!r}" if not shape else f"{f.name}=<{shape}>")
        return f"{type(self).__name__}({', '.join(parts)})"


def num_elements(shape: tuple[int, ...]) -> int:
    return math.prod(shape)
