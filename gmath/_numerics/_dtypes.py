"""Dtype promotion and parameter broadcasting shared by every module.

Rules: never hard-code float32; promote inputs together and return that
dtype; integer inputs become the default float dtype (float64 with x64 enabled).
"""

from __future__ import annotations

import numbers

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "broadcast_shapes_named",
    "default_float",
    "float64_scope",
    "float_dtype",
    "is_array_like",
    "promote",
]


def default_float() -> np.dtype:
    """The default floating dtype: float64 when x64 is enabled, else float32."""
    return jnp.dtype(jax.dtypes.canonicalize_dtype(jnp.float64))


def float64_scope():
    """A context in which float64 arrays exist whatever the process's x64 setting.

    For the few computations whose result is only meaningful in double precision (the Fréchet
    distance's moments and eigenvalues): values are cast to float64 inside the scope and the
    result cast back to the caller's dtype before leaving it. Thread-local and restored on exit;
    it also works while tracing under ``jit``, ``vmap`` and ``grad`` (the traced computation
    holds float64 operations, its inputs and outputs keep the caller's dtypes). A float64 array
    must not leave the scope when x64 is disabled: outside it JAX truncates it to float32.
    """
    ctx = getattr(jax, "enable_x64", None)
    if ctx is not None:
        return ctx(True)
    from jax.experimental import enable_x64  # jax < 0.7

    return enable_x64()


def float_dtype(*args) -> np.dtype:
    """The common inexact dtype of ``args`` (Python scalars are weak); ints map to the default."""
    given = [a for a in args if a is not None]
    if not given:
        return default_float()
    dtype = jnp.result_type(*given)
    if not jnp.issubdtype(dtype, jnp.inexact):
        return default_float()
    return jnp.dtype(dtype)


def promote(*args):
    """Convert ``args`` to arrays of their common floating dtype (``None`` passes through)."""
    dtype = float_dtype(*args)
    return tuple(None if a is None else jnp.asarray(a, dtype) for a in args)


def is_array_like(x) -> bool:
    """True for JAX arrays (tracers included), NumPy arrays/scalars and Python numbers."""
    if isinstance(x, bool):
        return False
    return isinstance(x, (jax.Array, jax.core.Tracer, np.ndarray, np.generic, numbers.Number))


def broadcast_shapes_named(owner: str, **shapes: tuple[int, ...]) -> tuple[int, ...]:
    """``jnp.broadcast_shapes`` that names the arguments in its ``ValueError``.

    Examples:
      >>> broadcast_shapes_named("Normal", loc=(3,), scale=(2, 1))
      (2, 3)
    """
    try:
        return tuple(jnp.broadcast_shapes(*shapes.values()))
    except ValueError:
        described = ", ".join(f"{name} with shape {tuple(s)}" for name, s in shapes.items())
        raise ValueError(f"{owner}: parameters do not broadcast: {described}.") from None
