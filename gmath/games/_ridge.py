"""Follow the ridge (Wang, Zhang and Ba 2020)."""

from __future__ import annotations

import jax

from gmath.games._game import is_zero_sum
from gmath.games._linsolve import solve_linear
from gmath.games._solver import (
    Solver,
    SolverState,
    StepInfo,
    Updater,
    check_optimizer,
    check_rate,
    per_player,
    rate_at,
    zero_count,
)
from gmath.games._tree import tree_add, tree_axpy, tree_norm, tree_scale, tree_zeros_like

__all__ = ["follow_the_ridge"]


def follow_the_ridge(
    learning_rate=0.1,
    *,
    damping: float = 0.0,
    tol: float = 1e-12,
    maxiter: int | None = None,
    optimizer=None,
) -> Solver:
    r"""Follow the ridge (FR): GDA plus a correction that keeps :math:`y` on the ridge of :math:`f`.

    For :math:`\min_x \max_y f` with leader rate :math:`\eta_x` and follower rate :math:`\eta_y`:

    .. math::
        x_{k+1} = x_k - \eta_x \nabla_x f, \qquad
        y_{k+1} = y_k + \eta_y \nabla_y f + \eta_x\,(\nabla^2_{yy} f)^{-1}\nabla^2_{yx} f\,
                  \nabla_x f.

    The correction solves :math:`(-\nabla^2_{yy} f + \delta I)\,u = -\nabla^2_{yx} f\,\nabla_x f`
    by matrix-free conjugate gradients (positive definite near a local maximum in :math:`y`;
    ``damping`` :math:`\delta` regularises it). Its fixed points are exactly the local minimax
    points (for non-degenerate :math:`\nabla^2_{yy} f`), and near one the Jacobian of the step is
    block-triangular in ridge coordinates. Not defined where :math:`\nabla^2_{yy} f` is singular
    (e.g. bilinear games, unless ``damping > 0``).

    Args:
      learning_rate: :math:`\eta_x = \eta_y`, a schedule, or a tuple ``(eta_x, eta_y)``.
      damping: :math:`\delta \ge 0` added to :math:`-\nabla^2_{yy} f`.
      tol: relative tolerance of the conjugate-gradient solve.
      maxiter: bound on its iterations.
      optimizer: optax-shaped transformation (or one per player) applied to the directions
        :math:`\nabla_x f` and :math:`-\nabla_y f - (\eta_x/\eta_y) u`.

    Returns:
      A :class:`Solver` for two-player zero-sum games.

    References:
      Wang, Zhang and Ba (2020). On solving minimax optimization locally: a follow-the-ridge
      approach. ICLR [@wang2020solving].

    Examples:
      >>> from gmath import games as gg
      >>> game = gg.ZeroSumGame(lambda x, y: 0.5 * x**2 + 2 * x * y - 0.5 * y**2)
      >>> state, _ = gg.solve(game, gg.follow_the_ridge(learning_rate=0.1), (1.0, 1.0),
      ...                     num_steps=300)
      >>> round(float(state.x), 8), round(float(state.y), 8)
      (0.0, 0.0)
    """
    check_rate(learning_rate, "follow_the_ridge")
    check_optimizer(optimizer, "follow_the_ridge")
    if not damping >= 0:
        raise ValueError(f"follow_the_ridge: damping must be non-negative, got {damping!r}.")
    updater = Updater(learning_rate, optimizer)

    def init(players):
        players = tuple(players)
        if len(players) != 2:
            raise ValueError(f"follow_the_ridge: needs two players, got {len(players)}.")
        return SolverState(
            players, zero_count(), updater.init(players), tree_zeros_like(players[1])
        )

    def step(state, game):
        if not is_zero_sum(game):
            raise ValueError("follow_the_ridge: defined for a ZeroSumGame only.")
        z = state.players
        lr_x, lr_y = (
            rate_at(r, state.count) for r in per_player(learning_rate, 2, "learning_rate")
        )
        v = game.vector_field(z)  # (grad_x f, -grad_y f)

        def matvec(w):  # (-H_yy + damping) w ; block (1,1) of J is -H_yy
            return tree_axpy(damping, w, game.block_jvp(z, 1, 1, w))

        # block (1,0) of J is -H_yx, so rhs = -H_yx grad_x f
        u = solve_linear(
            matvec,
            game.block_jvp(z, 1, 0, v[0]),
            jax.lax.stop_gradient(state.aux),
            symmetric=True,
            tol=tol,
            maxiter=maxiter,
        )
        d_y = tree_add(v[1], tree_scale(-lr_x / lr_y, u))
        players, opt_states = updater.update(z, (v[0], d_y), state.opt_states, state.count)
        return SolverState(players, state.count + 1, opt_states, u), StepInfo(tree_norm(v))

    return Solver(init, step)
