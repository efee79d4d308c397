r"""Free-support Wasserstein barycenters of weighted point clouds (squared Euclidean cost)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from gmath._jit import cached
from gmath._numerics import promote
from gmath._numerics._geometry import point_cloud
from gmath.divergences._exact_transport import exact_transport
from gmath.divergences._samples import as_arrays, check_points, check_weights, is_concrete
from gmath.divergences._sinkhorn import _resolve_epsilon, _resolve_tolerance, _sinkhorn

__all__ = ["BarycenterResult", "free_support_barycenter"]


class BarycenterResult(NamedTuple):
    r"""What :func:`free_support_barycenter` returns (a pytree).

    Attributes:
      points: ``[m, d]`` the barycenter's support (uniform weights :math:`1/m`).
      cost: :math:`\sum_k \lambda_k \langle C_k, P_k\rangle`, the weighted transport costs from
        the support to each cloud under the last plans (exact: :math:`\sum_k\lambda_k
        W_2^2`); differentiable in the clouds and the support with the plans held fixed.
      converged: whether the support stopped moving (largest displacement at most
        ``tolerance`` times the clouds' spread) within ``max_iterations`` (and, for
        ``method="sinkhorn"``, every last Sinkhorn solve met its tolerance).
      num_iterations: fixed-point iterations run.
      movement: the largest displacement of a support point in the last iteration.
    """

    points: Any
    cost: Any
    converged: Any
    num_iterations: Any
    movement: Any


def _images(method, x, ys, bs, eps, options, potentials):
    """``([k] barycentric images T_k(x) [m, d], [k] costs, all converged, [k] potentials)`` of
    the plans from the uniform support ``x`` to each cloud (Sinkhorn warm-started from
    ``potentials``; the exact plans need none)."""
    m = x.shape[0]
    images, costs, ok, pots = [], [], jnp.asarray(True), []
    for y, b, init in zip(ys, bs, potentials, strict=True):
        if method == "exact":
            out = exact_transport(x, y)
            # an invalid problem (non-finite points) has assignment -1: NaN images, not y[-1]
            valid = (out.assignment >= 0)[:, None]
            images.append(jnp.where(valid, y[out.assignment], jnp.nan))
            costs.append(out.cost)
            ok = ok & out.optimal
            pots.append(None)
        else:
            a = jnp.full((m,), 1.0 / m, x.dtype)
            out = _sinkhorn(
                "free_support_barycenter", x, y, epsilon=eps, a=a, b=b, return_plan=True,
                init=init, **options,
            )  # fmt: skip
            images.append(m * (out.plan @ y))
            costs.append(out.transport_cost)
            ok = ok & out.converged
            pots.append(out.potentials)
    return images, costs, ok, pots


def _barycenter(
    init, ys, bs, lambdas, epsilon, *, method, relative_epsilon, tolerance, max_iterations, options
):
    options = dict(options)
    stop = lax.stop_gradient
    sys_ = [stop(y) for y in ys]
    sbs = [stop(b) for b in bs]
    lam = stop(lambdas)
    spread = jnp.max(jnp.stack([jnp.max(jnp.abs(y - jnp.mean(y, 0))) for y in sys_]))
    eps = None
    if method == "sinkhorn":
        if epsilon is None:
            # relative to the mean cost between the initial support and the pooled clouds
            pooled = jnp.concatenate(sys_, 0)
            m, n = init.shape[0], pooled.shape[0]
            uniform = (jnp.full((m,), 1.0 / m, init.dtype), jnp.full((n,), 1.0 / n, init.dtype))
            mean = point_cloud(stop(init), pooled).mean_cost(*uniform)
            eps = relative_epsilon * jnp.where(mean > 0, mean, 1)
        else:
            eps = stop(jnp.asarray(epsilon, init.dtype))

    def update(x, pots):
        images, _, ok, pots = _images(method, x, sys_, sbs, eps, options, pots)
        new = sum(lam[k] * t for k, t in enumerate(images))
        return new, ok, pots

    def cond(state):
        _, _, k, move, ok = state
        return (k < max_iterations) & ~((move <= tolerance * spread) & ok) & ~jnp.isnan(move)

    def body(state):
        x, pots, k, _, _ = state
        new, ok, pots = update(x, pots)
        return new, pots, k + 1, jnp.max(jnp.abs(new - x)), ok

    # every iteration warm-starts from the last potentials (zero at first): Sinkhorn's
    # iterations accumulate across the outer iterations, and the loop holds one copy of a solve
    x0 = stop(init)
    m, dtype = x0.shape[0], x0.dtype
    pots0 = [
        None if method == "exact" else (jnp.zeros(m, dtype), jnp.zeros(y.shape[0], dtype))
        for y in sys_
    ]
    state = (x0, pots0, jnp.asarray(0, jnp.int32), jnp.asarray(jnp.inf, dtype), jnp.asarray(False))
    x, pots, k, move, ok = lax.while_loop(cond, body, state)
    converged = (move <= tolerance * spread) & ok
    # the costs at the final support, differentiable in the clouds and the support (envelope)
    _, costs, _, _ = _images(method, x, list(ys), list(bs), eps, options, pots)
    cost = sum(lambdas[i] * c for i, c in enumerate(costs))
    return BarycenterResult(x, cost, converged, k, move)


_barycenter_jit = cached(
    _barycenter,
    static_argnames=("method", "relative_epsilon", "tolerance", "max_iterations", "options"),
)


def free_support_barycenter(
    init,
    ys: Sequence[Any],
    *,
    b: Sequence[Any] | None = None,
    lambdas=None,
    method: str = "exact",
    epsilon=None,
    relative_epsilon: float | None = None,
    tolerance: float | None = None,
    max_iterations: int = 1000,
    sinkhorn_iterations: int = 2000,
) -> BarycenterResult:
    r"""Free-support Wasserstein-2 barycenter of weighted point clouds (Cuturi and Doucet 2014).

    Finds the :math:`m` points :math:`X` of a uniform measure minimising
    :math:`\sum_k \lambda_k \mathrm{OT}(X, Y_k)` for the squared Euclidean cost (Agueh and
    Carlier 2011), by the fixed-point iteration

    .. math::
        X \leftarrow \sum_k \lambda_k\, T_k(X), \qquad T_k(x_i) = m \sum_j (P_k)_{ij}\, y_{kj},

    where :math:`P_k` is the optimal plan from the current support to the k-th cloud and
    :math:`T_k` its barycentric projection. ``method="exact"``: exact plans
    (:func:`~gmath.divergences.exact_transport`; each cloud must have :math:`m` points with
    uniform weights), so the iteration stops exactly at a fixed point, where every support point
    is the :math:`\lambda`-average of the points it is matched to (in 1-D: the quantile average;
    for an affine family, McCann's interpolation). ``method="sinkhorn"``: entropic plans (any
    sizes and weights), whose barycentric projections blur the support by about
    :math:`\sqrt\varepsilon`. The problem is not convex in the support: the result is a fixed
    point reached from ``init``.

    Args:
      init: ``[m, d]`` the initial support (e.g. one of the clouds, or a sample of it).
      ys: a sequence of ``[n_k, d]`` clouds.
      b: optional sequence of ``[n_k]`` probability weights (default uniform).
      lambdas: ``[K]`` barycentric weights, nonnegative, summing to one (default uniform).
      method: ``"exact"`` (default) or ``"sinkhorn"``.
      epsilon: entropic regularisation of ``method="sinkhorn"`` (absolute, cost units).
      relative_epsilon: ``epsilon`` as a fraction of the mean squared distance from ``init``
        to the pooled clouds (default 0.003 when ``epsilon`` is not given).
      tolerance: stop once no support point moves by more than ``tolerance`` times the largest
        distance of a cloud's point from its mean (default 1e-6 in float64, 1e-4 in float32).
        For ``method="sinkhorn"`` a given tolerance also holds each Sinkhorn solve to
        ``tolerance / m`` in L1 marginal error (the images' own rounding); by default the solves
        keep Sinkhorn's default tolerance, which bounds how far the support can settle.
      max_iterations: cap on the fixed-point iterations.
      sinkhorn_iterations: cap on each Sinkhorn solve (``method="sinkhorn"``).

    Returns:
      A :class:`BarycenterResult`.

    References:
      Agueh and Carlier (2011). Barycenters in the Wasserstein space [@agueh2011barycenters].
      Cuturi and Doucet (2014). Fast computation of Wasserstein barycenters. ICML
      [@cuturi2014fast].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from gmath.divergences import free_support_barycenter
      >>> y0 = jnp.array([[0.0], [1.0], [2.0]])
      >>> out = free_support_barycenter(y0, [y0, 2 * y0 + 4])
      >>> jnp.sort(out.points[:, 0]).tolist()
      [2.0, 3.5, 5.0]
    """
    owner = "free_support_barycenter"
    if method not in ("exact", "sinkhorn"):
        raise ValueError(f"{owner}: method must be 'exact' or 'sinkhorn', got {method!r}.")
    if isinstance(ys, (jax.Array, np.ndarray)) or not isinstance(ys, Sequence) or not ys:
        raise TypeError(f"{owner}: ys must be a non-empty sequence (list or tuple) of clouds.")
    num = len(ys)
    (init,) = as_arrays(init)
    ys = list(as_arrays(*ys))
    checked = [check_points(init, y, owner, names=("init", f"ys[{k}]")) for k, y in enumerate(ys)]
    init = checked[0][0]
    ys = [c[1] for c in checked]
    if b is not None and (not isinstance(b, Sequence) or len(b) != num):
        raise ValueError(f"{owner}: b must be a sequence of {num} weight vectors, one per cloud.")
    bs = list(as_arrays(*b)) if b is not None else [None] * num
    init, lambdas, *rest = promote(init, lambdas, *ys, *[w for w in bs if w is not None])
    ys = rest[:num]
    given = iter(rest[num:])
    bs = [next(given) if w is not None else None for w in bs]
    dtype = init.dtype
    m = init.shape[0]
    if method == "exact":
        for k, (y, w) in enumerate(zip(ys, bs, strict=True)):
            if y.shape[0] != m or w is not None:
                raise ValueError(
                    f"{owner}: method='exact' needs every cloud to have as many points as init "
                    f"({m}) and uniform weights (ys[{k}] has {y.shape[0]} points"
                    f"{'' if w is None else ' and weights'}); use method='sinkhorn'."
                )
    weights = [
        check_weights(w, y.shape[0], owner, f"b[{k}]", dtype)
        for k, (y, w) in enumerate(zip(ys, bs, strict=True))
    ]
    lambdas = check_weights(lambdas, num, owner, "lambdas", dtype)
    if method == "sinkhorn":
        if epsilon is None and relative_epsilon is None:
            relative_epsilon = 0.003
        epsilon, relative_epsilon = _resolve_epsilon(epsilon, relative_epsilon, owner)
        if epsilon is not None and is_concrete(epsilon) and not float(epsilon) > 0:
            raise ValueError(f"{owner}: epsilon must be positive, got {epsilon}.")
    elif epsilon is not None or relative_epsilon is not None:
        raise ValueError(f"{owner}: epsilon applies to method='sinkhorn' only.")
    if int(max_iterations) < 1 or int(sinkhorn_iterations) < 1:
        raise ValueError(f"{owner}: max_iterations and sinkhorn_iterations must be >= 1.")
    options: tuple = ()
    if method == "sinkhorn":
        options = (("max_iterations", int(sinkhorn_iterations)),)
        if tolerance is not None:
            # a row of a plan with L1 marginal error t moves its image by up to m t times the
            # spread: the inner solves are held to tolerance / m (the default keeps Sinkhorn's
            # own, with its rounding floor)
            options += (("tolerance", _resolve_tolerance(tolerance, dtype, owner) / m),)
    return _barycenter_jit(
        init,
        ys,
        weights,
        lambdas,
        epsilon,
        method=method,
        relative_epsilon=relative_epsilon,
        tolerance=_resolve_tolerance(tolerance, dtype, owner),
        max_iterations=int(max_iterations),
        options=options,
    )
