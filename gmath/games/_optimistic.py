"""Optimistic gradient descent-ascent (Popov 1980; Daskalakis et al. 2018)."""

from __future__ import annotations

from typing import Any, NamedTuple

from gmath.games._solver import (
    LearningRate,
    Solver,
    SolverState,
    StepInfo,
    Updater,
    check_optimizer,
    check_rate,
    zero_count,
)
from gmath.games._tree import tree_axpy, tree_norm, tree_select, tree_zeros_like

__all__ = ["OptimisticAux", "optimistic_gda"]


class OptimisticAux(NamedTuple):
    """The ``aux`` of :func:`optimistic_gda`'s state.

    Attributes:
      previous_gradient: the simultaneous gradient of the previous step (zeros before the first
        step, which uses the current one instead).
    """

    previous_gradient: Any


def optimistic_gda(learning_rate: LearningRate = 0.1, *, optimizer=None) -> Solver:
    r"""Optimistic GDA: step along the extrapolated gradient :math:`2 v_k - v_{k-1}`.

    .. math::
        z_{k+1} = z_k - \eta\,\big(2 v(z_k) - v(z_{k-1})\big),

    with :math:`v(z_{-1}) = v(z_0)` (the first step is plain GDA). Only one gradient per step.
    On a bilinear game, per singular value :math:`s` with :math:`a = \eta s`, the spectral radius
    is :math:`\sqrt{(1 + \sqrt{1 - 4a^2})/2}` for :math:`a \le 1/2`; it converges for
    :math:`a < 1/\sqrt 3`. With ``optimizer=`` the optimiser receives :math:`2 v_k - v_{k-1}`
    (optimistic Adam, Daskalakis et al. 2018).

    Args:
      learning_rate: step size :math:`\eta`, a schedule, or a tuple per player.
      optimizer: optax-shaped transformation (or one per player).

    Returns:
      A :class:`Solver`; its state's ``aux`` is an :class:`OptimisticAux`, the previous
      simultaneous gradient.

    References:
      Popov (1980). A modification of the Arrow–Hurwicz method for search of saddle points.
      Mathematical Notes 28 [@popov1980modification].
      Daskalakis, Ilyas, Syrgkanis and Zeng (2018). Training GANs with optimism. ICLR
      [@daskalakis2018training].

    Examples:
      >>> from gmath import games as gg
      >>> game = gg.ZeroSumGame(lambda x, y: x * y)
      >>> state, _ = gg.solve(game, gg.optimistic_gda(learning_rate=0.3), (1.0, 1.0), num_steps=500)
      >>> round(float(state.x), 8), round(float(state.y), 8)
      (0.0, 0.0)
    """
    check_rate(learning_rate, "optimistic_gda")
    check_optimizer(optimizer, "optimistic_gda")
    updater = Updater(learning_rate, optimizer, "optimistic_gda")

    def init(players):
        players = tuple(players)
        return SolverState(
            players, zero_count(), updater.init(players), OptimisticAux(tree_zeros_like(players))
        )

    def step(state, game):
        v = game.vector_field(state.players)
        previous = tree_select(state.count == 0, v, state.aux.previous_gradient)
        direction = tree_axpy(2.0, v, tree_axpy(-1.0, previous, tree_zeros_like(v)))
        players, opt_states = updater.update(
            state.players, direction, state.opt_states, state.count
        )
        return SolverState(players, state.count + 1, opt_states, OptimisticAux(v)), StepInfo(
            tree_norm(v), updater.valid(len(players), state.count)
        )

    return Solver(init, step)
