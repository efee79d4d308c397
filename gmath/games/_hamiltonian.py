"""Hamiltonian gradient descent (Balduzzi et al. 2018; Abernethy, Lai and Wibisono 2021)."""

from __future__ import annotations

from gmath.games._solver import LearningRate, Solver, simple_solver
from gmath.games._tree import tree_norm

__all__ = ["hamiltonian"]


def hamiltonian(learning_rate: LearningRate = 0.1, *, optimizer=None) -> Solver:
    r"""Hamiltonian gradient descent: descend :math:`H(z) = \tfrac12\|v(z)\|^2`.

    .. math::
        z_{k+1} = z_k - \eta\, \nabla H(z_k) = z_k - \eta\, J(z_k)^\top v(z_k).

    It finds stationary points of any kind (including maxima of :math:`f` in :math:`x`). On a
    bilinear game the step matrix has eigenvalue :math:`1 - \eta s^2` per singular value
    :math:`s`: it converges iff :math:`\eta s_{\max}^2 < 2`.

    Args:
      learning_rate: step size :math:`\eta`, a schedule, or a tuple per player.
      optimizer: optax-shaped transformation (or one per player).

    Returns:
      A :class:`Solver`.

    References:
      Balduzzi, Racaniere, Martens et al. (2018). The mechanics of n-player differentiable
      games. ICML [@balduzzi2018mechanics].

    Examples:
      >>> from gmath import games as gg
      >>> game = gg.ZeroSumGame(lambda x, y: x * y)
      >>> state, _ = gg.solve(game, gg.hamiltonian(learning_rate=0.5), (1.0, 1.0), num_steps=100)
      >>> round(float(state.x), 8), round(float(state.y), 8)
      (0.0, 0.0)
    """

    def direction(game, players, lrs, count):
        v = game.vector_field(players)
        return game.vjp(players, v), tree_norm(v)

    return simple_solver("hamiltonian", direction, learning_rate, optimizer)
