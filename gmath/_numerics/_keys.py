"""Validation of ``jax.random`` keys, so that a missing or malformed key names the argument."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["check_key"]


def check_key(key, *, where: str, name: str = "key"):
    """Return ``key`` if it is a ``jax.random`` key, else raise a ``TypeError`` naming it.

    Accepts new-style typed keys (``jax.random.key``) and raw ``uint32[..., 2]`` keys
    (``jax.random.PRNGKey``), concrete or traced.

    Args:
      key: the value passed as the key.
      where: the public function or method, for the message (``"Normal.sample"``).
      name: the argument's name.

    Returns:
      ``key`` unchanged.
    """
    dtype = getattr(key, "dtype", None)
    if dtype is not None and jnp.issubdtype(dtype, jax.dtypes.prng_key):
        return key
    if (
        dtype is not None
        and np.dtype(dtype) == np.uint32
        and len(getattr(key, "shape", ())) >= 1
        and key.shape[-1] == 2
    ):
        return key
    shown = type(key).__name__ if dtype is None else f"array of dtype {dtype} and shape {key.shape}"
    raise TypeError(
        f"{where}: {name} must be a jax.random key (jax.random.key(0) or "
        f"jax.random.PRNGKey(0)), got {shown}."
    )
