"""Counting XLA compilations, to test that a second eager call compiles nothing."""

from __future__ import annotations

import contextlib

import jax

__all__ = ["count_compilations"]


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
