"""Competitive gradient descent (Schäfer and Anandkumar 2019)."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax

from gmath.games._game import is_zero_sum
from gmath.games._linsolve import solve_linear
from gmath.games._solver import (
    LearningRate,
    Solver,
    SolverState,
    StepInfo,
    Updater,
    check_optimizer,
    check_rate,
    rate_at,
    zero_count,
)
from gmath.games._tree import tree_add, tree_norm, tree_scale, tree_sub, tree_zeros_like

__all__ = ["CGDAux", "cgd"]


class CGDAux(NamedTuple):
    """The ``aux`` of :func:`cgd`'s state.

    Attributes:
      warm_start: the last solution of the inner linear system (the first player's update
        direction), the starting point of the next solve; zeros before the first step.
    """

    warm_start: Any


def cgd(
    learning_rate: LearningRate = 0.1,
    *,
    tolerance: float = 1e-12,
    max_iterations: int | None = None,
    optimizer=None,
) -> Solver:
    r"""Competitive gradient descent: each step plays the Nash equilibrium of a local bilinear game.

    For two players with losses :math:`f` (player :math:`x`) and :math:`g` (player :math:`y`),

    .. math::
        \Delta x = -\eta\,\big(I - \eta^2 D^2_{xy}f\, D^2_{yx}g\big)^{-1}
                   \big(\nabla_x f - \eta\, D^2_{xy}f\,\nabla_y g\big), \qquad
        \Delta y = -\eta\,\big(\nabla_y g + D^2_{yx}g\,\Delta x\big).

    For a zero-sum game (:math:`g = -f`) the matrix is :math:`I + \eta^2 D_{xy}f\,D_{xy}f^\top`,
    symmetric positive definite, and is solved by matrix-free conjugate gradients on
    Hessian-vector products, warm-started at the previous solution; general-sum games use GMRES.
    On a bilinear game CGD equals the proximal-point iterate exactly.

    Args:
      learning_rate: step size :math:`\eta` (a float or schedule; shared by both players).
      tolerance: relative tolerance of the inner linear solve.
      max_iterations: bound on inner iterations (default: enough for the dimension).
      optimizer: optax-shaped transformation applied to :math:`-\Delta/\eta`.

    Returns:
      A :class:`Solver` for two-player games; ``state.aux`` is a :class:`CGDAux`.

    References:
      Schäfer and Anandkumar (2019). Competitive gradient descent. NeurIPS
      [@schafer2019competitive].

    Examples:
      >>> from gmath import games as gg
      >>> game = gg.ZeroSumGame(lambda x, y: x * y)
      >>> state, _ = gg.solve(game, gg.cgd(learning_rate=1.0), (1.0, 1.0), num_steps=100)
      >>> round(float(state.x), 8), round(float(state.y), 8)
      (0.0, 0.0)
    """
    if isinstance(learning_rate, (tuple, list)):
        raise ValueError("cgd: learning_rate must be one float or schedule shared by both players.")
    check_rate(learning_rate, "cgd")
    check_optimizer(optimizer, "cgd")
    updater = Updater(learning_rate, optimizer, "cgd")

    def init(players):
        players = tuple(players)
        if len(players) != 2:
            raise ValueError(f"cgd: needs a two-player game, got {len(players)} players.")
        return SolverState(
            players, zero_count(), updater.init(players), CGDAux(tree_zeros_like(players[0]))
        )

    def step(state, game):
        if game.num_players != 2:
            raise ValueError(f"cgd: needs a two-player game, got {game.num_players} players.")
        z = state.players
        lr = rate_at(learning_rate, state.count, "cgd: learning_rate")
        v = game.vector_field(z)  # (grad_x f, grad_y g)

        def matvec(u):
            # (I - lr^2 D_xy f D_yx g) u
            return tree_sub(
                u, tree_scale(lr * lr, game.block_jvp(z, 0, 1, game.block_jvp(z, 1, 0, u)))
            )

        rhs = tree_sub(v[0], tree_scale(lr, game.block_jvp(z, 0, 1, v[1])))
        a = solve_linear(
            matvec,
            rhs,
            jax.lax.stop_gradient(state.aux.warm_start),
            symmetric=is_zero_sum(game),
            tolerance=tolerance,
            max_iterations=max_iterations,
        )
        # Delta x = -lr a;  Delta y = -lr (grad_y g + D_yx g Delta x) = -lr b
        b = tree_add(v[1], tree_scale(-lr, game.block_jvp(z, 1, 0, a)))
        directions = (a, b)
        players, opt_states = updater.update(z, directions, state.opt_states, state.count)
        return SolverState(players, state.count + 1, opt_states, CGDAux(a)), StepInfo(
            tree_norm(v), updater.valid(2, state.count)
        )

    return Solver(init, step)
