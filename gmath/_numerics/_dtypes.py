"""Dtype promotion and parameter broadcasting shared by every module.

Rules (DESIGN.md, Conventions): never hard-code float32; promote inputs together and return that
dtype; integer inputs become the default float dtype (float64 with x64 enabled).
"""

from __future__ import annotations

import numbers

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["broadcast_shapes_named", "default_float", "float_dtype", "is_array_like", "promote"]


def default_float() -> np.dtype:
    """The default floating dtype: float64 when x64 is enabled, else float32."""
    return jnp.dtype(jax.dtypes.canonicalize_dtype(jnp.float64))


def float_dtype(*args) -> np.dtype:
    """The common inexact dtype of ``args`` (Python scalars are weak); ints map to the default."""
    args = [a for a in args if a is not None]
    if not args:
        return default_float()
    dtype = jnp.result_type(*args)
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
