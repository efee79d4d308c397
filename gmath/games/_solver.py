r"""The solver interface: ``Solver(init, step)`` of pure functions, and shared step helpers.

A solver is two pure functions in a :class:`Solver` record (the optax pattern):

- ``init(players) -> state`` with ``players`` a tuple ``(x, y)`` (or ``(z_1, ..., z_n)``),
- ``step(state, game) -> (state, info)``.

States are :class:`SolverState` records (``state.x``, ``state.y``, ``state.players``) whose
``aux`` is the solver's own typed state, a NamedTuple per solver (:class:`NoAux` for solvers
with none, ``CGDAux``, ``FollowTheRidgeAux``, ``OptimisticAux``, ``LookaheadAux``); every
solver takes learning rates as floats, schedules ``count -> rate``, or a per-player tuple of
either (two-time-scale), and a per-player ``optimizer=`` with optax's ``init``/``update`` shape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeAlias

import jax
import jax.numpy as jnp
import numpy as np

from gmath._config import error_if_not
from gmath.games._tree import tree_add, tree_norm, tree_scale

__all__ = ["NoAux", "Solver", "SolverState", "StepInfo"]

# A learning rate: a number, an array, or a schedule ``count -> rate`` (optax's shape); a
# solver's ``learning_rate`` also takes one of these per player (a tuple or a list).
Rate: TypeAlias = float | jax.Array | Callable[[jax.Array], Any]
LearningRate: TypeAlias = Rate | Sequence[Rate]


class Solver(NamedTuple):
    """A game solver: ``init(players) -> state`` and ``step(state, game) -> (state, info)``."""

    init: Callable
    step: Callable


class NoAux(NamedTuple):
    """The ``aux`` of a solver that keeps no state beyond the players (an empty record).

    Examples:
      >>> from gmath import games as gg
      >>> gg.gda(learning_rate=0.1).init((1.0, 1.0)).aux
      NoAux()
    """


class SolverState(NamedTuple):
    """State of a solver: the players, the step count, per-player optimiser states, and the
    solver's own state ``aux``, a NamedTuple typed per solver (:class:`NoAux` where there is
    none)."""

    players: tuple
    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count (a public field)
    opt_states: tuple
    aux: Any = NoAux()

    @property
    def x(self) -> Any:
        """The first player (the minimiser of a zero-sum game)."""
        return self.players[0]

    @property
    def y(self) -> Any:
        """The second player (the maximiser of a zero-sum game)."""
        return self.players[1]


class StepInfo(NamedTuple):
    """Per-step diagnostics.

    Attributes:
      grad_norm: norm of the simultaneous gradient at the start of the step.
      valid: false when a learning rate evaluated in this step (a traced array, or a schedule's
        value) is negative or NaN; the step's players are then NaN and :func:`solve` returns
        NaN players.
    """

    grad_norm: jax.Array
    valid: Any = True


def per_player(value, n: int, name: str) -> tuple:
    """Broadcast a per-player option (scalar, schedule or optimiser) to a tuple of length n."""
    if isinstance(value, (tuple, list)) and not hasattr(value, "update"):
        if len(value) != n:
            raise ValueError(f"{name}: got {len(value)} per-player values for a {n}-player game.")
        return tuple(value)
    return (value,) * n


def _is_number(r) -> bool:
    return isinstance(r, (int, float)) and not isinstance(r, bool)


def rate_at(rate, count, name: str = "learning_rate") -> Any:
    """Evaluate a learning rate given as a float or a schedule ``count -> rate``.

    Python numbers were checked when the solver was built; an array or a schedule's value is
    checked here: negative or NaN gives NaN (and :class:`InvalidParameterError` in checks mode).
    """
    r = rate(count) if callable(rate) else rate
    if _is_number(r):
        return r
    ok = jnp.asarray(r) >= 0
    error_if_not(ok, f"{name} must be non-negative.")
    return jnp.where(ok, r, jnp.nan)


def rate_valid(rate, count) -> jax.Array:
    """Whether ``rate_at(rate, count)`` is a valid (non-negative) rate, as a boolean array."""
    r = rate(count) if callable(rate) else rate
    if _is_number(r):
        return jnp.asarray(True)
    return jnp.all(jnp.asarray(r) >= 0)


def rates_valid(learning_rate, n, count, *extra) -> jax.Array:
    """``rate_valid`` of every player's learning rate (and of ``extra`` rates), combined."""
    rates = (*per_player(learning_rate, n, "learning_rate"), *extra)
    return jnp.all(jnp.stack([rate_valid(r, count) for r in rates]))


def check_rate(rate, name: str, arg: str = "learning_rate") -> None:
    """Reject a concrete negative, NaN or non-scalar rate at construction (0 is allowed: the
    step is then the identity)."""
    rates = rate if isinstance(rate, (tuple, list)) else (rate,)
    for r in rates:
        if callable(r):
            continue
        if isinstance(r, jax.core.Tracer):  # traced: checked when evaluated (rate_at)
            if jnp.ndim(r) != 0:
                raise ValueError(f"{name}: {arg} must be a scalar, got shape {jnp.shape(r)}.")
            continue
        try:
            value = np.asarray(r, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name}: {arg} must be a number, a schedule or a per-player tuple, got "
                f"{type(r).__name__}."
            ) from None
        if value.shape != ():
            raise ValueError(f"{name}: {arg} must be a scalar, got shape {value.shape}.")
        if not value >= 0:
            raise ValueError(f"{name}: {arg} must be non-negative, got {r!r}.")


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
    name: str = "solver"

    def init(self, players) -> tuple:
        n = len(players)
        opts = per_player(self.optimizer, n, "optimizer")
        return tuple(() if o is None else o.init(p) for o, p in zip(opts, players, strict=True))

    def update_one(self, i, n, param, direction, opt_state, count) -> tuple[Any, Any]:
        """Return ``(new_param, new_opt_state)`` for player ``i`` of ``n``."""
        opt = per_player(self.optimizer, n, "optimizer")[i]
        if opt is None:
            lr = per_player(self.learning_rate, n, "learning_rate")[i]
            lr = rate_at(lr, count, f"{self.name}: learning_rate")
            return tree_add(param, tree_scale(-lr, direction)), opt_state
        updates, opt_state = opt.update(direction, opt_state, param)
        return tree_add(param, updates), opt_state

    def valid(self, n, count) -> jax.Array:
        """Whether every player's learning rate at ``count`` is valid (see :class:`StepInfo`)."""
        return rates_valid(self.learning_rate, n, count)

    def update(self, players, directions, opt_states, count) -> tuple[tuple, tuple]:
        n = len(players)
        new = [
            self.update_one(i, n, players[i], directions[i], opt_states[i], count) for i in range(n)
        ]
        return tuple(p for p, _ in new), tuple(s for _, s in new)


def zero_count() -> jax.Array:
    return jnp.zeros((), jnp.int32)


def grad_norm(v) -> jax.Array:
    return tree_norm(v)


def simple_solver(name: str, direction_fn, learning_rate, optimizer, extra_rates=()) -> Solver:
    """A solver stepping along ``direction_fn(game, z, rates, count)``, with no extra state;
    ``extra_rates`` (floats or schedules) are validated like the learning rates."""
    check_rate(learning_rate, name)
    check_optimizer(optimizer, name)
    updater = Updater(learning_rate, optimizer, name)

    def init(players) -> SolverState:
        players = tuple(players)
        return SolverState(players, zero_count(), updater.init(players), NoAux())

    def step(state, game) -> tuple[SolverState, StepInfo]:
        n = len(state.players)
        lrs = tuple(
            rate_at(r, state.count, f"{name}: learning_rate")
            for r in per_player(learning_rate, n, "learning_rate")
        )
        directions, gnorm = direction_fn(game, state.players, lrs, state.count)
        players, opt_states = updater.update(
            state.players, directions, state.opt_states, state.count
        )
        valid = rates_valid(learning_rate, n, state.count, *extra_rates)
        return SolverState(players, state.count + 1, opt_states, NoAux()), StepInfo(gnorm, valid)

    return Solver(init, step)
