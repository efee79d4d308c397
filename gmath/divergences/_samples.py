"""Input validation shared by the divergences between samples (private).

Weights of the divergences between probability measures (energy distance, MMD, KSD, the
Wasserstein distances) are probability vectors: nonnegative and summing to one within
:func:`mass_tolerance`. They are not normalised silently: weights off the simplex are almost always
a bug (a forgotten normalisation, a mask), and a silently normalised bug is invisible. Concrete
weights off the simplex raise ``ValueError`` when the function is called; traced ones make the
result NaN, and raise :class:`~gmath.config.InvalidParameterError` in checks mode.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from gmath._config import error_if_not
from gmath._numerics import float_dtype

__all__ = [
    "as_arrays",
    "check_points",
    "check_positive",
    "check_scalar",
    "check_weights",
    "is_concrete",
    "mass_tolerance",
    "precheck_weights",
    "safe_log",
]


def is_concrete(v) -> bool:
    """True when ``v`` has a value now (not a tracer under ``jit``/``vmap``/``grad``)."""
    return not isinstance(v, jax.core.Tracer)


def as_arrays(*vs) -> tuple[jax.Array | None, ...]:
    """Each of ``vs`` as an array (lists and scalars converted), ``None`` kept: what the compiled
    functions of :func:`gmath._jit.cached` take."""
    return tuple(
        v if v is None or isinstance(v, (jax.Array, jax.core.Tracer)) else jnp.asarray(v)
        for v in vs
    )


def precheck_weights(owner: str, x, y, a, b, *, one_d: bool = False) -> None:
    """Validate concrete weights eagerly, before a compiled call (where they would be traced and
    give NaN instead of a ``ValueError``). A no-op without weights or with traced inputs."""
    if (a is None and b is None) or not all(is_concrete(v) for v in (x, y, a, b)):
        return
    if one_d:
        x, y = jnp.reshape(x, (-1, 1)), jnp.reshape(y, (-1, 1))
    x, y = check_points(x, y, owner)
    dtype = float_dtype(x, y, a, b)
    for w, v, name in ((a, x, "a"), (b, y, "b")):
        if w is not None:
            check_weights(w, v.shape[0], owner, name, dtype)


def check_points(x, y, owner: str, *, names=("x", "y")) -> tuple[jax.Array, ...]:
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


def mass_tolerance(dtype) -> float:
    r"""How far from each other two total masses may be and still count as equal (relative).

    :math:`\sqrt{\epsilon_{\mathrm{mach}}}` (1.5e-8 in float64, 3.5e-4 in float32): far above the
    rounding of a normalisation ``w / w.sum()`` of any practical length, far below a real error.
    """
    return float(np.sqrt(np.finfo(dtype).eps))


def check_weights(
    w, size: int, owner: str, name: str, dtype, *, probability: bool = True
) -> jax.Array:
    """Default uniform weights; shape ``[size]``; nonnegative and (``probability``) summing to one.

    Concrete invalid weights raise ``ValueError``; traced ones become NaN (and raise
    ``InvalidParameterError`` in checks mode).
    """
    if w is None:
        return jnp.full((size,), 1.0 / size, dtype)
    w = jnp.asarray(w, dtype)
    if w.shape != (size,):
        raise ValueError(f"{owner}: {name} must have shape ({size},), got {w.shape}.")
    tol = mass_tolerance(dtype)
    if is_concrete(w):
        wn = np.asarray(w, np.float64)
        if np.any(wn < 0):
            raise ValueError(f"{owner}: {name} must be nonnegative.")
        total = float(np.sum(wn))
        # NaN weights are not rejected here: NaN in, NaN out
        if probability and not np.isnan(total) and not abs(total - 1.0) <= tol:
            raise ValueError(
                f"{owner}: {name} must sum to one (a probability vector; normalise with "
                f"{name} / {name}.sum()), got a sum of {total!r}."
            )
        return w
    nonneg = jnp.all(w >= 0)
    error_if_not(nonneg, f"{owner}: {name} must be nonnegative.")
    ok = nonneg
    if probability:
        on_simplex = jnp.abs(jnp.sum(w) - 1) <= tol
        error_if_not(on_simplex, f"{owner}: {name} must sum to one.")
        ok = ok & on_simplex
    return jnp.where(ok, w, jnp.nan)


def check_scalar(v, owner: str, name: str, dtype) -> jax.Array:
    """``v`` as a scalar array of ``dtype``; ``ValueError`` naming ``name`` if it is not a scalar."""
    v = jnp.asarray(v)
    if v.ndim != 0:
        raise ValueError(f"{owner}: {name} must be a scalar, got an array of shape {v.shape}.")
    if not (jnp.issubdtype(v.dtype, jnp.floating) or jnp.issubdtype(v.dtype, jnp.integer)):
        raise TypeError(f"{owner}: {name} must be a real number, got dtype {v.dtype}.")
    return v.astype(dtype)


def check_positive(v, owner: str, name: str) -> jax.Array:
    """Concrete nonpositive ``v`` raises ``ValueError``; traced nonpositive values become NaN."""
    if is_concrete(v):
        if not np.all(np.asarray(v) > 0):
            raise ValueError(f"{owner}: {name} must be positive, got {np.asarray(v)}.")
        return v
    error_if_not(v > 0, f"{owner}: {name} must be positive.")
    return jnp.where(v > 0, v, jnp.nan)


def safe_log(w) -> jax.Array:
    """``log w`` with ``log 0 = -inf`` and a zero (not NaN) gradient there."""
    positive = w > 0
    return jnp.where(positive, jnp.log(jnp.where(positive, w, 1)), -jnp.inf)
