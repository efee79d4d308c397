r"""Game specifications: two-player zero-sum games and n-player general-sum games.

A game is a set of players, each a pytree of parameters, and one loss per player that the player
minimises. Everything a solver needs is derived from the losses by automatic differentiation:

- the *simultaneous gradient* (vector field) :math:`v(z) = (\nabla_1 \ell_1, \dots, \nabla_n \ell_n)`,
- the *game Jacobian* :math:`J = \partial v / \partial z` and its symmetric part
  :math:`S = (J + J^\top)/2` and antisymmetric part :math:`A = (J - J^\top)/2`, as matrix-free
  products (``jvp``/``vjp``), materialised only on request (:func:`gmath.games.jacobian`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from gmath.games._tree import tree_add, tree_scale, tree_sub

__all__ = ["Game", "ZeroSumGame"]


def _shape_text(players) -> str:
    return ", ".join(
        f"player {i}: " + str(jax.tree_util.tree_map(lambda u: tuple(jnp.shape(u)), p))
        for i, p in enumerate(players)
    )


class _GameMixin:
    """Derived quantities shared by :class:`ZeroSumGame` and :class:`Game`."""

    num_players: int

    # --- to be provided -------------------------------------------------------------------
    def loss(self, i: int, players: Sequence) -> jax.Array:  # pragma: no cover - abstract
        raise NotImplementedError

    def vector_field(self, players: Sequence) -> tuple:  # pragma: no cover - abstract
        raise NotImplementedError

    # --- shared ---------------------------------------------------------------------------
    def losses(self, players: Sequence) -> tuple:
        """The tuple of every player's loss at ``players``."""
        players = tuple(players)
        return tuple(self.loss(i, players) for i in range(self.num_players))

    def player_gradient(self, players: Sequence, i: int, *, loss: int | None = None) -> Any:
        r"""Gradient of loss ``loss`` (default: player ``i``'s own) with respect to player ``i``."""
        players = tuple(players)
        k = i if loss is None else loss

        def fi(p):
            return self.loss(k, players[:i] + (p,) + players[i + 1 :])

        return jax.grad(fi)(players[i])

    def jvp(self, players: Sequence, tangents: Sequence) -> tuple:
        r"""Jacobian-vector product :math:`J(z)\,t` of the vector field."""
        players = tuple(players)
        return jax.jvp(lambda *z: self.vector_field(z), players, tuple(tangents))[1]

    def vjp(self, players: Sequence, cotangents: Sequence) -> tuple:
        r"""Transposed product :math:`J(z)^\top w` of the vector field."""
        players = tuple(players)
        _, pullback = jax.vjp(lambda *z: self.vector_field(z), *players)
        return tuple(pullback(tuple(cotangents)))

    def symmetric_vp(self, players: Sequence, tangents: Sequence) -> tuple:
        r""":math:`S t` with :math:`S = (J + J^\top)/2` (the potential part of the game)."""
        return tree_scale(0.5, tree_add(self.jvp(players, tangents), self.vjp(players, tangents)))

    def antisymmetric_vp(self, players: Sequence, tangents: Sequence) -> tuple:
        r""":math:`A t` with :math:`A = (J - J^\top)/2` (the Hamiltonian part of the game)."""
        return tree_scale(0.5, tree_sub(self.jvp(players, tangents), self.vjp(players, tangents)))

    def block_jvp(self, players: Sequence, i: int, j: int, tangent: Any) -> Any:
        r"""Block product :math:`J_{ij}\,t = \partial_j(\nabla_i \ell_i)\,t` (matrix-free)."""
        players = tuple(players)

        def gi(pj):
            return self.player_gradient(players[:j] + (pj,) + players[j + 1 :], i)

        return jax.jvp(gi, (players[j],), (tangent,))[1]

    def block_vjp(self, players: Sequence, i: int, j: int, cotangent: Any) -> Any:
        r"""Transposed block product :math:`J_{ij}^\top w = (\partial_j \nabla_i \ell_i)^\top w`."""
        players = tuple(players)

        def gi(pj):
            return self.player_gradient(players[:j] + (pj,) + players[j + 1 :], i)

        _, pullback = jax.vjp(gi, players[j])
        return pullback(cotangent)[0]

    def check(self, players: Sequence) -> None:
        """Raise ``ValueError`` unless ``players`` fit the game (count, float leaves, scalar losses).

        Runs at trace time only (:func:`jax.eval_shape`); costs nothing at run time.
        """
        if not isinstance(players, (tuple, list)):
            raise ValueError(
                f"{type(self).__name__}: players must be a tuple of {self.num_players} pytrees, "
                f"got {type(players).__name__}."
            )
        players = tuple(players)
        if len(players) != self.num_players:
            raise ValueError(
                f"{type(self).__name__}: expected {self.num_players} players, got {len(players)}."
            )
        for i, p in enumerate(players):
            for leaf in jax.tree_util.tree_leaves(p):
                if not jnp.issubdtype(jnp.result_type(leaf), jnp.floating):
                    raise ValueError(
                        f"{type(self).__name__}: player {i} has a leaf of dtype "
                        f"{jnp.result_type(leaf)}; players must be floating-point pytrees."
                    )
        try:
            shapes = jax.eval_shape(lambda z: self.losses(z), players)
        except (TypeError, ValueError) as err:
            raise ValueError(
                f"{type(self).__name__}: the losses cannot be evaluated at players with shapes "
                f"{_shape_text(players)}: {err}"
            ) from None
        for i, s in enumerate(shapes):
            if tuple(s.shape) != ():
                raise ValueError(
                    f"{type(self).__name__}: loss {i} must return a scalar, got shape "
                    f"{tuple(s.shape)} at players with shapes {_shape_text(players)}."
                )


@dataclasses.dataclass(frozen=True)
class ZeroSumGame(_GameMixin):
    r"""Two-player zero-sum game :math:`\min_x \max_y f(x, y)`.

    The first player :math:`x` minimises :math:`f`, the second :math:`y` maximises it (its loss
    is :math:`-f`). Players are arbitrary pytrees of floating arrays. The simultaneous gradient is

    .. math::
        v(x, y) = \big(\nabla_x f(x, y),\; -\nabla_y f(x, y)\big),

    and every solver in :mod:`gmath.games` moves against it. A point with :math:`v = 0` where
    :math:`\nabla^2_{xx} f \succ 0 \succ \nabla^2_{yy} f` is a local Nash equilibrium (saddle).

    Games are static, hashable objects (not pytrees): to solve many games under ``vmap``, build
    the game inside the mapped function, closing over the batched data.

    Args:
      f: ``f(x, y) -> scalar``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.games import ZeroSumGame
      >>> game = ZeroSumGame(lambda x, y: x * y)
      >>> [float(g) for g in game.vector_field((2.0, 3.0))]
      [3.0, -2.0]
    """

    f: Callable[[Any, Any], jax.Array]

    num_players = 2

    def loss(self, i: int, players: Sequence) -> jax.Array:
        r"""Loss of player ``i``: :math:`f(x, y)` for the minimiser (0), :math:`-f(x, y)` for 1."""
        x, y = players
        value = self.f(x, y)
        return value if i == 0 else -value

    def vector_field(self, players: Sequence) -> tuple:
        r"""Simultaneous gradient :math:`v(x, y) = (\nabla_x f, -\nabla_y f)` (descent field)."""
        x, y = players
        gx, gy = jax.grad(self.f, argnums=(0, 1))(x, y)
        return (gx, jax.tree_util.tree_map(jnp.negative, gy))


@dataclasses.dataclass(frozen=True)
class Game(_GameMixin):
    r"""n-player general-sum game: player :math:`i` minimises :math:`\ell_i(z_1, \dots, z_n)`.

    Each loss takes every player's parameters positionally. The simultaneous gradient is
    :math:`v(z) = (\nabla_{z_1}\ell_1, \dots, \nabla_{z_n}\ell_n)`; the game Jacobian
    :math:`J_{ij} = \partial_{z_j}\nabla_{z_i}\ell_i` is not symmetric in general.

    Args:
      losses: a sequence of callables ``loss_i(z_1, ..., z_n) -> scalar``, one per player.

    Examples:
      >>> from gmath.games import Game
      >>> game = Game([lambda x, y: x * y, lambda x, y: -x * y])   # the zero-sum game x y
      >>> [float(g) for g in game.vector_field((2.0, 3.0))]
      [3.0, -2.0]
    """

    losses_fns: tuple

    def __init__(self, losses: Sequence[Callable]):
        if callable(losses) or not all(callable(fn) for fn in losses):
            raise ValueError("Game: losses must be a sequence of callables, one per player.")
        if len(losses) < 1:
            raise ValueError("Game: at least one player is needed.")
        object.__setattr__(self, "losses_fns", tuple(losses))

    @property
    def num_players(self) -> int:  # type: ignore[override]
        return len(self.losses_fns)

    def loss(self, i: int, players: Sequence) -> jax.Array:
        r"""Loss :math:`\ell_i(z_1, \dots, z_n)` of player ``i``."""
        return self.losses_fns[i](*tuple(players))

    def vector_field(self, players: Sequence) -> tuple:
        r"""Simultaneous gradient :math:`v(z) = (\nabla_{z_1}\ell_1, \dots, \nabla_{z_n}\ell_n)`."""
        players = tuple(players)
        return tuple(self.player_gradient(players, i) for i in range(self.num_players))


def is_zero_sum(game) -> bool:
    return isinstance(game, ZeroSumGame)
