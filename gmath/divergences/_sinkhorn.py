r"""Entropic optimal transport: log-domain Sinkhorn and the Sinkhorn divergence."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from gmath._config import error_if_not
from gmath._jit import cached
from gmath._numerics import promote
from gmath._numerics._costs import CostMatrix, SquaredEuclidean, as_cost
from gmath._numerics._geometry import PointCloud, point_cloud
from gmath._numerics._precision import matmul
from gmath._pytree import register_record
from gmath.divergences._gaussian_ot import sqrtm_psd
from gmath.divergences._samples import (
    as_arrays,
    check_points,
    check_positive,
    check_scalar,
    check_weights,
    is_concrete,
    mass_tolerance,
    safe_log,
)

__all__ = [
    "DEFAULT_RELATIVE_EPSILON",
    "DEFAULT_TOLERANCE",
    "SinkhornDivergenceResult",
    "SinkhornResult",
    "default_tolerance",
    "sinkhorn",
    "sinkhorn_divergence",
    "sinkhorn_divergence_result",
]


class SinkhornResult(NamedTuple):
    r"""What :func:`sinkhorn` returns (a pytree).

    Attributes:
      reg_cost: :math:`\mathrm{OT}_\varepsilon`, the entropic cost (dual objective at the returned
        potentials), scalar.
      transport_cost: :math:`\langle C, P\rangle` of the returned plan, scalar.
      potentials: ``(f, g)``, dual potentials of shapes ``[n]`` and ``[m]`` in cost units.
      converged: whether the stopping criterion was met within ``max_iterations``.
      num_iterations: number of Sinkhorn iterations run (one iteration updates ``f`` then ``g``).
      marginal_error: :math:`\|P\mathbf 1 - a\|_1 + \|P^\top\mathbf 1 - b\|_1` of the returned
        plan (for unbalanced problems a description of the plan, not a residual).
      plan: the ``[n, m]`` plan when ``return_plan=True``, else ``None``.
    """

    reg_cost: Any
    transport_cost: Any
    potentials: Any
    converged: Any
    num_iterations: Any
    marginal_error: Any
    plan: Any = None


def _geometry(x, y, cost, materialize, block_size) -> PointCloud:
    """The point cloud of a solve (``y=None``: self-transport): the geometry's one centring
    shift, reused by the iterations (a materialised cost matrix, a precomputed one always, is
    kept with its transpose)."""
    return point_cloud(x, y, cost=cost, materialize=materialize, block_size=block_size, reuse=True)


# ------------------------------------------------------------------------------ iterations
class _Config(NamedTuple):
    tolerance: float
    rounding_floor: bool
    max_iterations: int
    epsilon_decay: float
    tau_a: float
    tau_b: float
    materialize: Any
    block_size: Any
    relaxation: float = 1.0


def _relax(old, new, w):
    r"""Over-relaxed step :math:`(1 - \omega)\,\mathrm{old} + \omega\,\mathrm{new}` (same fixed
    point; ``w = 1`` is the plain step)."""
    return new if isinstance(w, float) and w == 1.0 else (1 - w) * old + w * new


def _safeguard(cfg, w, err, prev, target):
    """The relaxation of this iteration: ``cfg.relaxation`` until the marginal error first stops
    falling, plain steps (1) from then on. Over-relaxation multiplies the rounding noise of the
    fixed point by about omega / (2 - omega): near the fixed point in float32, omega = 1.7
    stalled above a 1e-5 tolerance the plain iteration reaches; the switch keeps the fast
    approach and the plain iteration's floor. The last step (the iterate within ``target``)
    is plain too: an over-relaxed step from a converged iterate overshoots, and the loop
    returns the iterate after that step. Returns ``(carried w, step's w)``; the plain
    iteration (``relaxation = 1``) steps with the Python float 1 (no extra operations)."""
    if cfg.relaxation == 1.0:
        return w, 1.0
    stalled = jnp.isfinite(prev) & (err >= prev)
    w = jnp.where(stalled, jnp.asarray(1.0, w.dtype), w)
    return w, jnp.where(err <= target, jnp.asarray(1.0, w.dtype), w)


def _sweep(geom, f, g, la, lb, eps, cfg):
    """One Sinkhorn iteration (f then g); returns (f_new, g_new)."""
    f_new = -cfg.tau_a * eps * geom.row_logsumexp(g + eps * lb, eps)
    g_new = -cfg.tau_b * eps * geom.col_logsumexp(f_new + eps * la, eps)
    return f_new, g_new


def _schedule(eps, eps_init, decay, k):
    """Annealed epsilon at iteration k: max(eps, eps_init decay^k)."""
    if eps_init is None:
        return eps
    kk = jnp.asarray(k, eps.dtype)
    return jnp.maximum(eps, eps_init * jnp.asarray(decay, eps.dtype) ** kk)


def _num_anneal(eps, eps_init, decay, cap):
    """Iterations until the schedule reaches ``eps`` (0 without annealing), at most ``cap``."""
    if eps_init is None:
        return jnp.asarray(0, jnp.int32)
    steps = jnp.ceil(jnp.log(eps / eps_init) / jnp.log(jnp.asarray(decay, eps.dtype)))
    steps = jnp.where(jnp.isnan(steps), 0, jnp.clip(steps, 0, cap))
    return steps.astype(jnp.int32)


def _residual(f, f_new, la, eps):
    # sum_i a_i |exp((f_i - f_new_i)/eps) - 1| : the row-marginal L1 error of the previous
    # iterate (balanced), a relative potential change (unbalanced).
    a = jnp.exp(la)
    return jnp.sum(jnp.where(a > 0, a * jnp.abs(jnp.expm1((f - f_new) / eps)), 0))


def _update(geom, own, other, log_w, eps, tau, *, rows):
    r"""One half-iteration: the new potential of one side given the other side's potential.

    The logsumexp is shifted by the current potential instead of by a row
    maximum, :math:`f_i^+ = f_i - \varepsilon\log\sum_j e^{(f_i + g_j - C_{ij})/\varepsilon + \log
    b_j}`: after the previous half-iteration every term is at most :math:`\log n`, so one pass
    over the matrix (no max pass) is safe; a sum that underflows or overflows (early iterations,
    a poor warm start) falls back to the max-shifted logsumexp for that half-iteration.
    """
    lse = geom.row_logsumexp if rows else geom.col_logsumexp
    gibbs = geom.row_gibbs_sum if rows else geom.col_gibbs_sum
    full = lambda: -tau * eps * lse(other + eps * log_w, eps)
    sums = gibbs(own, other, log_w, eps)
    info = jnp.finfo(sums.dtype)
    ok = jnp.all((sums > info.tiny / info.eps) & (sums < info.max / 4))
    return lax.cond(ok, lambda: tau * (own - eps * jnp.log(sums)), full)


def _tolerance(cfg, geom, eps):
    """The tolerance the marginal error is held to: ``cfg.tolerance``, or by default at least the
    rounding floor of the marginals, ``u * max C / eps`` (the potentials are of the order of the
    cost; a rounding of ``u |f|`` in ``f`` moves ``exp(f / eps)`` by ``u |f| / eps`` relative).
    """
    if not cfg.rounding_floor:
        return cfg.tolerance
    u = jnp.finfo(geom.x.dtype).eps
    return jnp.maximum(cfg.tolerance, u * geom.cost_bound() / eps)


def _solve_loop(cfg, geom, la, lb, eps, eps_init, f0, g0):
    """Bounded while_loop; returns (f, g, num_iterations, residual)."""
    k_anneal = _num_anneal(eps, eps_init, cfg.epsilon_decay, cfg.max_iterations)
    dtype = geom.x.dtype
    # stop at half the tolerance: the returned plan (one more g update) is what `converged` checks
    target = 0.5 * _tolerance(cfg, geom, eps)

    def cond(state):
        f, g, k, err, _ = state
        done = (k > k_anneal) & (err <= target)
        return (k < cfg.max_iterations) & ~done & ~jnp.isnan(err)

    def body(state):
        f, g, k, prev, w = state
        e = _schedule(eps, eps_init, cfg.epsilon_decay, k)
        f_new = _update(geom, f, g, lb, e, cfg.tau_a, rows=True)
        err = _residual(f, f_new, la, e)  # the marginal error of the iterate (f, g)
        err = jnp.where(k > k_anneal, err, jnp.inf)
        w, step = _safeguard(cfg, w, err, prev, target)
        f_new = _relax(f, f_new, step)
        g_new = _relax(g, _update(geom, g, f_new, la, e, cfg.tau_b, rows=False), step)
        return f_new, g_new, k + 1, err, w

    w0 = jnp.asarray(cfg.relaxation, dtype)
    init = (f0, g0, jnp.asarray(0, jnp.int32), jnp.asarray(jnp.inf, dtype), w0)
    f, g, k, err, _ = lax.while_loop(cond, body, init)
    return f, g, k, err


def _solve_unrolled(cfg, geom, la, lb, eps, eps_init, f0, g0):
    """Same iterations as a scan (reverse-differentiable), frozen once converged."""
    k_anneal = _num_anneal(eps, eps_init, cfg.epsilon_decay, cfg.max_iterations)
    target = 0.5 * _tolerance(cfg, geom, eps)

    def body(state, _):
        f, g, k, err, w = state
        active = ((k <= k_anneal) | (err > target)) & ~jnp.isnan(err)
        e = _schedule(eps, eps_init, cfg.epsilon_decay, k)
        f_new = -cfg.tau_a * e * geom.row_logsumexp(g + e * lb, e)
        err_new = jnp.where(k > k_anneal, _residual(f, f_new, la, e), jnp.inf)
        w_new, step = _safeguard(cfg, w, err_new, err, target)
        f_new = _relax(f, f_new, step)
        g_new = _relax(g, -cfg.tau_b * e * geom.col_logsumexp(f_new + e * la, e), step)
        state = (
            jnp.where(active, f_new, f),
            jnp.where(active, g_new, g),
            jnp.where(active, k + 1, k),
            jnp.where(active, err_new, err),
            jnp.where(active, w_new, w),
        )
        return state, None

    dtype = geom.x.dtype
    w0 = jnp.asarray(cfg.relaxation, dtype)
    init = (f0, g0, jnp.asarray(0, jnp.int32), jnp.asarray(jnp.inf, dtype), w0)
    (f, g, k, err, _), _ = lax.scan(body, init, None, length=cfg.max_iterations)
    return f, g, k, err


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _solve_implicit(cfg, geom, la, lb, eps, eps_init, f0, g0):
    return _solve_loop(cfg, geom, la, lb, eps, eps_init, f0, g0)


def _solve_implicit_fwd(cfg, geom, la, lb, eps, eps_init, f0, g0):
    out = _solve_loop(cfg, geom, la, lb, eps, eps_init, f0, g0)
    return out, (geom, la, lb, eps, eps_init, f0, g0, out[0], out[1])


def _solve_implicit_bwd(cfg, res, cts):
    # The cotangent of the geometry (points, cached norms, a kept matrix) flows back to the
    # points through the geometry's construction.
    geom, la, lb, eps, eps_init, f0, g0, f, g = res
    ct_f, ct_g = cts[0], cts[1]
    balanced = cfg.tau_a == 1.0 and cfg.tau_b == 1.0

    def sweep(z, theta):
        return _sweep(theta[0], z[0], z[1], theta[1], theta[2], theta[3], cfg)

    theta = (geom, la, lb, eps)
    _, vjp_z = jax.vjp(lambda z: sweep(z, theta), (f, g))
    _, vjp_theta = jax.vjp(lambda t: sweep((f, g), t), theta)

    def project(w):
        # Remove the gauge direction r = (1, -1): (f + c, g - c) is the same solution.
        if not balanced:
            return w
        wf, wg = w
        c = (jnp.sum(wf) - jnp.sum(wg)) / (wf.size + wg.size)
        return wf - c, wg + c

    ct = project((ct_f, ct_g))
    dtype = f.dtype
    scale = jnp.sum(jnp.abs(ct[0])) + jnp.sum(jnp.abs(ct[1])) + jnp.finfo(dtype).tiny
    implicit_tolerance = 1e-3 * _tolerance(cfg, geom, eps)

    def cond(state):
        _, k, delta = state
        return (k < cfg.max_iterations) & (delta > implicit_tolerance * scale)

    def body(state):
        w, k, _ = state
        jw = vjp_z(w)[0]
        w_new = project((ct[0] + jw[0], ct[1] + jw[1]))
        delta = jnp.sum(jnp.abs(w_new[0] - w[0])) + jnp.sum(jnp.abs(w_new[1] - w[1]))
        delta = jnp.where(jnp.isnan(delta), 0, delta)
        return w_new, k + 1, delta

    w, _, _ = lax.while_loop(
        cond, body, (ct, jnp.asarray(0, jnp.int32), jnp.asarray(jnp.inf, dtype))
    )
    ggeom, gla, glb, geps = vjp_theta(w)[0]
    zeros = jax.tree_util.tree_map(jnp.zeros_like, (eps_init, f0, g0))
    return (ggeom, gla, glb, geps) + zeros


_solve_implicit.defvjp(_solve_implicit_fwd, _solve_implicit_bwd)


# ------------------------------------------------------------------------------ public
#: Default stopping tolerance on the L1 marginal error, per dtype. The marginals of a plan computed
#: in a dtype of unit roundoff u are exact only to about u times the potentials over epsilon
#: (the exponent's rounding), so float32 needs a looser default than float64 to be reachable;
#: ``converged`` stays honest either way (it is computed from the returned plan).
DEFAULT_TOLERANCE = {"float64": 1e-6, "float32": 1e-4, "float16": 1e-2, "bfloat16": 1e-2}


def default_tolerance(dtype) -> float:
    """The default ``tolerance`` of the Sinkhorn functions for points of ``dtype``."""
    return DEFAULT_TOLERANCE.get(jnp.dtype(dtype).name, 1e-6)


def _resolve_tolerance(tolerance, dtype, owner):
    if tolerance is None:
        return default_tolerance(dtype)
    tol = float(tolerance)
    if not tol > 0:
        raise ValueError(f"{owner}: tolerance must be positive, got {tolerance}.")
    return tol


def sinkhorn(
    x,
    y,
    *,
    epsilon=None,
    relative_epsilon: float | None = None,
    a=None,
    b=None,
    tolerance: float | None = None,
    max_iterations: int = 2000,
    epsilon_init="auto",
    epsilon_decay: float = 0.8,
    tau_a: float = 1.0,
    tau_b: float = 1.0,
    differentiation: str = "implicit",
    init=None,
    return_plan: bool = False,
    materialize: bool | None = None,
    block_size: int | None = None,
    cost=None,
    relaxation: float = 1.0,
) -> SinkhornResult:
    r"""Entropic optimal transport between weighted point clouds by log-domain Sinkhorn.

    Solves, for the ground cost :math:`C_{ij} = c(x_i, y_j)` (squared Euclidean
    :math:`\|x_i - y_j\|^2` by default; see ``cost``),

    .. math::
        \mathrm{OT}_\varepsilon(a, b) = \min_{P \ge 0,\ P\mathbf 1 = a,\ P^\top\mathbf 1 = b}
        \langle C, P\rangle + \varepsilon\,\mathrm{KL}(P \,\|\, a \otimes b)

    by alternating the dual updates (potentials in cost units)

    .. math::
        f_i = -\varepsilon \log\sum_j b_j e^{(g_j - C_{ij})/\varepsilon}, \qquad
        g_j = -\varepsilon \log\sum_i a_i e^{(f_i - C_{ij})/\varepsilon},

    with plan :math:`P_{ij} = a_i b_j e^{(f_i + g_j - C_{ij})/\varepsilon}`. After each ``g``
    update the column marginals are exact and the next ``f`` update yields the row-marginal L1 error
    :math:`\sum_i a_i |e^{(f_i - f_i^{+})/\varepsilon} - 1|` at no extra cost; the bounded
    ``while_loop`` stops when it is below ``tolerance``. Each half-iteration is one pass of
    exponentials, shifted by the current potential (see ``_update``). Tiny problems (and
    moderate ones in dimension above 8) use a materialised cost matrix; the rest the tiled engine,
    which recomputes cache-sized tiles of the cost by a ``precision=HIGHEST`` matmul on centred
    points, with :math:`O((n + m) d)` memory.

    Epsilon scaling (on by default): the iterations start at
    :math:`\varepsilon_0 = (\max_i\|x_i - c\| + \max_j\|y_j - c\|)^2 \ge \max_{ij} C_{ij}` and
    follow :math:`\varepsilon_k = \max(\varepsilon, \varepsilon_0\,\mathrm{decay}^k)`, one
    iteration per value, before iterating at :math:`\varepsilon` to the tolerance (Schmitzer
    2019, Feydy et al. 2019). Without it the potentials travel about :math:`\varepsilon` per
    iteration from zero, so a small :math:`\varepsilon` needs of order
    :math:`\max C / \varepsilon` iterations; with it, :math:`\log(\varepsilon_0/\varepsilon)
    / \log(1/\mathrm{decay})` more. The fixed point, the value and the gradients are those of
    :math:`\varepsilon`. A warm start (``init``) skips the schedule unless ``epsilon_init`` is a
    number. Convergence stays slow where :math:`\varepsilon` is of the order of the cost gaps
    between competing assignments of a cloud with near-ties: the plan nearly decouples into
    blocks, and the linear rate, the second singular value of the normalised plan, is close to 1
    (schedules do not change it); ``converged`` says so, ``max_iterations`` bounds the work.

    With ``tau_a < 1`` or ``tau_b < 1`` the marginal constraints become KL penalties of strength
    :math:`\rho = \varepsilon\tau/(1 - \tau)` (unbalanced transport; Séjourné et al. 2019): the
    updates are multiplied by :math:`\tau` and ``reg_cost`` is the unbalanced dual
    :math:`-\rho_a\langle a, e^{-f/\rho_a} - 1\rangle - \rho_b\langle b, e^{-g/\rho_b} - 1\rangle
    - \varepsilon\langle P - a\otimes b, \mathbf 1\rangle`.

    Differentiation: ``reg_cost`` is differentiated by the envelope theorem (potentials held
    fixed; exact at convergence) and the potentials by implicit differentiation of the fixed point
    (an adjoint iteration with the same convergence rate), so ``transport_cost`` and the plan have
    exact gradients too. ``differentiation="unroll"`` backpropagates through the iterations instead
    (a ``scan`` of ``max_iterations`` steps, frozen after convergence).

    Args:
      x: ``[n, d]`` source points (``[n]`` is read as ``[n, 1]``).
      y: ``[m, d]`` target points.
      epsilon: entropic regularisation :math:`\varepsilon > 0`, a scalar in cost units
        (absolute). Default ``None``: relative, see ``relative_epsilon``.
      relative_epsilon: :math:`\varepsilon` as a fraction of the mean cost
        :math:`\bar C = \sum_{ij} \bar a_i \bar b_j \|x_i - y_j\|^2` (weights normalised;
        computed in :math:`O((n + m)d)` as :math:`\|\bar x - \bar y\|^2 + \operatorname{tr}
        \Sigma_x + \operatorname{tr}\Sigma_y`), a Python float; used when ``epsilon`` is
        ``None``, default :data:`DEFAULT_RELATIVE_EPSILON` = 0.05 (OTT-JAX's default). The
        resulting :math:`\varepsilon` is not differentiated (a hyperparameter; gradients are
        those at fixed :math:`\varepsilon`). Give one of ``epsilon``, ``relative_epsilon``.
        Guidance: the plan's blur has squared radius about :math:`\varepsilon` (cost units), and
        ``reg_cost`` exceeds :math:`W_2^2` by an entropic bias that grows with
        :math:`\varepsilon`: :math:`0 \le \mathrm{OT}_\varepsilon - W_2^2 \le \varepsilon
        \log\min(n, m)` for uniform weights (the mutual information of a coupling is at most
        :math:`\log\min(n, m)`). The iterations needed grow as :math:`\varepsilon` shrinks: the
        worst-case contraction factor is :math:`\tanh^2(\max C / 2\varepsilon)` (Franklin and
        Lorenz 1989), close to 1 when :math:`\varepsilon \ll \max C`.
        A scale-free fraction of the mean cost keeps both under control whatever the units and
        the dimension: in dimension 16 with unit-variance clouds (mean cost about 56),
        ``epsilon=1`` took hundreds to thousands of iterations, 0.05 x the mean cost a few
        dozen. For a distance between measures prefer :func:`sinkhorn_divergence`, which removes
        the entropic bias (zero on equal inputs) so a larger :math:`\varepsilon` is harmless.
      a: ``[n]`` nonnegative source weights (default uniform :math:`1/n`). A zero weight
        removes its point (no mass, a zero gradient): a batch of problems of different sizes is
        one ``vmap`` over problems padded to a common size with zero-weight points.
      b: ``[m]`` nonnegative target weights (default uniform :math:`1/m`). Balanced transport
        (``tau_a = tau_b = 1``) needs ``a`` and ``b`` of equal total mass (relative difference at
        most :math:`\sqrt{u}`): unequal concrete masses raise ``ValueError``, traced ones give NaN
        (and ``InvalidParameterError`` in checks mode).
      tolerance: stop when the L1 marginal error is below this; default by dtype
        (:data:`DEFAULT_TOLERANCE`: ``1e-6`` in float64, ``1e-4`` in float32).
      max_iterations: iteration bound (``converged`` says whether it was enough).
      epsilon_init: start :math:`\varepsilon_0` of the epsilon-scaling schedule
        :math:`\varepsilon_k = \max(\varepsilon, \varepsilon_0\,\mathrm{decay}^k)`; ``"auto"``
        (default): the squared diameter bound above (none with a warm start); ``None``: no
        schedule.
      epsilon_decay: factor of the schedule, in ``(0, 1)``.
      tau_a: ``rho_a / (rho_a + epsilon)`` in ``(0, 1]``; 1 is a hard constraint.
      tau_b: same for ``b``.
      differentiation: ``"implicit"`` (default) or ``"unroll"``.
      init: optional ``(f, g)`` warm start, or ``"gaussian"`` (squared Euclidean cost only):
        start from the potential of the Monge map between Gaussian fits of the two clouds
        (Thornton and Cuturi 2023 [@thornton2023rethinking]), then the column update. Either
        skips the epsilon schedule (unless ``epsilon_init`` is a number).
      return_plan: also return the ``[n, m]`` plan (materialises it).
      materialize: force (``True``) or forbid (``False``) the materialised cost matrix.
      block_size: tile edge of the tiled path.
      cost: the ground cost :math:`c`: ``None`` or ``"sqeuclidean"`` (default), ``"euclidean"``,
        ``"cosine"``, a record of :mod:`gmath.divergences.costs` (``PNorm(p, q)`` for
        :math:`\|x - y\|_p^q`, ``Mahalanobis(M)``, ``Cosine()``, ``PairCost(fn)``), a function
        ``fn(x_i, y_j) -> scalar`` of one pair (vmapped over tiles: the tiled path keeps
        :math:`O((n + m) d)` memory), or a precomputed ``[n, m]`` cost matrix, in which case
        ``x`` and ``y`` must be ``None`` (the matrix replaces the points; gradients are then
        with respect to the matrix). Costs given by points are differentiated with respect to
        the points. A concrete matrix with NaN or :math:`-\infty` entries raises
        ``ValueError``; :math:`+\infty` forbids a pair.
      relaxation: over-relaxation :math:`\omega \in (0, 2)` of each half-iteration,
        :math:`f \leftarrow (1 - \omega) f + \omega\, T(f)` (Thibault et al. 2017; Lehmann et
        al. 2021): the same fixed point, reached in fewer iterations for :math:`\omega > 1`
        where the plain iteration is slow (small :math:`\varepsilon`). Measured on 300 points
        uniform in the unit cube against a shifted copy (float64, marginal error 1e-5):
        :math:`\varepsilon = 0.01`, 174 iterations plain, 76 at :math:`\omega = 1.5`, 55 at 1.7;
        :math:`\varepsilon = 10^{-3}`, 9007, 5872 and 4532. From the first iteration where the
        marginal error stops falling the steps are plain (over-relaxation amplifies the rounding
        noise of the fixed point; without the switch, float32 stalled above tolerances the
        plain iteration reaches). Default 1 (the plain iteration).

    Returns:
      A :class:`SinkhornResult`.

    References:
      Cuturi (2013). Sinkhorn distances: lightspeed computation of optimal transport. NeurIPS
      [@cuturi2013sinkhorn]. Peyré and Cuturi (2019). Computational optimal transport
      [@peyre2019computational]. Séjourné et al. (2019). Sinkhorn divergences for unbalanced
      optimal transport [@sejourne2019unbalanced]. Janati et al. (2020). Entropic optimal
      transport between unbalanced Gaussian measures has a closed form (the test oracle)
      [@janati2020entropic]. Schmitzer (2019). Stabilized sparse scaling
      algorithms for entropy regularized transport problems [@schmitzer2019stabilized].
      Feydy et al. (2019). Interpolating between optimal transport and MMD using Sinkhorn
      divergences. AISTATS [@feydy2019interpolating]. Thibault et al. (2017). Overrelaxed
      Sinkhorn-Knopp algorithm for regularized optimal transport [@thibault2017overrelaxed].
      Lehmann et al. (2022). A note on overrelaxation in the Sinkhorn algorithm
      [@lehmann2021note].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.divergences import sinkhorn
      >>> import jax
      >>> x = jax.random.normal(jax.random.key(0), (30, 2))
      >>> out = sinkhorn(x, 0.5 * x + 1.0, epsilon=1.0)
      >>> bool(out.converged), out.potentials[0].shape
      (True, (30,))
    """
    epsilon, relative_epsilon = _resolve_epsilon(epsilon, relative_epsilon, "sinkhorn")
    x, y, cost = _resolve_cost("sinkhorn", x, y, cost)
    x, y, a, b = _validate("sinkhorn", x, y, a, b, epsilon, balanced=tau_a == 1 and tau_b == 1)
    initializer = None
    if isinstance(init, str):
        initializer, init = init, None
    return _sinkhorn_jit(
        "sinkhorn",
        x,
        y,
        cost=cost,
        epsilon=epsilon,
        relative_epsilon=relative_epsilon,
        a=a,
        b=b,
        tolerance=tolerance,
        max_iterations=max_iterations,
        epsilon_init=epsilon_init,
        epsilon_decay=epsilon_decay,
        tau_a=tau_a,
        tau_b=tau_b,
        differentiation=differentiation,
        init=init,
        initializer=initializer,
        return_plan=return_plan,
        materialize=materialize,
        block_size=block_size,
        relaxation=relaxation,
    )


#: Default relative epsilon: ``epsilon = DEFAULT_RELATIVE_EPSILON * mean cost`` (OTT-JAX's
#: default fraction of the mean cost).
DEFAULT_RELATIVE_EPSILON = 0.05

_STATIC_OPTIONS = (
    "relative_epsilon",
    "tolerance",
    "max_iterations",
    "epsilon_init",
    "epsilon_decay",
    "tau_a",
    "tau_b",
    "differentiation",
    "return_plan",
    "materialize",
    "block_size",
    "relaxation",
    "initializer",
)


def _resolve_epsilon(epsilon, relative_epsilon, owner):
    """``(epsilon, relative_epsilon)`` with exactly one of them set (the relative default)."""
    if epsilon is not None and relative_epsilon is not None:
        raise ValueError(
            f"{owner}: give epsilon (absolute) or relative_epsilon (a fraction of the mean cost), "
            "not both."
        )
    if epsilon is not None:
        return epsilon, None
    if relative_epsilon is None:
        return None, DEFAULT_RELATIVE_EPSILON
    if isinstance(relative_epsilon, jax.core.Tracer) or np.ndim(relative_epsilon) != 0:
        raise TypeError(
            f"{owner}: relative_epsilon must be a Python float (it is a static option), got "
            f"{type(relative_epsilon).__name__}."
        )
    rel = float(relative_epsilon)
    if not (rel > 0 and np.isfinite(rel)):
        raise ValueError(f"{owner}: relative_epsilon must be positive and finite, got {rel}.")
    return None, rel


def _is_matrix(cost) -> bool:
    return isinstance(cost, (jax.Array, np.ndarray, list, tuple)) or (
        hasattr(cost, "shape") and hasattr(cost, "dtype") and not hasattr(cost, "pairwise")
    )


_NEEDS_POINTS = "the divergence also needs the costs within each cloud"


def _resolve_cost(owner, x, y, cost, *, matrix_ok=True, needs_points=_NEEDS_POINTS):
    """``(x, y, cost record)``: a precomputed ``[n, m]`` matrix becomes a :class:`CostMatrix`
    with ``[n, 1]`` and ``[m, 1]`` placeholder points (its dtype), after checks naming ``cost``;
    where a matrix cannot serve (``matrix_ok=False``), ``needs_points`` says why."""
    if not _is_matrix(cost):
        return x, y, as_cost(cost, owner)
    if not matrix_ok:
        raise ValueError(
            f"{owner}: a precomputed cost matrix is not accepted: {needs_points}; pass the "
            "points and a cost function instead."
        )
    if x is not None or y is not None:
        raise ValueError(
            f"{owner}: with a precomputed cost matrix, x and y must be None (the matrix "
            "replaces the points)."
        )
    (c,) = promote(jnp.asarray(cost) if not isinstance(cost, jax.Array) else cost)
    if c.ndim != 2 or 0 in c.shape:
        raise ValueError(f"{owner}: cost must be an [n, m] matrix with n, m >= 1, got {c.shape}.")
    if is_concrete(c):
        bad = np.asarray(np.isnan(c) | (c == -np.inf))
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise ValueError(
                f"{owner}: the cost matrix has NaN or -inf entries (first at [{i}, {j}]: "
                f"{float(c[i, j])}); +inf forbids a pair, NaN and -inf are not costs."
            )
    else:
        error_if_not(
            ~jnp.any(jnp.isnan(c) | (c == -jnp.inf)),
            f"{owner}: the cost matrix has NaN or -inf entries.",
        )
    n, m = c.shape
    return jnp.zeros((n, 1), c.dtype), jnp.zeros((m, 1), c.dtype), CostMatrix(c)


def _validate(owner, x, y, a, b, epsilon, *, balanced):
    """Eager validation before the compiled call (concrete inputs raise ``ValueError`` here, with
    their values; inside the compiled function they are traced). Returns the inputs as arrays."""
    x, y, a, b = as_arrays(x, y, a, b)
    if all(is_concrete(v) for v in (x, y, a, b, epsilon)):
        xp, _, _, _ = _prepare(x, y, a, b, owner, balanced=balanced)
        if epsilon is not None:
            _check_epsilon(epsilon, owner, xp.dtype)
    return x, y, a, b


def _relative_epsilon(relative, geom, a, b):
    """``relative * mean cost``, not differentiated (a hyperparameter); ``relative`` in cost
    units when every cost is zero (then every epsilon gives the same plan)."""
    mean = lax.stop_gradient(geom.mean_cost(a, b))
    return jnp.where(mean > 0, relative * mean, jnp.asarray(relative, mean.dtype))


def _check_epsilon(epsilon, owner, dtype, name="epsilon"):
    return check_positive(check_scalar(epsilon, owner, name, dtype), owner, name)


def _sinkhorn(
    owner,
    x,
    y,
    *,
    epsilon,
    relative_epsilon=None,
    a=None,
    b=None,
    tolerance=None,
    max_iterations=2000,
    epsilon_init="auto",
    epsilon_decay=0.8,
    tau_a=1.0,
    tau_b=1.0,
    differentiation="implicit",
    init=None,
    return_plan=False,
    materialize=None,
    block_size=None,
    cost=None,
    relaxation=1.0,
    initializer=None,
) -> SinkhornResult:
    cost = as_cost(cost, owner)
    if initializer not in (None, "gaussian"):
        raise ValueError(
            f"{owner}: init must be potentials (f, g) or 'gaussian', got {initializer!r}."
        )
    if initializer == "gaussian" and not isinstance(cost, SquaredEuclidean):
        raise ValueError(
            f"{owner}: init='gaussian' is the Brenier potential of the squared Euclidean cost; "
            f"it does not apply to the cost {type(cost).__name__}."
        )
    if not 0.0 < float(relaxation) < 2.0:
        raise ValueError(f"{owner}: relaxation must be in (0, 2), got {relaxation}.")
    if differentiation not in ("implicit", "unroll"):
        raise ValueError(
            f"{owner}: differentiation must be 'implicit' or 'unroll', got {differentiation!r}."
        )
    for name, tau in (("tau_a", tau_a), ("tau_b", tau_b)):
        if not 0.0 < float(tau) <= 1.0:
            raise ValueError(f"{owner}: {name} must be in (0, 1], got {tau}.")
    balanced = float(tau_a) == 1.0 and float(tau_b) == 1.0
    x, y, a, b = _prepare(x, y, a, b, owner, balanced=balanced)
    if isinstance(cost, CostMatrix):
        cost = CostMatrix(jnp.asarray(cost.matrix, x.dtype))
    if int(max_iterations) < 1:
        raise ValueError(f"{owner}: max_iterations must be >= 1, got {max_iterations}.")
    if not 0.0 < float(epsilon_decay) < 1.0:
        raise ValueError(f"{owner}: epsilon_decay must be in (0, 1), got {epsilon_decay}.")
    dtype = x.dtype
    # The geometry centres both clouds by one shift: the cost is unchanged, the matmul better
    # conditioned.
    geom = _geometry(x, y, cost, materialize, block_size)
    if epsilon is None:
        eps = _relative_epsilon(relative_epsilon, geom, a, b)
    else:
        eps = _check_epsilon(epsilon, owner, dtype)
    if isinstance(epsilon_init, str):
        if epsilon_init != "auto":
            raise ValueError(
                f"{owner}: epsilon_init must be 'auto', None or a positive number, got "
                f"{epsilon_init!r}."
            )
        eps_init = None if init is not None or initializer else geom.cost_bound()
    elif epsilon_init is None:
        eps_init = None
    else:
        eps_init = _check_epsilon(epsilon_init, owner, dtype, "epsilon_init")
    la, lb = safe_log(a), safe_log(b)
    n, m = x.shape[0], y.shape[0]
    if initializer == "gaussian":
        f0 = _gaussian_potential(x, y, a, b)
        g0 = -float(tau_b) * eps * geom.col_logsumexp(f0 + eps * la, eps)
    elif init is None:
        f0, g0 = jnp.zeros(n, dtype), jnp.zeros(m, dtype)
    else:
        f0, g0 = (jnp.asarray(v, dtype) for v in init)
        if f0.shape != (n,) or g0.shape != (m,):
            raise ValueError(
                f"{owner}: init must be potentials of shapes ({n},) and ({m},), got "
                f"{f0.shape} and {g0.shape}."
            )
    cfg = _Config(
        _resolve_tolerance(tolerance, dtype, owner),
        tolerance is None,
        int(max_iterations),
        float(epsilon_decay),
        float(tau_a),
        float(tau_b),
        materialize,
        block_size,
        float(relaxation),
    )
    if differentiation == "unroll":
        f, g, k, _ = _solve_unrolled(cfg, geom, la, lb, eps, eps_init, f0, g0)
    else:
        f, g, k, _ = _solve_implicit(cfg, geom, la, lb, eps, eps_init, f0, g0)
        # the loop's own residual has no gradient; report the final plan's instead
    # Envelope theorem: the dual objective with potentials held fixed.
    fs, gs = (f, g) if differentiation == "unroll" else (lax.stop_gradient(f), lax.stop_gradient(g))
    rows_s, cols_s, _, _ = geom.transport_sums(fs, gs, la, lb, eps)
    mass_s = jnp.sum(rows_s)
    reg_cost = _dual(fs, gs, a, b, mass_s, eps, cfg)
    rows, cols, transport, plan = geom.transport_sums(f, g, la, lb, eps)
    marginal_error = lax.stop_gradient(jnp.sum(jnp.abs(rows - a)) + jnp.sum(jnp.abs(cols - b)))
    converged = _converged(k, marginal_error, _tolerance(cfg, geom, eps), cfg)
    if return_plan:
        plan = plan if plan is not None else geom.transport_plan(f, g, la, lb, eps)
    else:
        plan = None
    return SinkhornResult(reg_cost, transport, (f, g), converged, k, marginal_error, plan)


def _root_and_inverse(s):
    """``(S^{1/2}, S^{-1/2})`` of a covariance, eigenvalues floored at ``eps * max`` (a singular
    covariance: too few points, or points in a subspace)."""
    w, v = jnp.linalg.eigh(0.5 * (s + s.T))
    w = jnp.maximum(w, jnp.finfo(s.dtype).eps * jnp.maximum(jnp.max(w), jnp.finfo(s.dtype).tiny))
    return (v * jnp.sqrt(w)) @ v.T, (v / jnp.sqrt(w)) @ v.T


def _gaussian_potential(x, y, a, b):
    r"""The Gaussian initialiser of Thornton and Cuturi (2023): the potential
    :math:`f(x) = \|x\|^2 - 2\varphi(x)` (up to a constant) of the squared Euclidean cost, with
    :math:`\nabla\varphi = T` the Monge map between the Gaussians of the clouds' weighted means
    and covariances, :math:`T(x) = m_y + A(x - m_x)`,
    :math:`A = \Sigma_x^{-1/2}(\Sigma_x^{1/2}\Sigma_y\Sigma_x^{1/2})^{1/2}\Sigma_x^{-1/2}`.
    A starting point only: not differentiated."""
    x, y, a, b = (lax.stop_gradient(v) for v in (x, y, a, b))
    wa, wb = a / jnp.sum(a), b / jnp.sum(b)
    mx, my = matmul(wa, x), matmul(wb, y)
    xc, yc = x - mx, y - my
    sx = matmul((xc * wa[:, None]).T, xc)
    sy = matmul((yc * wb[:, None]).T, yc)
    root, inv_root = _root_and_inverse(sx)
    amap = inv_root @ sqrtm_psd(root @ sy @ root) @ inv_root
    # f(x) = (x - m_x)^T (I - A) (x - m_x) - 2 (m_y - m_x)^T (x - m_x), one point at a time
    return jnp.sum(xc * (xc - matmul(xc, amap)), axis=1) - matmul(xc, 2 * (my - mx))


def _converged(k, marginal_error, tolerance, cfg):
    if cfg.tau_a == 1.0 and cfg.tau_b == 1.0:
        return marginal_error <= tolerance
    # unbalanced: the loop stops on the fixed-point residual; a run that used every iteration
    # did not meet it.
    return (k < cfg.max_iterations) & jnp.isfinite(marginal_error)


def _dual(f, g, a, b, mass, eps, cfg):
    mass_ab = jnp.sum(a) * jnp.sum(b)
    terms = []
    for pot, w, tau in ((f, a, cfg.tau_a), (g, b, cfg.tau_b)):
        if tau == 1.0:
            terms.append(jnp.sum(jnp.where(w > 0, w * pot, 0)))
        else:
            rho = eps * tau / (1 - tau)
            terms.append(-rho * jnp.sum(jnp.where(w > 0, w * jnp.expm1(-pot / rho), 0)))
    return terms[0] + terms[1] - eps * (mass - mass_ab)


def _prepare(x, y, a, b, owner, *, balanced=False):
    uniform = a is None and b is None
    x, y = check_points(x, y, owner)
    n, m = x.shape[0], y.shape[0]
    x, y, a, b = promote(x, y, a, b)
    a = check_weights(a, n, owner, "a", x.dtype, probability=False)
    b = check_weights(b, m, owner, "b", x.dtype, probability=False)
    if balanced and not uniform:
        a, b = _check_equal_mass(a, b, owner)
    return x, y, a, b


def _check_equal_mass(a, b, owner):
    """Balanced transport: ``sum a == sum b`` (relative :func:`mass_tolerance`), else reject."""
    tol = mass_tolerance(a.dtype)
    message = (
        f"{owner}: balanced transport (tau_a = tau_b = 1) needs a and b of equal total mass "
        "(P 1 = a and P^T 1 = b force sum a = sum b); normalise them, or use tau_a, tau_b < 1 "
        "for unbalanced transport"
    )
    if is_concrete(a) and is_concrete(b):
        ma = float(np.sum(np.asarray(a, np.float64)))
        mb = float(np.sum(np.asarray(b, np.float64)))
        if abs(ma - mb) > tol * max(ma, mb):
            raise ValueError(f"{message}; got masses {ma!r} and {mb!r}.")
        return a, b
    ma, mb = jnp.sum(a), jnp.sum(b)
    ok = jnp.abs(ma - mb) <= tol * jnp.maximum(ma, mb)
    error_if_not(ok, message + ".")
    return jnp.where(ok, a, jnp.nan), jnp.where(ok, b, jnp.nan)


@register_record
@dataclasses.dataclass(frozen=True)
class SinkhornDivergenceResult:
    r"""What :func:`sinkhorn_divergence_result` returns (a pytree record).

    Attributes:
      value: :math:`S_\varepsilon`, the value :func:`sinkhorn_divergence` returns (scalar).
      converged: whether all three inner solves met their tolerance (scalar bool).
      num_iterations: ``[3]`` iterations of the solves of :math:`\mathrm{OT}_\varepsilon(a, b)`,
        :math:`\mathrm{OT}_\varepsilon(a, a)` and :math:`\mathrm{OT}_\varepsilon(b, b)`.
      marginal_error: ``[3]`` L1 marginal errors of the three returned plans, same order.
    """

    value: Any
    converged: Any
    num_iterations: Any
    marginal_error: Any


def sinkhorn_divergence(
    x, y, *, epsilon=None, relative_epsilon=None, a=None, b=None, **kwargs
) -> jax.Array:
    r"""Debiased Sinkhorn divergence, zero on equal inputs.

    .. math::
        S_\varepsilon(a, b) = \mathrm{OT}_\varepsilon(a, b)
        - \tfrac12 \mathrm{OT}_\varepsilon(a, a) - \tfrac12 \mathrm{OT}_\varepsilon(b, b).

    For the squared Euclidean cost (the default) it is nonnegative, symmetric, metrises weak
    convergence, interpolates between :math:`W_2^2` (:math:`\varepsilon \to 0`) and
    :math:`\|\bar x - \bar y\|^2` (MMD with kernel :math:`-\|x - y\|^2`,
    :math:`\varepsilon \to \infty`), and satisfies :math:`S_\varepsilon(x, x + t) = m\|t\|^2`
    exactly for every :math:`\varepsilon` (:math:`m` the common mass, 1 for probability
    weights). Other costs (``cost=``, as for :func:`sinkhorn`; a function of the points, not a
    matrix, since the self-transport terms need the costs within each cloud) keep the
    debiasing (it is zero on equal inputs) and are nonnegative and definite when
    :math:`e^{-c/\varepsilon}` is a positive universal kernel (Feydy et al. 2019, Theorem 1), as
    for :math:`c = \|x - y\|^q`, :math:`0 < q \le 2`.

    Unbalanced (``tau_a = tau_b = tau < 1``, marginal KL penalty
    :math:`\rho = \varepsilon\tau/(1-\tau)`), it is Séjourné et al.'s divergence

    .. math::
        S_\varepsilon(a, b) = \mathrm{OT}_\varepsilon(a, b)
        - \tfrac12 \mathrm{OT}_\varepsilon(a, a) - \tfrac12 \mathrm{OT}_\varepsilon(b, b)
        + \tfrac{\varepsilon}{2}\bigl(m(a) - m(b)\bigr)^2,

    with :math:`m(a) = \sum_i a_i`: the mass term keeps it nonnegative and zero only for equal
    measures when ``a`` and ``b`` carry different total mass. Balanced, ``a`` and ``b`` must carry
    equal mass (see :func:`sinkhorn`).

    The inner solves use :func:`sinkhorn`'s defaults (epsilon scaling, a tolerance by dtype);
    :func:`sinkhorn_divergence_result` returns the same value with whether they converged.

    Args:
      x: ``[n, d]`` points. y: ``[m, d]`` points.
      epsilon: :math:`\varepsilon > 0`, a scalar in cost units (absolute); default ``None``:
        relative to the mean cost, see ``relative_epsilon``.
      relative_epsilon: :math:`\varepsilon` as a fraction of the mean cost between ``x`` and
        ``y`` (default 0.05 when ``epsilon`` is ``None``; one :math:`\varepsilon` for the three
        terms, not differentiated). The divergence is debiased: its entropic bias vanishes on
        equal inputs and :math:`S_\varepsilon(x, x + t) = \|t\|^2` for every
        :math:`\varepsilon`; a larger :math:`\varepsilon` costs fewer iterations and smooths
        the comparison (towards the energy-distance-like MMD), a smaller one approaches
        :math:`W_2^2` at more iterations (see :func:`sinkhorn`).
      a: ``[n]`` weights (default uniform). b: ``[m]`` weights (default uniform).
      **kwargs: passed to :func:`sinkhorn` (``cost``, ``tolerance``, ``max_iterations``, ...);
        unbalanced transport needs ``tau_a == tau_b``. The cost must be symmetric (a function
        of one pair must be declared so, ``PairCost(fn, symmetric=True)``).

    Returns:
      Scalar :math:`S_\varepsilon`; differentiable (envelope theorem) in ``x``, ``y``, ``a``,
      ``b``.

    References:
      Cuturi (2013). Sinkhorn distances: lightspeed computation of optimal transport. NeurIPS
      [@cuturi2013sinkhorn]. Feydy et al. (2019). Interpolating between optimal transport and
      MMD using Sinkhorn divergences. AISTATS [@feydy2019interpolating]. Genevay, Peyré and
      Cuturi (2018). Learning
      generative models with Sinkhorn divergences. AISTATS [@genevay2018learning]. Séjourné et
      al. (2019). Sinkhorn divergences for unbalanced optimal transport
      [@sejourne2019unbalanced].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from gmath.divergences import sinkhorn_divergence
      >>> x = jax.random.normal(jax.random.key(0), (10, 2))
      >>> round(float(sinkhorn_divergence(x, x + jnp.array([1.0, 2.0]), epsilon=0.5)), 6)
      5.0
    """
    return _public_divergence(
        "sinkhorn_divergence", x, y, epsilon, relative_epsilon, a, b, kwargs
    ).value


def sinkhorn_divergence_result(
    x, y, *, epsilon=None, relative_epsilon=None, a=None, b=None, **kwargs
) -> SinkhornDivergenceResult:
    r""":func:`sinkhorn_divergence` with the convergence of its three inner Sinkhorn solves.

    Same arguments and value as :func:`sinkhorn_divergence`; returns a
    :class:`SinkhornDivergenceResult` ``(value, converged, num_iterations, marginal_error)``.
    ``converged`` is true when the L1 marginal error of each of the plans of
    :math:`\mathrm{OT}_\varepsilon(a, b)`, :math:`\mathrm{OT}_\varepsilon(a, a)` and
    :math:`\mathrm{OT}_\varepsilon(b, b)` is below the tolerance (for unbalanced transport: when
    each solve stopped on its residual within ``max_iterations``).

    Args:
      x: ``[n, d]`` points. y: ``[m, d]`` points.
      epsilon: :math:`\varepsilon > 0`, a scalar (absolute); default ``None``: relative.
      relative_epsilon: fraction of the mean cost (default 0.05 when ``epsilon`` is ``None``).
      a: ``[n]`` weights (default uniform). b: ``[m]`` weights (default uniform).
      **kwargs: passed to :func:`sinkhorn`.

    Returns:
      A :class:`SinkhornDivergenceResult`.

    References:
      Cuturi (2013). Sinkhorn distances: lightspeed computation of optimal transport. NeurIPS
      [@cuturi2013sinkhorn]. Feydy et al. (2019). Interpolating between optimal transport and MMD using Sinkhorn
      divergences. AISTATS [@feydy2019interpolating].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from gmath.divergences import sinkhorn_divergence_result
      >>> x = jax.random.normal(jax.random.key(0), (10, 2))
      >>> out = sinkhorn_divergence_result(x, x + jnp.array([1.0, 2.0]), epsilon=1e-3)
      >>> round(float(out.value), 6), bool(out.converged)
      (5.0, True)
    """
    return _public_divergence(
        "sinkhorn_divergence_result", x, y, epsilon, relative_epsilon, a, b, kwargs
    )


def _public_divergence(owner, x, y, epsilon, relative_epsilon, a, b, kwargs):
    kwargs = dict(kwargs)
    kwargs.pop("return_plan", None)
    epsilon, relative_epsilon = _resolve_epsilon(epsilon, relative_epsilon, owner)
    tau_a, tau_b = kwargs.get("tau_a", 1.0), kwargs.get("tau_b", 1.0)
    x, y, kwargs["cost"] = _resolve_cost(owner, x, y, kwargs.get("cost"), matrix_ok=False)
    x, y, a, b = _validate(owner, x, y, a, b, epsilon, balanced=tau_a == 1 and tau_b == 1)
    return _divergence_jit(
        owner, x, y, epsilon=epsilon, relative_epsilon=relative_epsilon, a=a, b=b, **kwargs
    )


def _divergence(
    owner, x, y, *, epsilon, relative_epsilon=None, a=None, b=None, cost=None, **kwargs
):
    cost = as_cost(cost, owner)
    if not cost.symmetric:
        # Feydy et al. (2019) assume c(x, y) = c(y, x); the self-transport terms use it
        raise ValueError(
            f"{owner}: the Sinkhorn divergence needs a symmetric cost, c(x, y) = c(y, x) (its "
            "debiasing terms are self-transport problems); a function of one pair is assumed "
            "asymmetric: declare it with gmath.divergences.costs.PairCost(fn, symmetric=True)."
        )
    tau_a, tau_b = float(kwargs.get("tau_a", 1.0)), float(kwargs.get("tau_b", 1.0))
    unbalanced = tau_a != 1.0 or tau_b != 1.0
    if unbalanced and tau_a != tau_b:
        raise ValueError(
            f"{owner}: unbalanced transport needs one marginal penalty for both "
            f"sides (the divergence compares x with y symmetrically), got tau_a={tau_a} and "
            f"tau_b={tau_b}."
        )
    # validate once, naming this function (the inner solves see valid inputs)
    xp, yp, ap, bp = _prepare(x, y, a, b, owner, balanced=not unbalanced)
    if epsilon is None:
        # one epsilon for the three solves, from the mean cost between x and y
        eps = _relative_epsilon(relative_epsilon, point_cloud(xp, yp, cost=cost), ap, bp)
    else:
        eps = _check_epsilon(epsilon, owner, xp.dtype)
    # default (uniform) weights stay None: nothing to check again
    ap, bp = (None if w is None else v for w, v in ((a, ap), (b, bp)))
    xy = _sinkhorn(owner, xp, yp, epsilon=eps, a=ap, b=bp, cost=cost, **kwargs)
    if unbalanced or kwargs.get("differentiation", "implicit") == "unroll":
        xx = _sinkhorn(owner, xp, xp, epsilon=eps, a=ap, b=ap, cost=cost, **kwargs)
        yy = _sinkhorn(owner, yp, yp, epsilon=eps, a=bp, b=bp, cost=cost, **kwargs)
        parts = [(r.reg_cost, r.converged, r.num_iterations, r.marginal_error) for r in (xx, yy)]
    else:
        parts = [
            _self_transport(owner, v, w, eps, cost=cost, **kwargs) for v, w in ((xp, ap), (yp, bp))
        ]
    (vxx, cxx, kxx, exx), (vyy, cyy, kyy, eyy) = parts
    out = xy.reg_cost - 0.5 * (vxx + vyy)
    if unbalanced and not (a is None and b is None):
        # Séjourné et al. (2019), Theorem 1: the mass term makes it nonnegative and definite
        ma = 1.0 if ap is None else jnp.sum(ap)
        mb = 1.0 if bp is None else jnp.sum(bp)
        out = out + 0.5 * eps * (ma - mb) ** 2
    return SinkhornDivergenceResult(
        value=out,
        converged=xy.converged & cxx & cyy,
        num_iterations=jnp.stack(
            [jnp.asarray(k, jnp.int32) for k in (xy.num_iterations, kxx, kyy)]
        ),
        marginal_error=jnp.stack([xy.marginal_error, exx, eyy]),
    )


def self_transport(
    x,
    a=None,
    *,
    epsilon,
    tolerance: float | None = None,
    max_iterations: int = 2000,
    materialize=None,
    block_size=None,
    **unused,
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    r""":math:`\mathrm{OT}_\varepsilon(a, a)` by the symmetric (averaged) Sinkhorn iteration.

    The self-transport problem has a symmetric optimum :math:`f = g`; iterating
    :math:`f \leftarrow \tfrac12\bigl(f - \varepsilon\log\sum_j a_j e^{(f_j - C_{ij})/\varepsilon}\bigr)`
    converges far faster than alternating updates, which oscillate on this problem (Feydy et al.
    2019). Returns ``(value, converged, num_iterations, marginal_error)``, the value being the dual
    :math:`2\langle f, a\rangle - \varepsilon(\langle P, 1\rangle - 1)` with :math:`f` held fixed
    (envelope-theorem gradients).
    """
    del unused
    return _self_transport(
        "sinkhorn_divergence",
        x,
        a,
        epsilon,
        tolerance=tolerance,
        max_iterations=max_iterations,
        materialize=materialize,
        block_size=block_size,
    )[0]


def _self_transport(
    owner,
    x,
    a,
    epsilon,
    *,
    tolerance=None,
    max_iterations=2000,
    materialize=None,
    block_size=None,
    cost=None,
    **unused,
):
    """``(value, converged, num_iterations, marginal_error)`` of the symmetric self-transport
    solve (a symmetric cost)."""
    del unused
    x, _, a, _ = _prepare(x, x, a, a, owner)
    dtype = x.dtype
    eps = _check_epsilon(epsilon, owner, dtype)
    geom = _geometry(x, None, as_cost(cost, owner), materialize, block_size)
    la = safe_log(a)
    cfg = _Config(_resolve_tolerance(tolerance, dtype, owner), tolerance is None, 0, 0, 1, 1, 0, 0)
    tolerance = _tolerance(cfg, geom, lax.stop_gradient(eps))

    def solve(geom, la, eps):
        def step(f):
            return -eps * geom.row_logsumexp(f + eps * la, eps)

        def cond(state):
            _, k, err = state
            return (k < max_iterations) & (err > 0.5 * tolerance) & ~jnp.isnan(err)

        def body(state):
            f, k, _ = state
            tf = step(f)
            err = _residual(f, tf, la, eps)
            return 0.5 * (f + tf), k + 1, err

        init = (
            jnp.zeros(x.shape[0], dtype),
            jnp.asarray(0, jnp.int32),
            jnp.asarray(jnp.inf, dtype),
        )
        f, k, _ = lax.while_loop(cond, body, init)
        return step(f), k  # one full step: the fixed point's image, marginals to second order

    f, k = solve(lax.stop_gradient(geom), lax.stop_gradient(la), lax.stop_gradient(eps))
    f = lax.stop_gradient(f)
    rows, _, _, _ = geom.transport_sums(f, f, la, la, eps)
    value = 2 * jnp.sum(jnp.where(a > 0, a * f, 0)) - eps * (jnp.sum(rows) - jnp.sum(a) ** 2)
    # the plan is symmetric: its row and column errors are equal
    marginal_error = lax.stop_gradient(2 * jnp.sum(jnp.abs(rows - a)))
    return value, marginal_error <= tolerance, k, marginal_error


# Compiled once per shape, dtype and static option (gmath._jit.cached): eagerly, the loops and the
# custom VJP would otherwise be retraced and recompiled on every call.
_sinkhorn_jit = cached(_sinkhorn, static_argnums=(0,), static_argnames=_STATIC_OPTIONS)
_divergence_jit = cached(_divergence, static_argnums=(0,), static_argnames=_STATIC_OPTIONS)
