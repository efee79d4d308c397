"""The proximal point method, with a matrix-free Newton inner solve."""

from __future__ import annotations

from gmath.games._linsolve import solve_linear
from gmath.games._solver import (
    LearningRate,
    NoAux,
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
from gmath.games._tree import tree_add, tree_norm, tree_scale, tree_sub

__all__ = ["proximal_point"]


def _scale_players(scales, z):
    return tuple(tree_scale(s, zi) for s, zi in zip(scales, z, strict=True))


def proximal_point(
    learning_rate: LearningRate = 0.1,
    *,
    inner_steps: int = 3,
    tolerance: float = 1e-12,
    max_iterations: int | None = None,
    optimizer=None,
) -> Solver:
    r"""Proximal point method: the implicit step :math:`z_{k+1} = z_k - \eta\, v(z_{k+1})`.

    The implicit equation :math:`w - z_k + \eta\, v(w) = 0` is solved by ``inner_steps`` Newton
    steps from :math:`w = z_k`, each a matrix-free solve of
    :math:`(I + \eta J(w))\,\delta = -(w - z_k + \eta\, v(w))` by conjugate gradients on the
    normal equations (Jacobian-vector and vector-Jacobian products only). On a bilinear (or any quadratic)
    game one Newton step is exact. On a bilinear game the spectral radius per singular value
    :math:`s` is :math:`(1 + \eta^2 s^2)^{-1/2}`: it converges for every step size.

    Args:
      learning_rate: step size :math:`\eta`, a schedule, or a tuple per player (then
        :math:`\eta` is a diagonal matrix).
      inner_steps: Newton steps per proximal step.
      tolerance: relative tolerance of each inner linear solve.
      max_iterations: bound on its conjugate-gradient iterations (default: 10 x the dimension).
      optimizer: optax-shaped transformation applied to :math:`(z_k - z_{k+1})/\eta`.

    Returns:
      A :class:`Solver`.

    References:
      Rockafellar (1976). Monotone operators and the proximal point algorithm. SIAM J. Control
      Optim. 14 [@rockafellar1976monotone].

    Examples:
      >>> from gmath import games as gg
      >>> game = gg.ZeroSumGame(lambda x, y: x * y)
      >>> state, _ = gg.solve(game, gg.proximal_point(learning_rate=1.0), (1.0, 1.0), num_steps=100)
      >>> round(float(state.x), 8), round(float(state.y), 8)
      (0.0, 0.0)
    """
    check_rate(learning_rate, "proximal_point")
    check_optimizer(optimizer, "proximal_point")
    if inner_steps < 1:
        raise ValueError(f"proximal_point: inner_steps must be at least 1, got {inner_steps}.")
    updater = Updater(learning_rate, optimizer, "proximal_point")

    def init(players):
        players = tuple(players)
        return SolverState(players, zero_count(), updater.init(players), NoAux())

    def step(state, game):
        z = state.players
        n = len(z)
        lrs = tuple(
            rate_at(r, state.count, "proximal_point: learning_rate")
            for r in per_player(learning_rate, n, "learning_rate")
        )
        v0 = game.vector_field(z)
        w = z
        v = v0
        for k in range(inner_steps):
            if k > 0:
                v = game.vector_field(w)
            residual = tree_add(tree_sub(w, z), _scale_players(lrs, v))

            def matvec(t, w=w):
                return tree_add(t, _scale_players(lrs, game.jvp(w, t)))

            delta = solve_linear(
                matvec,
                tree_scale(-1.0, residual),
                symmetric=False,
                normal=True,
                tolerance=tolerance,
                max_iterations=max_iterations,
            )
            w = tree_add(w, delta)
        # direction d with z_{k+1} = z_k - lr * d
        direction = tuple(
            tree_scale(1.0 / lr, tree_sub(zi, wi)) for lr, zi, wi in zip(lrs, z, w, strict=True)
        )
        if optimizer is None:
            players, opt_states = w, state.opt_states
        else:
            players, opt_states = updater.update(z, direction, state.opt_states, state.count)
        return SolverState(players, state.count + 1, opt_states, NoAux()), StepInfo(
            tree_norm(v0), updater.valid(n, state.count)
        )

    return Solver(init, step)
