r"""The solver interface: ``Solver(init, step)`` of pure functions, and shared step helpers.

A solver is two pure functions in a :class:`Solver` record (the optax pattern):

- ``init(players) -> state`` with ``players`` a tuple ``(x, y)`` (or ``(z_1, ..., z_n)``),
- ``step(state, game) -> (state, info)``.

States are :class:`SolverState` records (``state.x``, ``state.y``, ``state.players``); every
solver takes learning rates as floats, schedules ``count -> rate``, or a per-player tuple of
either (two-time-scale), and a per-player ``optimizer=`` with optax's ``init``/``update`` shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from gmath.games._tree import tree_add, tree_norm, tree_scale

__all__ = ["Solver", "SolverState", "StepInfo"]


class Solver(NamedTuple):
    """A game solver: ``init(players) -> state`` and ``step(state, game) -> (state, info)``."""

    init: Callable
    step: Callable


class SolverState(NamedTuple):
    """State of a solver: the players, the step count, per-player optimiser states, extras."""

    players: tuple
    count: jax.Array
    opt_states: tuple
    aux: Any = ()

    @property
    def x(self):
        """The first player (the minimiser of a zero-sum game)."""
        return self.players[0]

    @property
    def y(self):
        """The second player (the maximiser of a zero-sum game)."""
        return self.players[1]


class StepInfo(NamedTuple):
    """Per-step diagnostics: the norm of the simultaneous gradient at the start of the step."""

    grad_norm: jax.Array


def per_player(value, n: int, name: str) -> tuple:
    """Broadcast a per-player option (scalar, schedule or optimiser) to a tuple of length n."""
    if isinstance(value, (tuple, list)) and not hasattr(value, "update"):
        if len(value) != n:
            raise ValueError(f"{name}: got {len(value)} per-player values for a {n}-player game.")
        return tuple(value)
    return (value,) * n


def rate_at(rate, count):
    """Evaluate a learning rate given as a float or a schedule ``count -> rate``."""
    return rate(count) if callable(rate) else rate


def check_rate(rate, name: str) -> None:
    rates = rate if isinstance(rate, (tuple, list)) else (rate,)
    for r in rates:
        if callable(r):
            continue
        try:
            value = float(r)
        except (TypeError, ValueError):  # traced values are allowed
            continue
        if not value > 0:
            raise ValueError(f"{name}: learning_rate must be positive, got {r!r}.")


def check_optimizer(optimizer, name: str) -> None:
    single = optimizer is None or hasattr(optimizer, "update")
    opts = (optimizer,) if single or not isinstance(optimizer, (tuple, list)) else optimizer
    for o in opts:
        if o is not None and not (hasattr(o, "init") and hasattr(o, "update")):
            raise TypeError(
                f"{name}: optimizer must have optax's init/update shape, got {type(o).__name__}."
            )


class Updater(NamedTuple):
    """Turns a direction (what the player descends along) into a parameter update."""

    learning_rate: Any
    optimizer: Any

    def init(self, players):
        n = len(players)
        opts = per_player(self.optimizer, n, "optimizer")
        return tuple(() if o is None else o.init(p) for o, p in zip(opts, players, strict=True))

    def update_one(self, i, n, param, direction, opt_state, count):
        """Return ``(new_param, new_opt_state)`` for player ``i`` of ``n``."""
        opt = per_player(self.optimizer, n, "optimizer")[i]
        if opt is None:
            lr = rate_at(per_player(self.learning_rate, n, "learning_rate")[i], count)
            return tree_add(param, tree_scale(-lr, direction)), opt_state
        updates, opt_state = opt.update(direction, opt_state, param)
        return tree_add(param, updates), opt_state

    def update(self, players, directions, opt_states, count):
        n = len(players)
        new = [
            self.update_one(i, n, players[i], directions[i], opt_states[i], count) for i in range(n)
        ]
        return tuple(p for p, _ in new), tuple(s for _, s in new)


def zero_count():
    return jnp.zeros((), jnp.int32)


def grad_norm(v):
    return tree_norm(v)


def simple_solver(name: str, direction_fn, learning_rate, optimizer) -> Solver:
    """A solver stepping along ``direction_fn(game, z, rates, count)``, with no extra state."""
    check_rate(learning_rate, name)
    check_optimizer(optimizer, name)
    updater = Updater(learning_rate, optimizer)

    def init(players):
        players = tuple(players)
        return SolverState(players, zero_count(), updater.init(players), ())

    def step(state, game):
        n = len(state.players)
        lrs = tuple(rate_at(r, state.count) for r in per_player(learning_rate, n, "learning_rate"))
        directions, gnorm = direction_fn(game, state.players, lrs, state.count)
        players, opt_states = updater.update(
            state.players, directions, state.opt_states, state.count
        )
        return SolverState(players, state.count + 1, opt_states, ()), StepInfo(gnorm)

    return Solver(init, step)
