"""Consensus optimisation (Mescheder, Nowozin and Geiger 2017)."""

from __future__ import annotations

from gmath.games._solver import LearningRate, Solver, simple_solver
from gmath.games._tree import tree_axpy, tree_norm

__all__ = ["consensus"]


def consensus(learning_rate: LearningRate = 0.1, *, gamma: float = 1.0, optimizer=None) -> Solver:
    r"""Consensus optimisation: descend :math:`v + \gamma \nabla \tfrac12\|v\|^2 = v + \gamma J^\top v`.

    Every player also descends the norm of the simultaneous gradient, which pulls the dynamics
    towards stationary points. On a bilinear game, per singular value :math:`s`, the step matrix
    has eigenvalues :math:`1 - \eta\gamma s^2 \pm i\eta s`: it converges iff
    :math:`\eta < 2\gamma / (1 + \gamma^2 s^2)`.

    Args:
      learning_rate: step size :math:`\eta`, a schedule, or a tuple per player.
      gamma: weight :math:`\gamma \ge 0` of the consensus term.
      optimizer: optax-shaped transformation (or one per player).

    Returns:
      A :class:`Solver`.

    References:
      Mescheder, Nowozin and Geiger (2017). The numerics of GANs. NeurIPS
      [@mescheder2017numerics].

    Examples:
      >>> from gmath import games as gg
      >>> game = gg.ZeroSumGame(lambda x, y: x * y)
      >>> state, _ = gg.solve(game, gg.consensus(learning_rate=0.5, gamma=1.0), (1.0, 1.0),
      ...                     num_steps=200)
      >>> round(float(state.x), 8), round(float(state.y), 8)
      (0.0, 0.0)
    """
    if not gamma >= 0:
        raise ValueError(f"consensus: gamma must be non-negative, got {gamma!r}.")

    def direction(game, players, lrs, count):
        v = game.vector_field(players)
        return tree_axpy(gamma, game.vjp(players, v), v), tree_norm(v)

    return simple_solver("consensus", direction, learning_rate, optimizer)
