"""Local analysis of games and solvers: Jacobians, linear rates, classification of fixed points."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from gmath._jit import cached
from gmath._numerics import matmul
from gmath.games._game import is_zero_sum

__all__ = ["Classification", "classify_stationary_point", "jacobian", "linearized_rate"]


def _flat_field(game, players):
    flat, unravel = ravel_pytree(tuple(players))

    def field(z):
        return ravel_pytree(game.vector_field(unravel(z)))[0]

    return field, flat


def jacobian(game, players, *, part: str = "full") -> jax.Array:
    r"""The game Jacobian :math:`J = \partial v/\partial z` at ``players``, materialised.

    Rows and columns follow the players' parameters flattened in order
    (:func:`jax.flatten_util.ravel_pytree` of the tuple of players).

    Args:
      game: a :class:`ZeroSumGame` or :class:`Game`.
      players: tuple of the players' pytrees.
      part: ``"full"`` (:math:`J`), ``"symmetric"`` (:math:`(J + J^\top)/2`) or
        ``"antisymmetric"`` (:math:`(J - J^\top)/2`).

    Returns:
      ``[d, d]`` matrix, ``d`` the total number of parameters.

    Examples:
      >>> from gmath import games as gg
      >>> gg.jacobian(gg.ZeroSumGame(lambda x, y: x * y), (1.0, 2.0)).tolist()
      [[0.0, 1.0], [-1.0, 0.0]]
    """
    if part not in ("full", "symmetric", "antisymmetric"):
        raise ValueError(f"jacobian: part must be full, symmetric or antisymmetric, got {part!r}.")
    return _jacobian_jit(game, tuple(players), part)


@cached(static_argnums=(0, 2))
def _jacobian_jit(game, players, part):
    field, z = _flat_field(game, players)
    jac = jax.jacfwd(field)(z)
    if part == "symmetric":
        return 0.5 * (jac + jac.T)
    if part == "antisymmetric":
        return 0.5 * (jac - jac.T)
    return jac


def _is_float_leaf(u) -> bool:
    return jnp.issubdtype(jnp.result_type(u), jnp.inexact)


def step_jacobian(solver, game, players, *, period: int = 1, count: int = 1) -> jax.Array:
    """Jacobian of ``period`` solver steps with respect to the floating part of the state."""
    state = solver.init(tuple(players))
    state = state._replace(count=jnp.asarray(count, jnp.int32))
    leaves, treedef = jax.tree_util.tree_flatten(state)
    float_idx = [i for i, u in enumerate(leaves) if _is_float_leaf(u)]
    flat, unravel = ravel_pytree([leaves[i] for i in float_idx])

    def to_state(s):
        parts = unravel(s)
        new = list(leaves)
        for i, u in zip(float_idx, parts, strict=True):
            new[i] = u
        return jax.tree_util.tree_unflatten(treedef, new)

    def from_state(st):
        new_leaves = jax.tree_util.tree_leaves(st)
        return ravel_pytree([new_leaves[i] for i in float_idx])[0]

    def one_cycle(s):
        st = to_state(s)
        for _ in range(period):
            st, _ = solver.step(st, game)
        return from_state(st)

    return jax.jacfwd(one_cycle)(flat)


_step_jacobian_jit = cached(
    step_jacobian, static_argnums=(0, 1), static_argnames=("period", "count")
)


def linearized_rate(solver, game, players, *, period: int = 1) -> jax.Array:
    r"""Spectral radius of one solver step's Jacobian at a fixed point: the local linear rate.

    With :math:`T` the map ``state -> solver.step(state, game)[0]`` (on the floating part of the
    state, so that extra state such as the previous gradient of optimistic GDA is included) and
    :math:`z^\star` a fixed point, :math:`\rho = \max|\operatorname{eig} \partial T(z^\star)|`:
    :math:`\rho < 1` means local linear convergence with error :math:`O(\rho^k)`, :math:`\rho > 1`
    divergence. For periodic solvers (:func:`lookahead` with ``sync_period=k``) pass
    ``period=k``: the rate is :math:`\rho(\partial T^k)^{1/k}` per step.

    Evaluated eagerly (eigenvalues on the host).

    Args:
      solver: a :class:`Solver`.
      game: the game.
      players: the fixed point :math:`z^\star`, a tuple of pytrees.
      period: number of steps in one cycle of the solver.

    Returns:
      The rate per step, a scalar.

    Examples:
      >>> from gmath import games as gg
      >>> game = gg.ZeroSumGame(lambda x, y: x * y)
      >>> round(float(gg.linearized_rate(gg.extragradient(learning_rate=0.5), game, (0.0, 0.0))), 6)
      0.901388
    """
    if int(period) != period or period < 1:
        raise ValueError(f"linearized_rate: period must be a positive integer, got {period!r}.")
    jac = np.asarray(_step_jacobian_jit(solver, game, tuple(players), period=int(period)))
    radius = float(np.max(np.abs(np.linalg.eigvals(jac)))) if jac.size else 0.0
    dtype = jnp.result_type(jax.tree_util.tree_leaves(players)[0])
    if not jnp.issubdtype(dtype, jnp.inexact):
        dtype = jax.dtypes.canonicalize_dtype(jnp.float64)
    return jnp.asarray(radius ** (1.0 / period), dtype)


class Classification(NamedTuple):
    """Kind of a stationary point (see :func:`classify_stationary_point`).

    Attributes:
      stationary: the simultaneous gradient vanishes (to ``tol``).
      local_nash: every player's own Hessian is positive definite (differential Nash).
      local_minimax: zero-sum only: :math:`\\nabla^2_{yy} f \\prec 0` and the Schur complement
        :math:`\\nabla^2_{xx} f - \\nabla^2_{xy} f (\\nabla^2_{yy} f)^{-1} \\nabla^2_{yx} f \\succ 0`
        (Jin, Netrapalli and Jordan 2020); equals ``local_nash`` for general-sum games.
      grad_norm: norm of the simultaneous gradient.
      min_eigenvalues: ``[n]`` smallest eigenvalue of each player's own Hessian
        :math:`\\nabla^2_{ii}\\ell_i`.
    """

    stationary: jax.Array
    local_nash: jax.Array
    local_minimax: jax.Array
    grad_norm: jax.Array
    min_eigenvalues: jax.Array

    @property
    def label(self) -> str:
        """``"local Nash"``, ``"local minimax"``, ``"neither"`` or ``"not stationary"`` (eager)."""
        if not bool(self.stationary):
            return "not stationary"
        if bool(self.local_nash):
            return "local Nash"
        if bool(self.local_minimax):
            return "local minimax"
        return "neither"


def classify_stationary_point(game, players, *, tol: float = 1e-8) -> Classification:
    r"""Classify a point: stationary or not, local (differential) Nash, local minimax, neither.

    Local Nash: :math:`v(z) = 0` and each :math:`\nabla^2_{z_i z_i}\ell_i \succ 0`. Local
    minimax (zero-sum, Jin et al. 2020): :math:`v = 0`, :math:`\nabla^2_{yy} f \prec 0` and
    :math:`\nabla^2_{xx} f - \nabla^2_{xy} f(\nabla^2_{yy} f)^{-1}\nabla^2_{yx} f \succ 0`; every
    local Nash point is local minimax, not conversely.

    Args:
      game: the game.
      players: the point, a tuple of pytrees.
      tol: threshold on the gradient norm for stationarity and on eigenvalues for definiteness.

    Returns:
      A :class:`Classification` (``.label`` gives a string).

    References:
      Jin, Netrapalli and Jordan (2020). What is local optimality in nonconvex-nonconcave
      minimax optimization? ICML [@jin2020local].

    Examples:
      >>> from gmath import games as gg
      >>> game = gg.ZeroSumGame(lambda x, y: -0.5 * x**2 + 2 * x * y - 0.5 * y**2)
      >>> gg.classify_stationary_point(game, (0.0, 0.0)).label
      'local minimax'
    """
    return _classify_jit(game, tuple(players), float(tol))


@cached(static_argnums=(0, 2))
def _classify_jit(game, players, tol):
    jac = _jacobian_jit(game, players, "full")
    sizes = [ravel_pytree(p)[0].size for p in players]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    blocks = [
        jac[offsets[i] : offsets[i + 1], offsets[i] : offsets[i + 1]] for i in range(len(sizes))
    ]
    min_eigs = jnp.stack(
        [
            jnp.min(jnp.linalg.eigvalsh(0.5 * (b + b.T)))
            if b.size
            else jnp.asarray(jnp.inf, jac.dtype)
            for b in blocks
        ]
    )
    gnorm = jnp.linalg.norm(ravel_pytree(game.vector_field(players))[0])
    stationary = gnorm <= tol
    nash = stationary & jnp.all(min_eigs > tol)
    if is_zero_sum(game) and len(players) == 2:
        nx = sizes[0]
        hxx = jac[:nx, :nx]
        hxy = jac[:nx, nx:]
        hyy = -jac[nx:, nx:]
        hyx = -jac[nx:, :nx]
        schur = hxx - matmul(hxy, jnp.linalg.solve(hyy, hyx))
        schur_min = jnp.min(jnp.linalg.eigvalsh(0.5 * (schur + schur.T)))
        minimax = stationary & (min_eigs[1] > tol) & (schur_min > tol)
    else:
        minimax = nash
    return Classification(stationary, nash, minimax, gnorm, min_eigs)
