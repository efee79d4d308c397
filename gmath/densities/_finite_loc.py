"""A location parameter that must be finite: NaN in values and derivatives where it is not."""

from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = ["loc_is_finite", "loc_mask", "nan_mask"]


def loc_is_finite(loc, event_ndims: int = 0) -> jax.Array:
    """Whether ``loc`` is finite (a vector location, ``event_ndims=1``: every coordinate)."""
    ok = jnp.isfinite(jnp.asarray(loc))
    return jnp.all(ok, axis=-1) if event_ndims else ok


def nan_mask(ok, dtype) -> jax.Array:
    """1 where ``ok`` and NaN elsewhere, in ``dtype``: a factor that leaves valid members
    exactly as they are and makes every value and derivative through the others NaN."""
    return jnp.where(ok, 1.0, jnp.nan).astype(dtype)


def loc_mask(loc, event_ndims: int = 0) -> jax.Array:
    r"""1 where ``loc`` is finite and NaN where it is not, in ``loc``'s dtype (a vector location,
    ``event_ndims=1``: one entry per member, with a trailing axis of size 1).

    An infinite location is no distribution. The public methods' output mask makes such a
    member's value NaN, but alone it leaves derivatives finite (the masked branch's cotangent
    is 0: a method linear in ``loc``, or one that branches on a NaN, gets derivative 0, a
    plausible wrong number). A family multiplies its parameters by this mask before use: finite
    values pass exactly, and any derivative through a non-finite location's member is
    :math:`c \cdot \mathrm{NaN} = \mathrm{NaN}`, whatever the cotangent :math:`c`.
    """
    ok = jnp.isfinite(loc)
    if event_ndims:
        ok = jnp.all(ok, axis=-1, keepdims=True)
    return nan_mask(ok, loc.dtype)
