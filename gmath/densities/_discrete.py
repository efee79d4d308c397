r"""Shared machinery of the discrete families (Bernoulli, Categorical, Binomial, Poisson, Geometric).

- exactly one of ``logits=`` / ``probs=`` (both are stored as pytree fields, the other ``None``);
- integer-valued ``x`` (integer, boolean or floating arrays) cast explicitly to the parameters'
  floating dtype, so that strict dtype promotion accepts integer data;
- ``log_prob`` is ``-inf`` off the support (non-integer, negative, above ``total_count``);
- ``score`` is undefined: ``x`` lives on a lattice, there is no gradient with respect to it.
"""

from __future__ import annotations

import jax.numpy as jnp

from gmath._numerics import float_dtype, promote

__all__ = ["check_logits_or_probs", "is_integer", "promote_value", "undefined_score"]


def check_logits_or_probs(record) -> None:
    """Raise ``ValueError`` unless exactly one of ``logits`` and ``probs`` is given."""
    given = [name for name in ("logits", "probs") if getattr(record, name) is not None]
    if len(given) != 1:
        raise ValueError(
            f"{type(record).__name__}: pass exactly one of logits= or probs=, got "
            f"{'both' if given else 'neither'}."
        )


def promote_value(x, *params):
    """Promote parameters and a value ``x`` to their common floating dtype.

    Integer and boolean ``x`` (counts, category indices) are first cast to the parameters'
    floating dtype, since strict promotion refuses to mix integers with floats implicitly.
    Returns ``(*params, x)``.
    """
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        x = x.astype(float_dtype(*params))
    return promote(*params, x)


def is_integer(x):
    """Elementwise: ``x`` is a finite integer value (``x`` floating)."""
    return jnp.isfinite(x) & (x == jnp.floor(x))


def undefined_score(record):
    name = type(record).__name__
    raise TypeError(
        f"{name}.score: the score grad_x log p(x) is undefined for the discrete distribution "
        f"{name}: x takes integer values, so log_prob has no gradient with respect to x. "
        "Differentiate log_prob with respect to the parameters instead (e.g. jax.grad over the "
        "record, which is a pytree)."
    )
