"""Follow the ridge (Wang, Zhang and Ba 2020)."""

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
    per_player,
    rate_at,
    zero_count,
)
from gmath.games._tree import (
    tree_add,
    tree_all_finite,
    tree_axpy,
    tree_norm,
    tree_scale,
    tree_sub,
    tree_zeros_like,
)

__all__ = ["FollowTheRidgeAux", "follow_the_ridge"]


class FollowTheRidgeAux(NamedTuple):
    """The ``aux`` of :func:`follow_the_ridge`'s state.

    Attributes:
      warm_start: the last solution :math:`u` of the damped Hessian system (the ridge
        correction of the second player), the starting point of the next solve; zeros before
        the first step.
    """

    warm_start: Any


def follow_the_ridge(
    learning_rate: LearningRate = 0.1,
    *,
    damping: float = 0.0,
    tolerance: float = 1e-12,
    max_iterations: int | None = None,
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
    block-triangular in ridge coordinates. Where the matrix is singular (a bilinear game has
    :math:`\nabla^2_{yy} f = 0`) and conjugate gradients break down, the inverse is replaced by
    the Moore–Penrose pseudo-inverse: :math:`u` is the minimum-norm least-squares solution
    (conjugate gradients on the normal equations), so the step stays defined and, on a bilinear
    game, the correction vanishes and FR is GDA.

    Args:
      learning_rate: :math:`\eta_x = \eta_y`, a schedule, or a tuple ``(eta_x, eta_y)``.
      damping: :math:`\delta \ge 0` added to :math:`-\nabla^2_{yy} f`.
      tolerance: relative tolerance of the conjugate-gradient solve.
      max_iterations: bound on its iterations.
      optimizer: optax-shaped transformation (or one per player) applied to the directions
        :math:`\nabla_x f` and :math:`-\nabla_y f - (\eta_x/\eta_y) u`.

    Returns:
      A :class:`Solver` for two-player zero-sum games; ``state.aux`` is a
      :class:`FollowTheRidgeAux`.

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
    updater = Updater(learning_rate, optimizer, "follow_the_ridge")

    def init(players):
        players = tuple(players)
        if len(players) != 2:
            raise ValueError(f"follow_the_ridge: needs two players, got {len(players)}.")
        return SolverState(
            players,
            zero_count(),
            updater.init(players),
            FollowTheRidgeAux(tree_zeros_like(players[1])),
        )

    def step(state, game):
        if not is_zero_sum(game):
            raise ValueError("follow_the_ridge: defined for a ZeroSumGame only.")
        z = state.players
        lr_x, lr_y = (
            rate_at(r, state.count, "follow_the_ridge: learning_rate")
            for r in per_player(learning_rate, 2, "learning_rate")
        )
        v = game.vector_field(z)  # (grad_x f, -grad_y f)

        def matvec(w):  # (-H_yy + damping) w ; block (1,1) of J is -H_yy
            return tree_axpy(damping, w, game.block_jvp(z, 1, 1, w))

        # block (1,0) of J is -H_yx, so rhs = -H_yx grad_x f
        rhs = game.block_jvp(z, 1, 0, v[0])
        u = solve_linear(
            matvec,
            rhs,
            jax.lax.stop_gradient(state.aux.warm_start),
            symmetric=True,
            tolerance=tolerance,
            max_iterations=max_iterations,
        )

        def pseudo_inverse():
            # minimum-norm least-squares solution pinv(M) rhs: CG on the normal equations
            # M^2 u = M rhs from 0 stays in range(M) and converges to it (Hestenes and Stiefel
            # 1952, sec. 10; Golub and Van Loan 2013, sec. 11.3.9)
            return solve_linear(
                lambda w: matvec(matvec(w)),
                matvec(rhs),
                tree_zeros_like(rhs),
                symmetric=True,
                tolerance=tolerance,
                max_iterations=max_iterations,
            )

        # conjugate gradients break down (0/0) or return a residual worse than u = 0 when M is
        # singular and rhs leaves its range (a bilinear game has M = 0): fall back to pinv
        residual = tree_norm(tree_sub(matvec(u), rhs))
        ok = tree_all_finite(u) & (residual <= tree_norm(rhs))
        u = jax.lax.cond(ok, lambda: u, pseudo_inverse)
        if per_player(optimizer, 2, "optimizer")[1] is None:
            # y_{k+1} = y_k - lr_y (-grad_y f) + lr_x u: no division by lr_y (which may be 0)
            x_new, opt_x = updater.update_one(0, 2, z[0], v[0], state.opt_states[0], state.count)
            y_new = tree_add(z[1], tree_add(tree_scale(-lr_y, v[1]), tree_scale(lr_x, u)))
            players, opt_states = (x_new, y_new), (opt_x, state.opt_states[1])
        else:
            d_y = tree_add(v[1], tree_scale(-lr_x / lr_y, u))
            players, opt_states = updater.update(z, (v[0], d_y), state.opt_states, state.count)
        return SolverState(players, state.count + 1, opt_states, FollowTheRidgeAux(u)), StepInfo(
            tree_norm(v), updater.valid(2, state.count)
        )

    return Solver(init, step)
