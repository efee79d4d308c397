"""Full-precision matrix products on every backend.

On GPUs and TPUs a float32 matrix product at JAX's default precision may run in TF32 or bfloat16
passes (about 3 significant digits), which breaks results that are meant to hold to a few ulps:
duality-gap certificates, Bures traces, projections. gmath's own matrix products therefore run
at ``Precision.HIGHEST`` (on a CPU this changes nothing). ``tests/test_precision.py`` checks
every ``dot_general`` that the public functions trace.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

import jax
import jax.numpy as jnp
from jax import lax

__all__ = ["HIGHEST", "highest_precision", "matmul"]

HIGHEST = lax.Precision.HIGHEST

F = TypeVar("F", bound=Callable[..., Any])


def matmul(a, b):
    """``a @ b`` at full float32 precision on every backend."""
    return jnp.matmul(a, b, precision=HIGHEST)


def highest_precision(fn: F) -> F:
    """Run ``fn`` with every matrix product it traces at ``Precision.HIGHEST``.

    For functions that take no user callables: a user's own network traced inside would be
    slowed down by it too.
    """

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with jax.default_matmul_precision("highest"):
            return fn(*args, **kwargs)

    return cast(F, wrapped)  # functools.wraps: the signature of fn
