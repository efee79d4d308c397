"""Input validation shared by the divergences between samples (private)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from gmath._config import error_if_not

__all__ = ["check_points", "check_positive", "check_weights", "is_concrete", "safe_log"]


def is_concrete(v) -> bool:
    """True when ``v`` has a value now (not a tracer under ``jit``/``vmap``/``grad``)."""
    return not isinstance(v, jax.core.Tracer)


def check_points(x, y, owner: str, *, names=("x", "y")):
    """Return ``x, y`` as ``[n, d]``, ``[m, d]`` arrays; raise ``ValueError`` on bad shapes.

    A 1-D array is read as ``n`` points in one dimension.
    """
    out = []
    for name, v in zip(names, (x, y), strict=True):
        v = jnp.asarray(v)
        if v.ndim == 1:
            v = v[:, None]
        if v.ndim != 2:
            raise ValueError(f"{owner}: {name} must have shape [n, d], got shape {v.shape}.")
        if v.shape[0] == 0 or v.shape[1] == 0:
            raise ValueError(f"{owner}: {name} is empty (shape {v.shape}).")
        out.append(v)
    if out[0].shape[1] != out[1].shape[1]:
        raise ValueError(
            f"{owner}: {names[0]} and {names[1]} must have the same dimension, got shapes "
            f"{out[0].shape} and {out[1].shape}."
        )
    return tuple(out)


def check_weights(w, size: int, owner: str, name: str, dtype):
    """Default uniform weights; shape ``[size]``; negative concrete weights raise, traced -> NaN."""
    if w is None:
        return jnp.full((size,), 1.0 / size, dtype)
    w = jnp.asarray(w, dtype)
    if w.shape != (size,):
        raise ValueError(f"{owner}: {name} must have shape ({size},), got {w.shape}.")
    if is_concrete(w):
        if np.any(np.asarray(w) < 0):
            raise ValueError(f"{owner}: {name} must be nonnegative.")
        return w
    error_if_not(jnp.all(w >= 0), f"{owner}: {name} must be nonnegative.")
    return jnp.where(jnp.all(w >= 0), w, jnp.nan)


def check_positive(v, owner: str, name: str):
    """Concrete nonpositive ``v`` raises ``ValueError``; traced nonpositive values become NaN."""
    if is_concrete(v):
        if not np.all(np.asarray(v) > 0):
            raise ValueError(f"{owner}: {name} must be positive, got {np.asarray(v)}.")
        return v
    error_if_not(v > 0, f"{owner}: {name} must be positive.")
    return jnp.where(v > 0, v, jnp.nan)


def safe_log(w):
    """``log w`` with ``log 0 = -inf`` and a zero (not NaN) gradient there."""
    positive = w > 0
    return jnp.where(positive, jnp.log(jnp.where(positive, w, 1)), -jnp.inf)
