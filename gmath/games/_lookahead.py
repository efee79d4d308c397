"""Lookahead around any game solver (Zhang et al. 2019; Chavdarova et al. 2021)."""

from __future__ import annotations

from typing import Any, NamedTuple

from gmath.games._solver import Solver, SolverState
from gmath.games._tree import tree_add, tree_scale, tree_select, tree_sub

__all__ = ["LookaheadAux", "lookahead"]


class LookaheadAux(NamedTuple):
    """The ``aux`` of :func:`lookahead`'s state.

    Attributes:
      inner: the wrapped solver's own :class:`SolverState` (its players are the fast players).
      slow: the slow players, pulled toward the fast ones every ``sync_period`` steps.
    """

    inner: Any
    slow: Any


def lookahead(solver: Solver, *, sync_period: int = 5, alpha: float = 0.5) -> Solver:
    r"""Lookahead: run ``solver`` for :math:`k` fast steps, then pull back towards slow weights.

    Every :math:`k` = ``sync_period`` steps, the slow players move a fraction :math:`\alpha`
    towards the fast ones and the fast players restart there:

    .. math::
        \phi \leftarrow \phi + \alpha\,(z - \phi), \qquad z \leftarrow \phi.

    Around a game solver (Lookahead-minmax) this damps rotation: on a bilinear game with inner
    step eigenvalues :math:`\mu`, one cycle multiplies each mode by
    :math:`1 - \alpha + \alpha\mu^k`; even simultaneous GDA then converges for small steps.

    Args:
      solver: the inner :class:`Solver`.
      sync_period: :math:`k \ge 1`, fast steps per synchronisation.
      alpha: slow step :math:`\alpha \in (0, 1]`.

    Returns:
      A :class:`Solver` whose ``state.players`` are the fast players (``state.aux`` is a
      :class:`LookaheadAux`: the inner state and the slow players). Pass ``period=sync_period`` to
      :func:`linearized_rate`.

    References:
      Zhang, Lucas, Hinton and Ba (2019). Lookahead optimizer: k steps forward, 1 step back.
      NeurIPS [@zhang2019lookahead].
      Chavdarova, Pagliardini, Stich, Fleuret and Jaggi (2021). Taming GANs with
      Lookahead-Minmax. ICLR [@chavdarova2021taming].

    Examples:
      >>> from gmath import games as gg
      >>> game = gg.ZeroSumGame(lambda x, y: x * y)
      >>> solver = gg.lookahead(gg.gda(learning_rate=0.1), sync_period=5, alpha=0.5)
      >>> state, _ = gg.solve(game, solver, (1.0, 1.0), num_steps=2000)
      >>> abs(float(state.x)) < 1e-3
      True
    """
    if int(sync_period) != sync_period or sync_period < 1:
        raise ValueError(f"lookahead: sync_period must be a positive integer, got {sync_period!r}.")
    if not 0 < alpha <= 1:
        raise ValueError(f"lookahead: alpha must lie in (0, 1], got {alpha!r}.")

    def init(players):
        inner = solver.init(tuple(players))
        return SolverState(inner.players, inner.count, (), LookaheadAux(inner, inner.players))

    def step(state, game):
        inner, slow = state.aux
        inner, info = solver.step(inner, game)
        count = state.count + 1
        sync = (count % sync_period) == 0
        pulled = tree_add(slow, tree_scale(alpha, tree_sub(inner.players, slow)))
        slow = tree_select(sync, pulled, slow)
        fast = tree_select(sync, pulled, inner.players)
        inner = inner._replace(players=fast)
        return SolverState(fast, count, (), LookaheadAux(inner, slow)), info

    return Solver(init, step)
