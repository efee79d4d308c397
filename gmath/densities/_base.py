"""Shared machinery of the distribution records.

A family is a frozen dataclass registered as a JAX pytree (so it passes through ``jit``, ``vmap``
and ``grad``), decorated with :func:`distribution`, mixing in :class:`Distribution` for the
methods every family shares. Parameters are stored as given; they broadcast lazily, so a record
built inside a transformation costs nothing until a method runs.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import math
import operator
from typing import Any, ClassVar, TypeVar, cast

import jax
import jax.numpy as jnp

from gmath._config import checks_enabled, error_if_not
from gmath._numerics import broadcast_shapes_named, check_key, is_array_like
from gmath._pytree import dataclass_transform, register_record, static_field
from gmath.densities._finite_loc import nan_mask

__all__ = ["Distribution", "distribution", "static_field"]


# Public methods whose output is set to NaN where the parameters are invalid, with how many
# trailing dimensions the output has per event dimension beyond the batch (0: the output is
# ``sample_shape + batch_shape``; 1: ``... + batch_shape + event_shape``; 2: a matrix per event).
_MASKED_METHODS: dict[str, int] = {
    "log_prob": 0,
    "prob": 0,
    "cdf": 0,
    "log_cdf": 0,
    "log_survival": 0,
    "icdf": 0,
    "entropy": 0,
    "sample": 1,
    "mean": 1,
    "variance": 1,
    "mode": 1,
    "stddev": 1,
    "score": 1,
    "covariance": 2,
    "precision_matrix": 2,
}

# The masked methods with a value argument (x, or u for icdf): NaN in the value gives NaN out.
_VALUE_METHODS = frozenset({"log_prob", "prob", "cdf", "log_cdf", "log_survival", "icdf", "score"})

# The public method now running (class name, method name), for the messages of _check_value.
_CURRENT_METHOD: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "gmath_current_method", default=None
)


def _check_sample_shape(sample_shape, where: str) -> tuple[int, ...]:
    """``sample_shape`` as a tuple of nonnegative ints, else a ``ValueError`` naming it."""
    entries: tuple[Any, ...] | None  # ints (None marks a bool) once converted
    if isinstance(sample_shape, bool):
        entries = None
    else:
        try:
            entries = (operator.index(sample_shape),)
        except TypeError:
            try:
                entries = tuple(sample_shape)
            except TypeError:
                entries = None
    ok = entries is not None
    # ``ok`` implies ``entries`` is a tuple (the casts only tell the type checker)
    if ok:
        given = cast("tuple[Any, ...]", entries)
        try:
            entries = tuple(operator.index(n) if not isinstance(n, bool) else None for n in given)
        except TypeError:
            ok = False
    if not ok or any(n is None or n < 0 for n in cast("tuple[Any, ...]", entries)):
        raise ValueError(
            f"{where}: sample_shape must be a nonnegative int or a tuple of nonnegative ints, "
            f"got {sample_shape!r}."
        )
    return cast("tuple[int, ...]", entries)


def _nan_where_value_nan(self, out, args, kwargs, trailing: int):
    """``out`` with NaN wherever the value argument (``x`` or ``u``) has a NaN coordinate.

    A NaN value is no point of any support: every method of it is NaN (not ``-inf`` from a
    support check, nor 0 from a clipped CDF). The value's event dimensions are reduced with
    ``any``; the mask broadcasts against ``out`` (``trailing`` event dimensions for ``score``).
    """
    if args:
        value = args[0]
    else:
        value = kwargs.get("u", kwargs.get("x"))
    if value is None or isinstance(value, (bool, int)):
        return out
    value = jnp.asarray(value)
    if not jnp.issubdtype(value.dtype, jnp.inexact):
        return out  # integers are never NaN
    k = len(self.event_shape)
    bad = jnp.isnan(value)
    if k:
        bad = jnp.any(bad, axis=tuple(range(bad.ndim - k, bad.ndim)))
    bad = bad.reshape(bad.shape + (1,) * (trailing * k))
    if bad.ndim > out.ndim:
        return out  # an argument shape this mask does not describe: leave it to the family
    return jnp.where(bad, jnp.asarray(jnp.nan, out.dtype), out)


def _masked(fn, name: str, trailing: int):
    """Wrap the public method ``fn`` so that its output is NaN where the parameters are invalid.

    ``sample`` also validates its key and ``sample_shape``. The mask is one ``where`` on the
    output: where the parameters are valid the value and its gradients are those of ``fn``.
    The mask multiplies by 1 or NaN rather than selecting, so that every derivative through an
    invalid member is NaN too (a select would give such a member derivative 0, a plausible wrong
    number).
    """

    @functools.wraps(fn)
    def method(self, *args, **kwargs):
        where = f"{type(self).__name__}.{name}"
        if name == "sample":
            args = list(args)
            if args:
                check_key(args[0], where=where)
            elif "key" in kwargs:
                check_key(kwargs["key"], where=where)
            else:
                raise TypeError(f"{where}: missing the key argument.")
            if len(args) > 1:
                args[1] = _check_sample_shape(args[1], where)
            elif "sample_shape" in kwargs:
                kwargs["sample_shape"] = _check_sample_shape(kwargs["sample_shape"], where)
        token = _CURRENT_METHOD.set((type(self).__name__, name))
        try:
            out = fn(self, *args, **kwargs)
        finally:
            _CURRENT_METHOD.reset(token)
        if not hasattr(out, "dtype") or not jnp.issubdtype(out.dtype, jnp.inexact):
            return out  # NaN is not representable (integer-valued outputs)
        if name in _VALUE_METHODS:
            out = _nan_where_value_nan(self, out, args, kwargs, trailing)
        valid = self._valid()
        if valid is None:
            return out
        valid = valid.reshape(valid.shape + (1,) * (trailing * len(self.event_shape)))
        return out * nan_mask(valid, out.dtype)

    cast(Any, method)._gmath_masked = True
    return method


_R = TypeVar("_R")


# dataclass_transform (PEP 681): type checkers see a family's fields as its constructor's
# parameters (``Normal(0.0, 1.0)``), frozen, with identity equality
@dataclass_transform(
    eq_default=False, frozen_default=True, field_specifiers=(dataclasses.field, static_field)
)
def distribution(cls: type[_R]) -> type[_R]:
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
    lists its parameter constraints in ``_constraints``.

    **Invalid parameters.** Every public method (``log_prob``, ``prob``, the CDF methods,
    ``icdf``, ``sample``, the moments, ``entropy``, ``score``, ``stddev``, ``covariance``) returns
    NaN for the members of the batch whose parameters violate a constraint (a negative scale),
    samples included, so an invalid parameter never yields a plausible number; with
    ``gmath.config.checks(True)`` constructing such a record raises ``InvalidParameterError``.
    The mask is one ``where`` on the output: values and gradients at valid parameters are
    unchanged. ``sample`` checks its key and ``sample_shape`` (a ``TypeError`` or
    ``ValueError`` naming them). A scale, rate or concentration must be finite (an infinite one
    is no distribution). A nonzero *subnormal* parameter (below ``finfo.tiny`` in magnitude,
    such as ``Poisson(5e-324)``) is invalid too: XLA flushes subnormal operands to zero, so no
    method can compute with it, and zero in its place would give plausible wrong numbers.

    **NaN values.** A NaN value (any coordinate of ``x``, or ``u`` for ``icdf``) gives NaN from
    every method of a value (``log_prob``, ``prob``, the CDF methods, ``icdf``, ``score``), for
    every family: NaN is no point of any support.

    **Lists.** Parameters may be given as (nested) lists, as wherever an array is accepted:
    ``Normal([0.0, 1.0], 1.0)`` stores ``jnp.asarray([0.0, 1.0])``.

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

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        for name, trailing in _MASKED_METHODS.items():
            fn = getattr(cls, name, None)
            if callable(fn) and not getattr(fn, "_gmath_masked", False):
                setattr(cls, name, _masked(fn, name, trailing))

    # ------------------------------------------------------------------ construction
    def __post_init__(self) -> None:
        self._lists_to_arrays()
        params = self._params()
        if not params or not all(is_array_like(v) for v in params.values()):
            return  # a pytree skeleton (vmap in_axes, tree_map sentinels): nothing to validate
        for name, value in params.items():
            if jnp.issubdtype(jnp.result_type(value), jnp.complexfloating):
                raise TypeError(
                    f"{type(self).__name__}: {name} must be real, got a complex value of dtype "
                    f"{jnp.result_type(value)}."
                )
        _ = self.batch_shape  # raises a named ValueError when parameters do not broadcast
        if checks_enabled():
            for ok, message in self._constraints():
                error_if_not(ok, f"{type(self).__name__}: {message}")

    def _lists_to_arrays(self) -> None:
        """Store list (and tuple) parameters as arrays, as ``jnp.asarray`` reads them.

        ``Normal([0.0, 1.0], 1.0)`` is ``Normal(jnp.asarray([0.0, 1.0]), 1.0)``: a parameter is
        accepted wherever an array is. Nested lists of arrays are stacked the same way; a list
        that is not numeric is left as given (and fails where it is used).
        """
        for name in self._param_event_ndims:
            value = getattr(self, name, None)
            if isinstance(value, (list, tuple)):
                try:
                    array = jnp.asarray(value)
                except (TypeError, ValueError):
                    continue
                if jnp.issubdtype(array.dtype, jnp.number):
                    object.__setattr__(self, name, array)

    def _params(self) -> dict[str, Any]:
        return {
            name: getattr(self, name)
            for name in self._param_event_ndims
            if getattr(self, name) is not None
        }

    def _constraints(self) -> list[tuple[Any, str]]:
        """``[(ok, message), ...]``: the parameter constraints.

        Each ``ok`` is a boolean array that broadcasts to ``batch_shape`` (dimensions beyond the
        batch, such as a vector parameter's event dimension, are reduced with ``all``). They
        raise ``InvalidParameterError`` when ``gmath.config.checks(True)`` and set every public
        method's output to NaN otherwise.
        """
        return []

    def _valid(self):
        """Boolean array (broadcasting to ``batch_shape``) of the members whose parameters satisfy
        every constraint, or ``None`` when the family has none (or the record is a skeleton)."""
        params = self._params()
        if not params or not all(is_array_like(v) for v in params.values()):
            return None
        constraints = self._constraints()
        if not constraints:
            return None
        batch = tuple(self.batch_shape)
        valid = None
        for ok, _ in constraints:
            ok = jnp.asarray(ok, bool)
            extra = ok.ndim - len(batch)
            if extra > 0:
                ok = jnp.all(ok, axis=tuple(range(len(batch), ok.ndim)))
            try:
                jnp.broadcast_shapes(ok.shape, batch)
                fits = jnp.broadcast_shapes(ok.shape, batch) == batch
            except ValueError:
                fits = False
            if not fits:  # an unaligned shape: invalid anywhere means invalid everywhere
                ok = jnp.all(ok)
            valid = ok if valid is None else valid & ok
        return valid

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

    def _check_value(self, x, method: str | None = None):
        """Convert ``x`` to an array and check it is real and broadcasts against the batch and
        event shapes.

        ``method`` names the public method in the messages; by default the public method now
        running (the argument is called ``u`` for ``icdf``, ``x`` otherwise).
        """
        owner = type(self).__name__
        if method is None:
            current = _CURRENT_METHOD.get()
            method = current[1] if current is not None and current[0] == owner else "log_prob"
        arg = "u" if method == "icdf" else "x"
        x = jnp.asarray(x)
        if jnp.issubdtype(x.dtype, jnp.complexfloating):
            raise TypeError(f"{owner}.{method}: {arg} must be real, got dtype {x.dtype}.")
        event_shape = self.event_shape
        k = len(event_shape)
        if k and tuple(x.shape[x.ndim - k :]) != tuple(event_shape):
            raise ValueError(
                f"{owner}.{method}: {arg} has shape {tuple(x.shape)}, but its trailing "
                f"dimensions must equal event_shape {tuple(event_shape)}."
            )
        try:
            jnp.broadcast_shapes(x.shape[: x.ndim - k], self.batch_shape)
        except ValueError:
            raise ValueError(
                f"{owner}.{method}: {arg} with shape {tuple(x.shape)} does not "
                f"broadcast with batch_shape {tuple(self.batch_shape)} (event_shape "
                f"{tuple(event_shape)})."
            ) from None
        return x

    def _sample_shape(self, sample_shape) -> tuple[int, ...]:
        if isinstance(sample_shape, int):
            sample_shape = (sample_shape,)
        return tuple(sample_shape) + tuple(self.batch_shape) + tuple(self.event_shape)

    # ------------------------------------------------------------------ the interface
    def log_prob(self, x) -> jax.Array:
        r"""Log-density (or log-mass) :math:`\log p(x)`.

        Args:
          x: values with shape ``sample_shape + batch_shape + event_shape`` (broadcasting).

        Returns:
          Array of shape ``broadcast(sample_shape + batch_shape)``; ``-inf`` outside the support.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement log_prob")

    def sample(self, key, sample_shape=()) -> jax.Array:
        r"""Draw samples with shape ``sample_shape + batch_shape + event_shape``.

        Args:
          key: a ``jax.random`` key.
          sample_shape: leading shape of independent draws (an int or a tuple).

        Returns:
          Array of shape ``sample_shape + batch_shape + event_shape`` with the parameters'
          dtype (integer-valued families return floats holding integers).
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement sample")

    def entropy(self) -> jax.Array:
        r"""Differential (or Shannon) entropy :math:`-\mathbb E_p[\log p(X)]`, per batch member.

        Returns:
          Array of shape ``batch_shape``,
          dtype of the parameters (float32 in, float32 out).
        """
        raise NotImplementedError(f"{type(self).__name__} has no closed-form entropy")

    def mean(self) -> jax.Array:
        r"""Mean :math:`\mathbb E[X]` with shape ``batch_shape + event_shape``.

        Returns:
          Array of shape ``batch_shape + event_shape`` (NaN where the mean does not exist),
          dtype of the parameters (float32 in, float32 out).
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement mean")

    def variance(self) -> jax.Array:
        r"""Variance :math:`\operatorname{Var}[X]` (per coordinate) with the mean's shape.

        Returns:
          Array of shape ``batch_shape + event_shape`` (NaN or ``inf`` where it does not exist),
          dtype of the parameters (float32 in, float32 out).
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement variance")

    def mode(self) -> jax.Array:
        r"""A mode :math:`\arg\max_x p(x)` with the mean's shape.

        Returns:
          Array of shape ``batch_shape + event_shape``,
          dtype of the parameters (float32 in, float32 out).
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement mode")

    def cdf(self, x) -> jax.Array:
        r"""Cumulative distribution function :math:`F(x) = P(X \le x)` (univariate families).

        Args:
          x: values with shape ``sample_shape + batch_shape`` (broadcasting).

        Returns:
          Array of the broadcast shape, dtype of the parameters and ``x``.
        """
        raise NotImplementedError(f"{type(self).__name__} has no cdf")

    def log_cdf(self, x) -> jax.Array:
        r"""Log CDF :math:`\log F(x)`, accurate where :math:`F(x)` is tiny (univariate families).

        Args:
          x: values with shape ``sample_shape + batch_shape`` (broadcasting).

        Returns:
          Array of the broadcast shape, :math:`\le 0`.
        """
        raise NotImplementedError(f"{type(self).__name__} has no log_cdf")

    def log_survival(self, x) -> jax.Array:
        r"""Log survival :math:`\log(1 - F(x))`, accurate where :math:`F(x)` is near 1 (univariate).

        Args:
          x: values with shape ``sample_shape + batch_shape`` (broadcasting).

        Returns:
          Array of the broadcast shape, :math:`\le 0`.
        """
        raise NotImplementedError(f"{type(self).__name__} has no log_survival")

    def icdf(self, u) -> jax.Array:
        r"""Quantile function :math:`F^{-1}(u)` for :math:`u \in [0, 1]` (univariate continuous).

        Args:
          u: probabilities in :math:`[0, 1]`, shape ``sample_shape + batch_shape``
            (broadcasting); ``icdf(0)`` and ``icdf(1)`` are the ends of the support.

        Returns:
          Array of the broadcast shape, dtype of the parameters and ``u``.
        """
        raise NotImplementedError(f"{type(self).__name__} has no icdf")

    # ------------------------------------------------------------------ shared methods
    def prob(self, x) -> jax.Array:
        r"""Density (or mass) :math:`p(x) = \exp \log p(x)`.

        Args:
          x: values with shape ``sample_shape + batch_shape + event_shape`` (broadcasting).

        Returns:
          Array of shape ``broadcast(sample_shape + batch_shape)``; 0 outside the support.
        """
        return jnp.exp(self.log_prob(x))

    def score(self, x) -> jax.Array:
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

    def stddev(self) -> jax.Array:
        r"""Standard deviation :math:`\sqrt{\operatorname{Var}[X]}`.

        Returns:
          Array of shape ``batch_shape + event_shape``,
          dtype of the parameters (float32 in, float32 out).
        """
        return jnp.sqrt(self.variance())

    def __repr__(self) -> str:
        parts = []
        for f in dataclasses.fields(cast(Any, self)):  # each family is a dataclass
            value = getattr(self, f.name)
            if value is None:
                continue
            shape = getattr(value, "shape", None)
            parts.append(f"{f.name}={value!r}" if not shape else f"{f.name}=<{shape}>")
        return f"{type(self).__name__}({', '.join(parts)})"


# the shared methods (prob, score, stddev) and the defaults are masked too
for _name, _trailing in _MASKED_METHODS.items():
    if hasattr(Distribution, _name):
        setattr(Distribution, _name, _masked(getattr(Distribution, _name), _name, _trailing))


def num_elements(shape: tuple[int, ...]) -> int:
    return math.prod(shape)
