"""Gradient descent-ascent: simultaneous, alternating and two-time-scale."""

from __future__ import annotations

from gmath.games._solver import (
    LearningRate,
    NoAux,
    Solver,
    SolverState,
    StepInfo,
    Updater,
    check_optimizer,
    check_rate,
    simple_solver,
    zero_count,
)
from gmath.games._tree import tree_norm

__all__ = ["gda"]


def gda(learning_rate: LearningRate = 0.1, *, alternating: bool = False, optimizer=None) -> Solver:
    r"""Gradient descent-ascent (GDA).

    Simultaneous (default), every player steps along its own gradient at the same point:

    .. math::
        z_{k+1} = z_k - \eta\, v(z_k), \qquad v = (\nabla_x f, -\nabla_y f).

    Alternating (Gauss–Seidel), each player moves in turn and sees the others' new positions:
    :math:`x_{k+1} = x_k - \eta\nabla_x f(x_k, y_k)`,
    :math:`y_{k+1} = y_k + \eta\nabla_y f(x_{k+1}, y_k)`. A per-player tuple of learning rates
    gives two-time-scale GDA (Heusel et al. 2017).

    On a bilinear game :math:`x^\top A y` with :math:`a = \eta s` per singular value :math:`s`,
    simultaneous GDA spirals out at rate :math:`\sqrt{1 + a^2}`; alternating GDA is neutrally
    stable (it conserves :math:`x^2 + y^2 - a x y` per mode) for :math:`a < 2`.

    Args:
      learning_rate: step size :math:`\eta`, a schedule ``count -> rate``, or a tuple per player.
      alternating: update the players one after another instead of simultaneously.
      optimizer: optax-shaped transformation (or one per player) applied to each player's
        gradient instead of the plain step ``-learning_rate * g``.

    Returns:
      A :class:`Solver`.

    References:
      Arrow, Hurwicz and Uzawa (1958). Studies in Linear and Non-linear Programming.
      Gidel, Hemmat, Pezeshki et al. (2019). Negative momentum for improved game dynamics.
      AISTATS [@gidel2019negative].

    Examples:
      >>> from gmath import games as gg
      >>> game = gg.ZeroSumGame(lambda x, y: x * y + 0.5 * x**2 - 0.5 * y**2)
      >>> state, trace = gg.solve(game, gg.gda(learning_rate=0.1), (1.0, 1.0), num_steps=200)
      >>> round(float(state.x), 6), round(float(state.y), 6)
      (0.0, 0.0)
    """
    if not alternating:

        def direction(game, players, lrs, count):
            v = game.vector_field(players)
            return v, tree_norm(v)

        return simple_solver("gda", direction, learning_rate, optimizer)

    check_rate(learning_rate, "gda")
    check_optimizer(optimizer, "gda")
    updater = Updater(learning_rate, optimizer, "gda")

    def init(players):
        players = tuple(players)
        return SolverState(players, zero_count(), updater.init(players), NoAux())

    def step(state, game):
        players = list(state.players)
        opt_states = list(state.opt_states)
        n = len(players)
        grads = []
        for i in range(n):
            g = game.player_gradient(tuple(players), i)
            grads.append(g)
            players[i], opt_states[i] = updater.update_one(
                i, n, players[i], g, opt_states[i], state.count
            )
        info = StepInfo(tree_norm(tuple(grads)), updater.valid(n, state.count))
        return SolverState(tuple(players), state.count + 1, tuple(opt_states), NoAux()), info

    return Solver(init, step)
