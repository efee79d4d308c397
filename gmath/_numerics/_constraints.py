"""Parameter tests shared by the distribution families' ``_constraints``.

XLA flushes subnormal floats to zero on CPU (and on GPUs by default): inside a computation
``5e-324 > 0`` is False and ``log(5e-324)`` is ``-inf``. A subnormal parameter is mathematically
valid, but no method can compute with it, and treating it as 0 gives plausible wrong numbers
(``Poisson(5e-324).log_prob(1)`` would be ``-inf``, not -744.4). These tests read the IEEE 754
bit pattern, so they see subnormals as what they are; the families count a nonzero subnormal
parameter as invalid (NaN by default, ``InvalidParameterError`` in checks mode).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = ["finite_nonnegative", "finite_positive", "not_subnormal"]

_INT = {2: jnp.int16, 4: jnp.int32, 8: jnp.int64}


def _bits(x):
    """``(x, bits, magnitude bits, bits of tiny, bits of inf)`` (``bits`` None for non-floats)."""
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        return x, None, None, None, None
    itype = _INT[x.dtype.itemsize]
    bits = jax.lax.bitcast_convert_type(x, itype)
    magnitude = bits & jnp.iinfo(itype).max  # the sign bit cleared
    tiny_bits = jax.lax.bitcast_convert_type(jnp.asarray(jnp.finfo(x.dtype).tiny, x.dtype), itype)
    inf_bits = jax.lax.bitcast_convert_type(jnp.asarray(jnp.inf, x.dtype), itype)
    return x, bits, magnitude, tiny_bits, inf_bits


def not_subnormal(x) -> jax.Array:
    r"""Elementwise: ``x`` is 0, or :math:`|x|` is at least the smallest normal number (or
    infinite, or NaN): every value but the nonzero subnormals, which XLA reads as 0."""
    x, bits, magnitude, tiny_bits, _ = _bits(x)
    if bits is None:
        return jnp.ones(x.shape, bool)
    return (magnitude == 0) | (magnitude >= tiny_bits)


def finite_positive(x) -> jax.Array:
    r"""``tiny <= x < inf`` elementwise: positive, finite and not subnormal (NaN excluded).

    A positive float's bit pattern, read as a signed integer, is positive and ordered as the
    float; a negative float's (sign bit set) is negative, and NaN's is above that of ``inf``.
    """
    x, bits, _, tiny_bits, inf_bits = _bits(x)
    if bits is None:
        return x > 0
    return (bits >= tiny_bits) & (bits < inf_bits)


def finite_nonnegative(x) -> jax.Array:
    r"""``x = 0`` (either sign) or ``tiny <= x < inf`` elementwise (NaN and subnormals excluded)."""
    x, bits, magnitude, _, _ = _bits(x)
    if bits is None:
        return x >= 0
    return (magnitude == 0) | finite_positive(x)
