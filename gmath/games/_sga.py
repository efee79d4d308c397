"""Symplectic gradient adjustment (Balduzzi et al. 2018)."""

from __future__ import annotations

import jax.numpy as jnp

from gmath.games._solver import LearningRate, Solver, simple_solver
from gmath.games._tree import tree_axpy, tree_norm, tree_scale, tree_size, tree_sub, tree_vdot

__all__ = ["sga"]


def sga(
    learning_rate: LearningRate = 0.1, *, lam: float = 1.0, align: bool = True, optimizer=None
) -> Solver:
    r"""Symplectic gradient adjustment: descend :math:`v + \lambda A^\top v`.

    :math:`A = (J - J^\top)/2` is the antisymmetric (Hamiltonian) part of the game Jacobian. With
    ``align=True`` the sign of :math:`\lambda` follows the alignment rule of Balduzzi et al.
    (2018): :math:`\lambda \leftarrow \lambda\,\operatorname{sign}\big(\tfrac1d
    \langle v, \nabla H\rangle \langle A^\top v, \nabla H\rangle + \tfrac1{10}\big)` with
    :math:`\nabla H = J^\top v` and :math:`d` the number of parameters, so that the adjustment
    points towards stable fixed points and away from unstable ones. On a bilinear game
    (:math:`J = A`) SGA is consensus optimisation with :math:`\gamma = \lambda`.

    Args:
      learning_rate: step size :math:`\eta`, a schedule, or a tuple per player.
      lam: adjustment strength :math:`\lambda > 0`.
      align: apply the sign-alignment rule.
      optimizer: optax-shaped transformation (or one per player).

    Returns:
      A :class:`Solver`.

    References:
      Balduzzi, Racaniere, Martens et al. (2018). The mechanics of n-player differentiable
      games. ICML [@balduzzi2018mechanics].

    Examples:
      >>> from gmath import games as gg
      >>> game = gg.ZeroSumGame(lambda x, y: x * y)
      >>> state, _ = gg.solve(game, gg.sga(learning_rate=0.5), (1.0, 1.0), num_steps=200)
      >>> round(float(state.x), 8), round(float(state.y), 8)
      (0.0, 0.0)
    """
    if not lam > 0:
        raise ValueError(f"sga: lam must be positive, got {lam!r}.")

    def direction(game, players, lrs, count):
        v = game.vector_field(players)
        jt_v = game.vjp(players, v)  # grad H
        at_v = tree_scale(0.5, tree_sub(jt_v, game.jvp(players, v)))  # A^T v = (J^T v - J v)/2
        strength = lam
        if align:
            d = max(tree_size(v), 1)
            # <v, g><A^T v, g>/d + 1/10 with g = J^T v is quartic in |v|: evaluate the product on
            # v / |v| (g and A^T v are linear in v) and restore |v|^4 only inside the sign, so
            # that large gradients cannot overflow it to inf - inf
            n = tree_norm(v)
            n = jnp.where((n > 0) & jnp.isfinite(n), n, jnp.ones_like(n))
            unit = tree_vdot(tree_scale(1 / n, v), tree_scale(1 / n, jt_v)) * tree_vdot(
                tree_scale(1 / n, at_v), tree_scale(1 / n, jt_v)
            )
            alignment = jnp.where(unit == 0, 0.1, jnp.square(jnp.square(n)) * unit / d + 0.1)
            strength = lam * jnp.sign(alignment)
        return tree_axpy(strength, at_v, v), tree_norm(v)

    return simple_solver("sga", direction, learning_rate, optimizer)
