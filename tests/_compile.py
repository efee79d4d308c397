"""Counting XLA compilations, to test that a second eager call compiles nothing."""

from __future__ import annotations

import contextlib

import jax
import numpy as np

__all__ = ["assert_second_call_compiles_nothing", "count_compilations"]


@contextlib.contextmanager
def count_compilations():
    """Count XLA backend compilations through ``jax.monitoring``'s public event listener.

    Yields a one-element list whose entry is the number of compilations so far.
    """
    count = [0]

    def listener(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            count[0] += 1

    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        yield count
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)


def assert_second_call_compiles_nothing(name, call):
    """Call ``call()`` twice: the second call triggers no XLA compilation and returns the same
    values as the first (the cached executable computes the same thing)."""
    first = jax.block_until_ready(call())
    with count_compilations() as count:
        second = jax.block_until_ready(call())
    assert count[0] == 0, f"{name}: {count[0]} XLA compilations on the second eager call"
    jax.tree_util.tree_map(np.testing.assert_array_equal, first, second)
