"""The driver: run a solver on a game under ``lax.scan`` or ``lax.while_loop``."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from gmath._jit import cached
from gmath.games._solver import Solver, SolverState
from gmath.games._tree import tree_all_finite, tree_select

__all__ = ["Trace", "solve"]


class Trace(NamedTuple):
    """What :func:`solve` records.

    Attributes:
      grad_norm: ``[num_steps]`` norm of the simultaneous gradient at the start of each step
        (NaN for steps not taken: after convergence with ``tolerance`` or after divergence).
      gap: ``[num_steps]`` value of ``gap_fn`` after each step, or ``None`` without ``gap_fn``.
      diverged: true if a step produced a non-finite iterate (the iterates blew up); the
        state returned is then the last finite one and no further step is taken. A learning
        rate found invalid while stepping (a traced or scheduled rate that is negative or NaN)
        is not a divergence: the players returned are NaN, and
        :class:`gmath.config.InvalidParameterError` is raised in checks mode.
      converged: true if ``tolerance`` was given and reached.
      num_iterations: steps actually applied.
    """

    grad_norm: jax.Array
    gap: jax.Array | None
    diverged: jax.Array
    converged: jax.Array
    num_iterations: jax.Array


def solve(
    game,
    solver: Solver,
    players,
    *,
    num_steps: int,
    tolerance: float | None = None,
    gap_fn: Callable | None = None,
) -> tuple[SolverState, Trace]:
    r"""Run ``solver`` on ``game`` from ``players`` for at most ``num_steps`` steps.

    Without ``tolerance`` the loop is a :func:`jax.lax.scan` (reverse-differentiable); with
    ``tolerance`` a :func:`jax.lax.while_loop` stops once the criterion is at most ``tolerance``:
    the duality gap if ``gap_fn`` is given, else the norm of the simultaneous gradient. A step
    that produces a non-finite iterate is not applied: the state stays at the last finite
    iterate and ``trace.diverged`` is set (never a silent NaN). Works under ``jit`` and ``vmap``.

    Called eagerly, the run is compiled once per game, solver, ``gap_fn``, shapes, dtypes,
    ``num_steps`` and ``tolerance`` and reused afterwards. The game, the solver and ``gap_fn``
    are keys by identity (hash): build them once, not in a fresh ``lambda`` per call, or every call
    compiles again.

    Args:
      game: a :class:`ZeroSumGame` or :class:`Game`.
      solver: a :class:`Solver`.
      players: tuple of the players' initial pytrees, ``(x0, y0)``.
      num_steps: maximum number of steps (static, non-negative); with ``0`` the initial state
        is returned with an empty trace (``converged`` false: nothing was checked).
      tolerance: stopping tolerance (optional).
      gap_fn: ``gap_fn(*players) -> scalar``, a duality gap or any certificate, recorded after
        every step (optional).

    Returns:
      ``(state, trace)``: the final solver state (``state.x``, ``state.y``) and a
      :class:`Trace`.

    Examples:
      >>> from gmath import games as gg
      >>> game = gg.ZeroSumGame(lambda x, y: x * y)
      >>> state, trace = gg.solve(game, gg.gda(learning_rate=0.1), (1.0, 1.0), num_steps=10)
      >>> trace.grad_norm.shape, bool(trace.diverged)
      ((10,), False)
    """
    if int(num_steps) != num_steps or num_steps < 0:
        raise ValueError(f"solve: num_steps must be a non-negative integer, got {num_steps!r}.")
    num_steps = int(num_steps)
    if tolerance is not None and not float(tolerance) >= 0:
        raise ValueError(f"solve: tolerance must be non-negative, got {tolerance!r}.")
    if not isinstance(players, (tuple, list)):
        raise ValueError(
            f"solve: players must be a tuple (x0, y0) of pytrees, got {type(players).__name__}."
        )
    players = tuple(
        jax.tree_util.tree_map(
            lambda u: (
                jnp.asarray(u)
                if jnp.issubdtype(jnp.result_type(u), jnp.inexact)
                else jnp.asarray(u, jax.dtypes.canonicalize_dtype(jnp.float64))
            ),
            p,
        )
        for p in players
    )
    # compiled once per (game, solver, gap_fn, shapes, num_steps, tolerance); unhashable user
    # objects run uncompiled (gmath._jit.cached)
    return _solve_jit(game, solver, players, num_steps, tolerance, gap_fn)


def _solve_impl(game, solver, players, num_steps, tolerance, gap_fn):
    game.check(players)  # at trace time: once per compilation
    state = solver.init(players)
    nan = jnp.asarray(jnp.nan, _norm_dtype(players))
    if num_steps == 0:  # nothing to run: the initial state and an empty trace
        empty = jnp.zeros((0,), nan.dtype)
        false = jnp.asarray(False)
        gaps = None if gap_fn is None else empty
        return state, Trace(empty, gaps, false, false, jnp.zeros((), jnp.int32))

    def advance(state, diverged, invalid):
        new_state, info = solver.step(state, game)
        # an invalid traced learning rate (StepInfo.valid false): NaN players, not a divergence
        invalid_now = invalid | ~jnp.asarray(getattr(info, "valid", True))
        bad = ~(tree_all_finite(new_state.players) & jnp.isfinite(info.grad_norm))
        diverged_now = diverged | (bad & ~invalid_now)
        state = tree_select(diverged_now, state, new_state)
        state = state._replace(
            players=tree_select(invalid_now, _nan_like(state.players), state.players)
        )
        gnorm = jnp.where(diverged | invalid_now, nan, info.grad_norm.astype(nan.dtype))
        gap = None if gap_fn is None else jnp.asarray(gap_fn(*state.players)).astype(nan.dtype)
        return state, diverged_now, invalid_now, gnorm, gap

    false = jnp.asarray(False)
    if tolerance is None:

        def body(carry, _):
            state, diverged, invalid, taken = carry
            state, diverged_now, invalid_now, gnorm, gap = advance(state, diverged, invalid)
            taken = taken + jnp.where(diverged_now | invalid_now, 0, 1)
            return (state, diverged_now, invalid_now, taken), (gnorm, gap)

        init = (state, false, false, jnp.zeros((), jnp.int32))
        (state, diverged, _, taken), (gnorms, gaps) = jax.lax.scan(
            body, init, None, length=num_steps
        )
        return state, Trace(gnorms, gaps, diverged, false, taken)

    gnorms0 = jnp.full((num_steps,), jnp.nan, nan.dtype)
    gaps0 = None if gap_fn is None else jnp.full((num_steps,), jnp.nan, nan.dtype)

    def cond(carry):
        _, diverged, invalid, converged, i, _, _ = carry
        return (i < num_steps) & ~diverged & ~invalid & ~converged

    def body(carry):
        state, diverged, invalid, _, i, gnorms, gaps = carry
        state, diverged_now, invalid_now, gnorm, gap = advance(state, diverged, invalid)
        gnorms = gnorms.at[i].set(gnorm)
        if gaps is not None:
            gaps = gaps.at[i].set(gap)
            criterion = gap
        else:
            criterion = gnorm
        converged = (criterion <= tolerance) & ~diverged_now & ~invalid_now
        stepped = ~(diverged_now | invalid_now)
        return (
            state,
            diverged_now,
            invalid_now,
            converged,
            i + jnp.where(stepped, 1, 0),
            gnorms,
            gaps,
        )

    carry = (state, false, false, false, jnp.zeros((), jnp.int32), gnorms0, gaps0)
    state, diverged, _, converged, taken, gnorms, gaps = jax.lax.while_loop(cond, body, carry)
    return state, Trace(gnorms, gaps, diverged, converged, taken)


def _nan_like(tree):
    return jax.tree_util.tree_map(
        lambda u: jnp.full_like(u, jnp.nan) if jnp.issubdtype(u.dtype, jnp.inexact) else u, tree
    )


_solve_jit = cached(_solve_impl, static_argnums=(0, 1, 3, 4, 5))


def _norm_dtype(players):
    leaves = jax.tree_util.tree_leaves(players)
    if not leaves:
        return jax.dtypes.canonicalize_dtype(jnp.float64)
    dtype = jnp.result_type(leaves[0])
    return jnp.finfo(dtype).dtype if jnp.issubdtype(dtype, jnp.complexfloating) else dtype
