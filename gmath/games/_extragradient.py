"""Extragradient (Korpelevich 1976), and Extra-Adam through the ``optimizer=`` argument."""

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
    zero_count,
)
from gmath.games._tree import tree_norm

__all__ = ["extragradient"]


def extragradient(learning_rate: LearningRate = 0.1, *, optimizer=None) -> Solver:
    r"""Extragradient: step to an extrapolated point, then step from the start with its gradient.

    .. math::
        z_{k+1/2} = z_k - \eta\, v(z_k), \qquad z_{k+1} = z_k - \eta\, v(z_{k+1/2}).

    On a bilinear game, per singular value :math:`s` with :math:`a = \eta s`, the spectral radius
    is :math:`\sqrt{1 - a^2 + a^4}`: it converges for :math:`a < 1`. With ``optimizer=`` both
    half-steps go through the optimiser, whose state advances twice per step; with
    ``optax.adam`` this is Extra-Adam (Gidel et al. 2019).

    Args:
      learning_rate: step size :math:`\eta`, a schedule, or a tuple per player.
      optimizer: optax-shaped transformation (or one per player).

    Returns:
      A :class:`Solver`.

    References:
      Korpelevich (1976). The extragradient method for finding saddle points and other problems.
      Matecon 12 [@korpelevich1976extragradient].
      Gidel, Berard, Vignoud, Vincent and Lacoste-Julien (2019). A variational inequality
      perspective on generative adversarial networks. ICLR [@gidel2019variational].

    Examples:
      >>> from gmath import games as gg
      >>> game = gg.ZeroSumGame(lambda x, y: x * y)
      >>> state, _ = gg.solve(game, gg.extragradient(learning_rate=0.5), (1.0, 1.0), num_steps=400)
      >>> round(float(state.x), 8), round(float(state.y), 8)
      (0.0, 0.0)
    """
    check_rate(learning_rate, "extragradient")
    check_optimizer(optimizer, "extragradient")
    updater = Updater(learning_rate, optimizer, "extragradient")

    def init(players):
        players = tuple(players)
        return SolverState(players, zero_count(), updater.init(players), NoAux())

    def step(state, game):
        v = game.vector_field(state.players)
        half, opt_states = updater.update(state.players, v, state.opt_states, state.count)
        v_half = game.vector_field(half)
        players, opt_states = updater.update(state.players, v_half, opt_states, state.count)
        return SolverState(players, state.count + 1, opt_states, NoAux()), StepInfo(
            tree_norm(v), updater.valid(len(players), state.count)
        )

    return Solver(init, step)
