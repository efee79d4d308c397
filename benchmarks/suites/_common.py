"""Helpers shared by the suites."""

from __future__ import annotations

from benchmarks.harness import Impl
from benchmarks.limits import elementwise_pass

__all__ = ["itemsize", "pick", "same_size_pass"]


def pick(mode: str, smoke, quick, full):
    """The value for ``mode``."""
    return {"smoke": smoke, "quick": quick, "full": full}[mode]


def itemsize(dtype: str) -> int:
    import numpy as np

    return np.dtype(dtype).itemsize


def same_size_pass(x, name: str = "x*2+1 pass") -> Impl:
    """The memory-bandwidth comparator: one multiply-add per element of ``x``, into a fresh output
    (as the function under test also allocates its output)."""
    return Impl(
        name,
        elementwise_pass(False),
        (x,),
        role="limit",
        note="same-size elementwise pass, fresh output (the like-for-like memory bound)",
    )
