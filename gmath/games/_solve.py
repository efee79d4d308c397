"""The driver: run a solver on a game under ``lax.scan`` or ``lax.while_loop``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, NamedTuple

import jax
import jax.numpy as jnp

from gmath._jit import cached
from gmath.games._solver import Solver, SolverState
from gmath.games._tree import tree_all_finite, tree_select

__all__ = ["Trace", "solve"]


class Trace(NamedTuple):
    """What :func:`solve` records.

    Attributes:
      grad_norm: ``[num_steps // k]`` norm of the simultaneous gradient at the start of every
        recorded step (``record="full"``: every step, ``k = 1``; ``record=k``: steps ``k - 1``,
        ``2k - 1``, ...; ``record="none"``: empty). NaN for steps not taken: after convergence
        with ``tolerance`` or after divergence.
      gap: value of ``gap_fn`` after every recorded step (same length as ``grad_norm``), or
        ``None`` without ``gap_fn``.
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
    record: Literal["full", "none"] | int = "full",
) -> tuple[SolverState, Trace]:
    r"""Run ``solver`` on ``game`` from ``players`` for at most ``num_steps`` steps.

    Without ``tolerance`` the loop is a :func:`jax.lax.scan` (reverse-differentiable); with
    ``tolerance`` a :func:`jax.lax.while_loop` stops once the criterion is at most ``tolerance``:
    the duality gap if ``gap_fn`` is given, else the norm of the simultaneous gradient. A step
    that produces a non-finite iterate is not applied: the state stays at the last finite
    iterate and ``trace.diverged`` is set (never a silent NaN). Works under ``jit`` and ``vmap``.

    ``record`` chooses what the trace keeps and how often divergence is checked. ``"full"``
    records every step and checks every step. ``record=k`` records every ``k``-th step, and
    ``"none"`` records nothing; without ``tolerance`` these run the steps in blocks (``k``
    steps, or 128 with ``"none"``) with no per-step bookkeeping, check the iterates once per
    block, and rerun a block step by step from its start only when its last iterate is not
    finite (or a learning rate in it was invalid). The state, ``diverged`` and
    ``num_iterations`` are then those of ``"full"``, at the cost of one check per block instead
    of one per step: on the 2-core CPU, GDA with d = 64 ran at 0.91-0.95x the speed of a bare
    ``lax.scan`` with ``"none"``, 0.2-0.4x with ``"full"``. One difference: these modes judge divergence by the
    iterates, so a step whose gradient overflows while its update stays finite (an elementwise
    clipping optimiser) is not flagged, where ``"full"`` flags it. Under ``vmap`` a block's
    rerun is evaluated for every problem (``lax.cond`` on a batched predicate becomes a
    select), so the blocked modes pay off unbatched. With ``tolerance`` every step is checked
    in every mode (the criterion is evaluated per step); ``record`` then only thins the trace.

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
        every recorded step (optional).
      record: ``"full"`` (default), ``"none"``, or a positive integer ``k`` (record every
        ``k``-th step); see above.

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
    every = _record_every(record)
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
    return _solve_jit(game, solver, players, num_steps, tolerance, gap_fn, every)


# steps per block of record="none" without tolerance. A per-step check and select cost about
# three steps of a d = 64 GDA on the 2-core CPU; a block's check, branch and inner loop cost about
# 30 steps of a d = 16 GDA, so 128-step blocks keep the overhead at a few per cent (32-step blocks
# ran at 0.55x a bare scan at d = 16, 128 at 0.95x).
_BLOCK = 128


def _record_every(record) -> int:
    """``record`` as the recording period: 1 for "full", 0 for "none", else k >= 1."""
    if record == "full":
        return 1
    if record == "none":
        return 0
    if isinstance(record, bool) or not isinstance(record, int) or record < 1:
        raise ValueError(
            f'solve: record must be "full", "none" or a positive integer, got {record!r}.'
        )
    return record


def _solve_impl(game, solver, players, num_steps, tolerance, gap_fn, every):
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
        invalid_now = invalid | ~_valid(info)
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
        if every == 1:
            (state, diverged, _, taken), (gnorms, gaps) = jax.lax.scan(
                body, init, None, length=num_steps
            )
            return state, Trace(gnorms, gaps, diverged, false, taken)
        return _blocked(solver, game, body, init, num_steps, every, gap_fn, nan)

    num_records = num_steps // every if every else 0
    gnorms0 = jnp.full((num_records,), jnp.nan, nan.dtype)
    gaps0 = None if gap_fn is None else jnp.full((num_records,), jnp.nan, nan.dtype)

    def cond(carry):
        _, diverged, invalid, converged, i, _, _ = carry
        return (i < num_steps) & ~diverged & ~invalid & ~converged

    def body(carry):
        state, diverged, invalid, _, i, gnorms, gaps = carry
        state, diverged_now, invalid_now, gnorm, gap = advance(state, diverged, invalid)
        if every:  # step i is recorded at i // every when every divides i + 1
            slot = jnp.where((i + 1) % every == 0, i // every, num_records)  # out of range: dropped
            gnorms = gnorms.at[slot].set(gnorm, mode="drop")
            if gaps is not None:
                gaps = gaps.at[slot].set(gap, mode="drop")
        criterion = gnorm if gap_fn is None else gap
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


def _blocked(solver, game, checked_step, init, num_steps, every, gap_fn, nan):
    """The scan path of ``record="none"`` (``every == 0``) and ``record=k`` (``every == k``).

    Each block of ``every`` steps (``_BLOCK`` without recording; a shorter last block takes the
    remainder) runs its steps with no per-step check, then checks the last iterate and the
    learning rates' validity; if either fails, or the run had already stopped, the block is
    rerun from its start by ``checked_step`` (the per-step body of ``"full"``), which gives the
    exact state, flags and count of ``"full"``. The last step of a recorded block is taken
    apart so that its gradient norm and the gap after it are computed (and only those).
    """
    size = every or _BLOCK

    def fast(state, length):
        def plain(carry, _):
            state, valid = carry
            state, info = solver.step(state, game)
            return (state, valid & _valid(info)), None

        (state, valid), _ = jax.lax.scan(plain, (state, jnp.asarray(True)), None, length=length)
        return state, valid

    def block(carry, length, recorded):
        state0, diverged, invalid, taken = carry
        state, valid = fast(state0, length - 1 if recorded else length)
        gnorm = gap = None
        if recorded:
            state, info = solver.step(state, game)
            valid = valid & _valid(info)
            gnorm = info.grad_norm.astype(nan.dtype)
            if gap_fn is not None:
                gap = jnp.asarray(gap_fn(*state.players)).astype(nan.dtype)
        ok = ~diverged & ~invalid & valid & tree_all_finite(state.players)
        if recorded:
            ok = ok & jnp.isfinite(gnorm)

        def accept():
            return (state, diverged, invalid, taken + length), (gnorm, gap)

        def rerun():
            carry, (gnorms, gaps) = jax.lax.scan(checked_step, carry0, None, length=length)
            if not recorded:
                return carry, (None, None)
            return carry, (gnorms[-1], None if gaps is None else gaps[-1])

        carry0 = (state0, diverged, invalid, taken)
        return jax.lax.cond(ok, accept, rerun)

    num_blocks, rest = divmod(num_steps, size)
    recorded = every > 0
    carry = init
    gnorms = gaps = None
    if num_blocks:
        carry, (gnorms, gaps) = jax.lax.scan(
            lambda c, _: block(c, size, recorded), carry, None, length=num_blocks
        )
    if rest:  # never recorded: a record is every k-th step, and rest < k
        carry, _ = block(carry, rest, False)
    state, diverged, _, taken = carry
    empty = jnp.zeros((0,), nan.dtype)
    if not recorded or gnorms is None:
        gnorms = empty
        gaps = None if gap_fn is None else empty
    return state, Trace(gnorms, gaps, diverged, jnp.asarray(False), taken)


def _valid(info) -> jax.Array:
    """``StepInfo.valid`` as an array (true for a solver whose info has no such field)."""
    return jnp.asarray(getattr(info, "valid", True))


def _nan_like(tree):
    return jax.tree_util.tree_map(
        lambda u: jnp.full_like(u, jnp.nan) if jnp.issubdtype(u.dtype, jnp.inexact) else u, tree
    )


_solve_jit = cached(_solve_impl, static_argnums=(0, 1, 3, 4, 5, 6))


def _norm_dtype(players):
    leaves = jax.tree_util.tree_leaves(players)
    if not leaves:
        return jax.dtypes.canonicalize_dtype(jnp.float64)
    dtype = jnp.result_type(leaves[0])
    return jnp.finfo(dtype).dtype if jnp.issubdtype(dtype, jnp.complexfloating) else dtype
