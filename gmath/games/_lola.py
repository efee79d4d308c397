"""Learning with opponent-learning awareness (Foerster et al. 2018)."""

from __future__ import annotations

from gmath.games._solver import LearningRate, Solver, check_rate, rate_at, simple_solver
from gmath.games._tree import tree_add, tree_norm, tree_scale

__all__ = ["lola"]


def lola(learning_rate: LearningRate = 0.1, *, lookahead_rate=None, optimizer=None) -> Solver:
    r"""LOLA: each player differentiates through the others' anticipated gradient step.

    Player :math:`i` descends the first-order expansion of
    :math:`\ell_i(z_i, z_{-i} - \alpha\, v_{-i}(z))` (Letcher et al. 2019 form):

    .. math::
        d_i = v_i - \alpha \sum_{j \ne i} J_{ij} v_j
                  - \alpha \sum_{j \ne i} \big(\partial_{z_i} \nabla_{z_j} \ell_j\big)^\top
                  \nabla_{z_j} \ell_i,

    the *lookahead* term :math:`-\alpha H_o v` and the *shaping* term
    :math:`-\alpha\,\mathrm{diag}(H_o^\top \nabla L)`. On a zero-sum bilinear game both terms
    equal :math:`\alpha\,\mathrm{diag}(AA^\top, A^\top A) z`: LOLA is consensus optimisation
    with :math:`\gamma = 2\alpha`.

    Args:
      learning_rate: step size :math:`\eta`, a schedule, or a tuple per player.
      lookahead_rate: the opponents' anticipated step :math:`\alpha` (default: the learning rate
        of player 0, as a float or schedule).
      optimizer: optax-shaped transformation (or one per player).

    Returns:
      A :class:`Solver` for any number of players.

    References:
      Foerster, Chen, Al-Shedivat et al. (2018). Learning with opponent-learning awareness.
      AAMAS [@foerster2018lola].
      Letcher, Foerster, Balduzzi et al. (2019). Stable opponent shaping in differentiable
      games. ICLR [@letcher2019stable].

    Examples:
      >>> from gmath import games as gg
      >>> game = gg.ZeroSumGame(lambda x, y: x * y)
      >>> state, _ = gg.solve(game, gg.lola(learning_rate=0.3), (1.0, 1.0), num_steps=300)
      >>> round(float(state.x), 8), round(float(state.y), 8)
      (0.0, 0.0)
    """
    if lookahead_rate is None:
        lookahead_rate = (
            learning_rate[0] if isinstance(learning_rate, (tuple, list)) else learning_rate
        )
    else:
        check_rate(lookahead_rate, "lola", "lookahead_rate")

    def direction(game, players, lrs, count):
        alpha = rate_at(lookahead_rate, count, "lola: lookahead_rate")
        n = len(players)
        v = game.vector_field(players)
        out = []
        for i in range(n):
            d = v[i]
            for j in range(n):
                if j == i:
                    continue
                lookahead = game.block_jvp(players, i, j, v[j])
                shaping = game.block_vjp(players, j, i, game.player_gradient(players, j, loss=i))
                d = tree_add(d, tree_scale(-alpha, tree_add(lookahead, shaping)))
            out.append(d)
        return tuple(out), tree_norm(v)

    return simple_solver("lola", direction, learning_rate, optimizer, (lookahead_rate,))
