r"""Diffusion samplers as kernels: the :class:`SamplerKernel` record and its driver.

A sampler kernel is a pair of pure functions (the shape of :class:`~gmath.scores.LangevinKernel`,
with the grid times added to the step):

- ``init(x) -> state``: the state of a batch ``x`` at the first grid time,
- ``step(key, state, t, t_next) -> state``: one move from time ``t`` to ``t_next``.

States are NamedTuples holding at least ``position`` (the batch); :class:`SamplerState` is the
one used by every built-in kernel. :func:`run_sampler` runs a kernel along a time grid with one
``lax.scan``; every sampler of :mod:`gmath.scores` (:func:`~gmath.scores.ddim_sample`,
:func:`~gmath.scores.reverse_sde_sample`, ...) is its kernel run by this driver, so a new sampler
is one kernel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gmath._numerics import check_key

__all__ = ["SamplerKernel", "SamplerState", "run_sampler"]


class SamplerState(NamedTuple):
    r"""State of a diffusion sampler: the batch at the current grid time.

    Attributes:
      position: the batch :math:`x_t`, shape ``[batch, ...]`` (a pytree of such arrays for the
        augmented flows of the likelihood).

    Examples:
      >>> import jax.numpy as jnp
      >>> SamplerState(jnp.zeros((2, 3))).position.shape
      (2, 3)
    """

    position: Any


class SamplerKernel(NamedTuple):
    r"""A diffusion sampler as a pair of pure functions, run by :func:`run_sampler`.

    Attributes:
      init: ``x -> state``, the state (a NamedTuple with a ``position`` field) of the batch ``x``.
      step: ``(key, state, t, t_next) -> state``, one move from grid time ``t`` to ``t_next``
        (scalars); ``jit``- and ``vmap``-compatible.
      keys_per_step: how many PRNG keys ``step`` takes: 0 for a deterministic kernel (``key`` is
        then ``None``), 1 for one key, ``k > 1`` for an array of ``k`` keys.

    Examples:
      >>> import jax.numpy as jnp
      >>> # the exact flow of dx/dt = -x, a kernel written by hand
      >>> k = SamplerKernel(SamplerState, lambda key, s, t, u: SamplerState(
      ...     s.position * jnp.exp(t - u)), keys_per_step=0)
      >>> float(run_sampler(None, k, jnp.ones((1, 1)), jnp.array([0.0, 0.5, 1.0])).position[0, 0])
      0.36787944117144233
    """

    init: Callable[[Any], Any]
    step: Callable[[Any, Any, jax.Array, jax.Array], Any]
    keys_per_step: int = 1


def step_keys(key, num_steps: int, keys_per_step: int, *, where: str):
    """The per-step keys of a run: None, ``split(key, n)`` or ``split(key, (n, k))``."""
    if keys_per_step == 0:
        return None
    check_key(key, where=where)
    if keys_per_step == 1:
        return jax.random.split(key, num_steps)
    return jax.random.split(key, (num_steps, keys_per_step))


def scan_kernel(kernel: SamplerKernel, state, times, keys):
    """``lax.scan`` of ``kernel.step`` over the consecutive pairs of ``times`` (no checks)."""

    def body(s, inputs):
        t, t_next, k = inputs
        return kernel.step(k, s, t, t_next), None

    state, _ = jax.lax.scan(body, state, (times[:-1], times[1:], keys))
    return state


def run_sampler(key, kernel: SamplerKernel, x, times) -> Any:
    r"""Run a sampler kernel along a time grid: ``init(x)``, then ``step`` from each grid time
    to the next, in one ``lax.scan``.

    The key is split into one key per step (``jax.random.split(key, num_steps)``; with
    ``kernel.keys_per_step = k > 1``, ``split(key, (num_steps, k))``, a row per step). The grid
    is used as given: the built-in samplers (:func:`~gmath.scores.ddim_sample`, ...) check it
    against their schedule before running their kernel here.

    Args:
      key: PRNG key; ``None`` for a deterministic kernel (``keys_per_step = 0``).
      kernel: a :class:`SamplerKernel` (a built-in one such as :func:`ddim_kernel`, or your own).
      x: the batch at ``times[0]``, shape ``[batch, ...]``.
      times: grid ``[num_steps + 1]``, 1-D with at least two entries.

    Returns:
      The kernel's state at ``times[-1]``; ``state.position`` is the sample.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from gmath.scores import reverse_sde_kernel, time_grid, vp_linear
      >>> s = vp_linear()
      >>> kernel = reverse_sde_kernel(lambda x, t: -x, schedule=s)
      >>> state = run_sampler(jax.random.key(0), kernel, jnp.zeros((4, 2)), time_grid(s, 10))
      >>> state.position.shape
      (4, 2)
    """
    times = jnp.asarray(times)
    if times.ndim != 1 or times.shape[0] < 2:
        raise ValueError(
            f"run_sampler: times must be 1-D with >= 2 entries, got shape {times.shape}."
        )
    keys = step_keys(key, times.shape[0] - 1, kernel.keys_per_step, where="run_sampler")
    return scan_kernel(kernel, kernel.init(x), times, keys)
