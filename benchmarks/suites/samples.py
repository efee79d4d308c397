"""Divergences between samples: Sinkhorn beside OTT-JAX and POT, MMD beside a naive materialised
implementation.

- ``sinkhorn``: entropic OT with cost ||x - y||^2 and absolute epsilon = 0.1 (the convention OTT and
  POT share), x and y uniform in [0, 1]^3 (y shifted by 0.2), solved to the same L1 marginal error
  (1e-5; POT's criterion is an L2 norm, so it gets stopThr = 1e-5 / sqrt(n), which guarantees the
  L1 target). Reported: time per solve, iterations, final marginal error, memory, and the fraction of
  the exp roofline (2 n m exps per iteration). OTT: dense geometry up to n = 10^4, its online mode
  beyond (with a one-line compatibility shim for JAX 0.10, see ``_ott_online_compat``); POT:
  ``ot.sinkhorn`` (default method) in float64 numpy on the host, up to n = 10^4.
- ``mmd``: unbiased RBF MMD^2, d = 16, n = m, beside the naive implementation that materialises the
  three Gram matrices (skipped where they would not fit).
- ``sinkhorn_l1``, ``sinkhorn_cosine``: the same with the cost ||x - y||_1 (OTT's ``PNormP(1)``,
  POT's ``cityblock``) and the cosine cost (epsilon 0.01: the costs are about 0.1).
- ``exact_transport``: batches of 16 exact transport problems between n-point clouds in [0, 1]^3
  (uniform weights, squared Euclidean cost): gmath's ``exact_transport`` under ``vmap`` beside
  POT's ``ot.emd2`` in a loop and optax's Hungarian algorithm under ``vmap``; optimal costs agree
  to 1e-9 relative in float64.
- ``sinkhorn_acceleration``: iterations and time to a marginal error of 1e-5 at epsilon = 0.01,
  default against over-relaxation, the Gaussian initialiser, and both.
- ``gromov_wasserstein``: entropic GW (square loss, epsilon = 0.01) between n points in [0, 1]^3
  and n points in [0, 1]^2, beside POT's ``entropic_gromov_wasserstein2`` (same iteration from
  the same start: objectives agree to 1e-6) and OTT-JAX's ``GromovWasserstein`` (another
  stationary point; its objective's difference is reported).
"""

from __future__ import annotations

import math

from benchmarks.harness import Case, Impl, Unavailable, require
from benchmarks.suites._common import pick

SUITE = "samples"
EPSILON = 0.1
TOLERANCE = 1e-5
#: From this size on one call takes minutes on a CPU: it is timed once (``Impl.single_call``).
SINGLE_CALL_SIZE = 10**5


def _clouds(n: int, d: int, dtype: str, seed: int):
    import jax

    k1, k2 = jax.random.split(jax.random.key(seed))
    x = jax.random.uniform(k1, (n, d), dtype=dtype)
    y = jax.random.uniform(k2, (n, d), dtype=dtype) + 0.2
    return x, y


def _rel(a, b) -> float:
    a, b = float(a), float(b)
    return abs(a - b) / max(abs(a), 1e-30)


def _ott_online_compat() -> str | None:
    """OTT-JAX 0.6.0's online geometry calls ``jax.interpreters.batching.is_vmappable``, which
    JAX 0.10 no longer exports (it is still ``jax._src.interpreters.batching.is_vmappable``).
    Re-export JAX's own function under the old name, changing nothing else; returns a note
    for the report when it did."""
    from jax.interpreters import batching

    if hasattr(batching, "is_vmappable"):
        return None
    from jax._src.interpreters import batching as internal

    batching.is_vmappable = internal.is_vmappable
    return (
        "jax.interpreters.batching.is_vmappable, removed from JAX's public module and called by "
        "OTT's online mode, re-exported from jax._src"
    )


#: Ground costs beyond the squared one: (gmath's cost, OTT's cost function, POT's ``ot.dist``
#: metric, epsilon). The L1 cost is OTT's ``PNormP(1)``; the cosine cost of points in the positive
#: orthant is small (about 0.1), hence its smaller epsilon.
_COSTS = {
    "sqeuclidean": (None, "SqEuclidean", "sqeuclidean", EPSILON),
    "l1": ("l1", "PNormP", "cityblock", EPSILON),
    "cosine": ("cosine", "Cosine", "cosine", 0.01),
}


def _gmath_cost(name):
    if name == "l1":
        return require("gmath.divergences.costs", "PNorm")(1.0, 1.0)
    return name


def _ott_cost(costs, name):
    return costs.PNormP(1.0) if name == "PNormP" else getattr(costs, name)()


def _sinkhorn_case(n: int, dtype: str, mode: str, cost: str = "sqeuclidean") -> Case:
    d = 3
    rtol = 2e-3 if dtype == "float32" else 1e-4
    single = n >= SINGLE_CALL_SIZE
    ours_cost, ott_cost_name, pot_metric, epsilon = _COSTS[cost]

    def build():
        import jax.numpy as jnp
        import numpy as np

        sinkhorn = require("gmath.divergences", "sinkhorn")
        x, y = _clouds(n, d, dtype, 20)
        gmath_cost = _gmath_cost(ours_cost)

        def ours(x, y):
            out = sinkhorn(
                x, y, epsilon=epsilon, tolerance=TOLERANCE, max_iterations=5000, cost=gmath_cost
            )
            return (
                out.reg_cost,
                out.transport_cost,
                out.num_iterations,
                out.marginal_error,
                out.converged,
            )

        def extra(o):
            return {"iterations": int(o[2]), "marginal_error": float(o[3]), "converged": bool(o[4])}

        impls = [
            Impl(
                "gmath",
                ours,
                (x, y),
                role="gmath",
                extra=extra,
                work=lambda o: {"exps": 2.0 * n * n * int(o[2])},
                single_call=single,
            )
        ]
        # ---- OTT-JAX
        try:
            pointcloud = require("ott.geometry.pointcloud")
            ott_costs = require("ott.geometry.costs")
            linear_problem = require("ott.problems.linear.linear_problem")
            ott_sinkhorn = require("ott.solvers.linear.sinkhorn")
            online = n > 10_000
            compat = _ott_online_compat() if online else None
            solver = ott_sinkhorn.Sinkhorn(
                threshold=TOLERANCE, max_iterations=5000, inner_iterations=10
            )

            def ott(x, y):
                geom = pointcloud.PointCloud(
                    x,
                    y,
                    cost_fn=_ott_cost(ott_costs, ott_cost_name),
                    epsilon=epsilon,
                    batch_size=1024 if online else None,
                )
                out = solver(linear_problem.LinearProblem(geom))
                errs = out.errors
                last = jnp.max(jnp.where(errs >= 0, errs, -1.0))
                err = jnp.min(jnp.where(errs >= 0, errs, jnp.inf))
                return (out.reg_ot_cost, out.n_iters, err, out.converged, last)

            impls.append(
                Impl(
                    "ott-jax" + (" (online)" if online else ""),
                    ott,
                    (x, y),
                    extra=lambda o: {
                        "iterations": int(o[1]),
                        "marginal_error": float(o[2]),
                        "converged": bool(o[3]),
                    },
                    check=lambda g, o: {
                        "ok": _rel(g[0], o[0]) <= rtol,
                        "reg_cost_rel_err": _rel(g[0], o[0]),
                    },
                    work=lambda o: {"exps": 2.0 * n * n * int(o[1])},
                    note="dense geometry"
                    if not online
                    else "online geometry (batch 1024)" + (f"; {compat}" if compat else ""),
                    single_call=single,
                )
            )
        except Unavailable as e:
            impls.append(Impl("ott-jax", skip=str(e)))
        # ---- POT
        if n > 10_000:
            impls.append(
                Impl("pot", skip="n > 10^4: the n x m float64 cost matrix and minutes/solve")
            )
        else:
            try:
                ot = require("ot")
                xn, yn = np.asarray(x, np.float64), np.asarray(y, np.float64)
                a = np.full(n, 1.0 / n)

                def pot(x, y):
                    M = ot.dist(x, y, metric=pot_metric)
                    P = ot.sinkhorn(
                        a,
                        a,
                        M,
                        epsilon,
                        numItermax=20000,
                        stopThr=TOLERANCE / math.sqrt(n),
                        warn=False,
                    )
                    err = np.abs(P.sum(1) - a).sum() + np.abs(P.sum(0) - a).sum()
                    return (float((P * M).sum()), err)

                impls.append(
                    Impl(
                        "pot",
                        pot,
                        (xn, yn),
                        kind="python",
                        extra=lambda o: {"marginal_error": float(o[1])},
                        check=lambda g, o: {
                            "ok": _rel(g[1], o[0]) <= rtol,
                            "transport_cost_rel_err": _rel(g[1], o[0]),
                        },
                        max_repeats=3 if n <= 1000 else 1,
                        note="ot.sinkhorn, float64 numpy; stopThr = 1e-5/sqrt(n) on its L2 error",
                    )
                )
            except Unavailable as e:
                impls.append(Impl("pot", skip=str(e)))
        return impls

    name = "sinkhorn" if cost == "sqeuclidean" else f"sinkhorn_{cost}"
    label = "" if cost == "sqeuclidean" else f", {cost} cost"
    return Case(
        SUITE,
        name,
        n,
        build,
        title=f"Sinkhorn{label}, d=3, eps={epsilon}, to L1 marginal error {TOLERANCE:g} ({dtype})",
        params={"d": d, "epsilon": epsilon, "tolerance": TOLERANCE, "cost": cost},
        dtype=dtype,
        rtol=rtol,
    )


def _naive_mmd(x, y, h):
    import jax.numpy as jnp
    from jax import lax

    def gram(a, b):
        d2 = (
            jnp.sum(a * a, -1)[:, None]
            + jnp.sum(b * b, -1)[None, :]
            - 2.0 * jnp.matmul(a, b.T, precision=lax.Precision.HIGHEST)
        )
        return jnp.exp(-jnp.maximum(d2, 0.0) / (2.0 * h * h))

    n, m = x.shape[0], y.shape[0]
    kxx, kyy, kxy = gram(x, x), gram(y, y), gram(x, y)
    return (
        (kxx.sum() - jnp.trace(kxx)) / (n * (n - 1))
        + (kyy.sum() - jnp.trace(kyy)) / (m * (m - 1))
        - 2.0 * kxy.mean()
    )


def _mmd_case(n: int, d: int, dtype: str) -> Case:
    h = 2.0

    def build():
        import jax

        mmd, kernels = require("gmath.divergences", "mmd_squared", "kernels")
        k1, k2 = jax.random.split(jax.random.key(21))
        x = jax.random.normal(k1, (n, d), dtype=dtype)
        y = jax.random.normal(k2, (n, d), dtype=dtype) * 1.2 + 0.3
        kern = kernels.rbf(bandwidth=h)
        impls = [
            Impl(
                "gmath",
                lambda x, y: mmd(x, y, kernel=kern, estimator="unbiased"),
                (x, y),
                role="gmath",
                single_call=n >= SINGLE_CALL_SIZE,
            )
        ]
        gram_bytes = 3 * n * n * (4 if dtype == "float32" else 8)
        if gram_bytes > 8e9:
            impls.append(
                Impl(
                    "naive jax", skip=f"would materialise 3 n^2 floats = {gram_bytes / 1e9:.0f} GB"
                )
            )
        else:
            impls.append(
                Impl(
                    "naive jax",
                    lambda x, y: _naive_mmd(x, y, h),
                    (x, y),
                    note="three materialised Gram matrices",
                )
            )
        return impls

    pairs = 3 * n * n
    return Case(
        SUITE,
        "mmd",
        n,
        build,
        title=f"unbiased RBF MMD^2, d={d}, n = m ({dtype})",
        params={"d": d, "bandwidth": h},
        dtype=dtype,
        work={"exps": pairs, "flops": 2 * d * pairs},
        rtol=1e-3 if dtype == "float32" else 1e-9,
        atol=1e-5 if dtype == "float32" else 1e-12,
    )


def _exact_case(n: int, batch: int, dtype: str) -> Case:
    """A batch of ``batch`` exact transport problems between n-point clouds (uniform weights)."""
    d = 3

    def build():
        import jax
        import jax.numpy as jnp
        import numpy as np

        exact_transport = require("gmath.divergences", "exact_transport")
        k1, k2 = jax.random.split(jax.random.key(30))
        x = jax.random.uniform(k1, (batch, n, d), dtype=dtype)
        y = jax.random.uniform(k2, (batch, n, d), dtype=dtype) + 0.2

        def ours(x, y):
            out = jax.vmap(exact_transport)(x, y)
            return out.cost, out.optimal

        impls = [
            Impl(
                "gmath",
                ours,
                (x, y),
                role="gmath",
                output=lambda o: o[0],
                extra=lambda o: {"certified": bool(np.all(o[1]))},
            )
        ]
        try:
            ot = require("ot")
            xn, yn = np.asarray(x, np.float64), np.asarray(y, np.float64)
            a = np.full(n, 1.0 / n)

            def pot(x, y):
                return np.array(
                    [ot.emd2(a, a, ot.dist(xi, yi)) for xi, yi in zip(x, y, strict=True)]
                )

            impls.append(
                Impl(
                    "pot",
                    pot,
                    (xn, yn),
                    kind="python",
                    max_repeats=3,
                    note="ot.emd2 (network simplex, C++) in a loop over the batch, float64",
                )
            )
        except Unavailable as e:
            impls.append(Impl("pot", skip=str(e)))
        try:
            hungarian = require("optax.assignment", "hungarian_algorithm")

            def optax_cost(x, y):
                def one(x, y):
                    c = jnp.sum((x[:, None, :] - y[None, :, :]) ** 2, axis=-1)
                    rows, cols = hungarian(c)
                    return jnp.mean(c[rows, cols])

                return jax.vmap(one)(x, y)

            impls.append(
                Impl("optax", optax_cost, (x, y), note="optax.assignment.hungarian_algorithm")
            )
        except Unavailable as e:
            impls.append(Impl("optax", skip=str(e)))
        return impls

    return Case(
        SUITE,
        "exact_transport",
        n,
        build,
        title=f"exact transport, batches of {batch} problems n x n, d={d} ({dtype})",
        params={"d": d, "batch": batch},
        dtype=dtype,
        items=batch,
        items_label="problems",
        rtol=1e-4 if dtype == "float32" else 1e-9,
    )


def _acceleration_case(n: int, dtype: str) -> Case:
    """Iterations and time to a marginal error of 1e-5 at epsilon = 0.01 (the standard problem:
    uniform clouds in [0, 1]^3, y shifted by 0.2): the default (epsilon schedule) against
    over-relaxation (omega = 1.7), the Gaussian initialiser, and both."""
    d, epsilon = 3, 0.01

    def build():
        sinkhorn = require("gmath.divergences", "sinkhorn")
        x, y = _clouds(n, d, dtype, 20)

        def solver(**kw):
            def run(x, y):
                out = sinkhorn(
                    x, y, epsilon=epsilon, tolerance=TOLERANCE, max_iterations=20_000, **kw
                )
                return out.reg_cost, out.num_iterations, out.converged

            return run

        def extra(o):
            return {"iterations": int(o[1]), "converged": bool(o[2])}

        def agree(g, o):
            return {"ok": _rel(g[0], o[0]) <= 1e-4, "reg_cost_rel_err": _rel(g[0], o[0])}

        impls = [Impl("gmath", solver(), (x, y), role="gmath", extra=extra, output=lambda o: o[0])]
        for name, kw in (
            ("relaxation 1.7", {"relaxation": 1.7}),
            ("gaussian init", {"init": "gaussian"}),
            ("gaussian init + relaxation 1.7", {"init": "gaussian", "relaxation": 1.7}),
        ):
            impls.append(Impl(name, solver(**kw), (x, y), role="variant", extra=extra, check=agree))
        return impls

    return Case(
        SUITE,
        "sinkhorn_acceleration",
        n,
        build,
        title=f"Sinkhorn acceleration, n x n, d={d}, eps={epsilon}, marginal error 1e-5 ({dtype})",
        params={"d": d, "epsilon": epsilon},
        dtype=dtype,
        rtol=1e-4,
    )


def _gw_case(n: int, dtype: str) -> Case:
    """Entropic Gromov-Wasserstein (square loss) between n points uniform in [0, 1]^3 and n
    points uniform in [0, 1]^2 (spaces of different dimensions), squared Euclidean costs within
    each, epsilon absolute, both solvers iterating from the independent coupling to a plan
    change of 1e-9."""

    def build():
        import jax
        import numpy as np

        gromov_wasserstein = require("gmath.divergences", "gromov_wasserstein")
        k1, k2 = jax.random.split(jax.random.key(40))
        x = jax.random.uniform(k1, (n, 3), dtype=dtype)
        y = jax.random.uniform(k2, (n, 2), dtype=dtype)
        eps = 0.01
        tol = 1e-9 if dtype == "float64" else 1e-5

        def ours(x, y):
            out = gromov_wasserstein(x, y, epsilon=eps, tolerance=tol)
            return out.cost, out.converged, out.num_iterations, out.sinkhorn_iterations

        impls = [
            Impl(
                "gmath",
                ours,
                (x, y),
                role="gmath",
                output=lambda o: o[0],
                extra=lambda o: {
                    "converged": bool(o[1]),
                    "outer_iterations": int(o[2]),
                    "sinkhorn_iterations": int(o[3]),
                },
            )
        ]
        xn, yn = np.asarray(x, np.float64), np.asarray(y, np.float64)
        c1 = np.sum((xn[:, None] - xn[None]) ** 2, -1)
        c2 = np.sum((yn[:, None] - yn[None]) ** 2, -1)
        a = np.full(n, 1.0 / n)
        try:
            ot = require("ot")

            def pot(c1, c2):
                return ot.gromov.entropic_gromov_wasserstein2(
                    c1, c2, a, a, "square_loss", epsilon=eps, tol=tol
                )

            impls.append(
                Impl(
                    "pot",
                    pot,
                    (c1, c2),
                    kind="python",
                    max_repeats=3,
                    note="ot.gromov.entropic_gromov_wasserstein2, float64 numpy (dense n^3 "
                    "products per iteration)",
                )
            )
        except Unavailable as e:
            impls.append(Impl("pot", skip=str(e)))
        try:
            pointcloud = require("ott.geometry.pointcloud")
            quadratic_problem = require("ott.problems.quadratic.quadratic_problem")
            ott_gw = require("ott.solvers.quadratic.gromov_wasserstein")
            ott_sinkhorn = require("ott.solvers.linear.sinkhorn")

            def ott(x, y):
                prob = quadratic_problem.QuadraticProblem(
                    pointcloud.PointCloud(x), pointcloud.PointCloud(y)
                )
                solver = ott_gw.GromovWasserstein(
                    ott_sinkhorn.Sinkhorn(threshold=tol), epsilon=eps, threshold=tol,
                    max_iterations=1000,
                )  # fmt: skip
                return solver(prob).matrix

            def objective(p):
                """The square-loss GW objective of a plan (outside the timed call)."""
                p = np.asarray(p, np.float64)
                r, c = p.sum(1), p.sum(0)
                lin = (c1**2 @ r)[:, None] + (c2**2 @ c)[None, :] - 2 * c1 @ p @ c2.T
                return float(np.sum(lin * p))

            impls.append(
                Impl(
                    "ott",
                    ott,
                    (x, y),
                    check=lambda ours, theirs: {
                        "ok": True,
                        "objective_rel_diff": _rel(ours[0], objective(theirs)),
                    },
                    note="ott.solvers.quadratic.GromovWasserstein (the case's tolerance as the "
                    "threshold of both loops); OTT linearises with its own scaling of epsilon and stops on its own "
                    "criterion, so its plan is another stationary point: the objective's "
                    "relative difference is reported, not checked",
                )
            )
        except Unavailable as e:
            impls.append(Impl("ott", skip=str(e)))
        return impls

    return Case(
        SUITE,
        "gromov_wasserstein",
        n,
        build,
        title=f"entropic Gromov-Wasserstein, n x n, d = 3 against d = 2, eps = 0.01 ({dtype})",
        params={"d_x": 3, "d_y": 2, "epsilon": 0.01},
        dtype=dtype,
        # float32: the inner solves stop at a marginal error of 1e-4 (Sinkhorn's float32
        # default), which moves the objective by about that much relative to float64 POT
        rtol=1e-3 if dtype == "float32" else 1e-6,
    )


def cases(mode: str, dtype: str) -> list[Case]:
    out: list[Case] = []
    for n in pick(mode, [64], [300, 1000], [10**3, 10**4, 10**5]):
        out.append(_sinkhorn_case(n, dtype, mode))
    for cost in ("l1", "cosine"):
        for n in pick(mode, [64], [1000], [10**3, 10**4]):
            out.append(_sinkhorn_case(n, dtype, mode, cost))
    for n in pick(mode, [64], [1000, 3000], [10**3, 10**4, 10**5]):
        out.append(_mmd_case(n, 16, dtype))
    for n in pick(mode, [32], [64, 256], [64, 256]):
        out.append(_exact_case(n, 16, dtype))
    for n in pick(mode, [64], [1000], [1000, 10**4]):
        out.append(_acceleration_case(n, dtype))
    for n in pick(mode, [32], [500], [500, 2000]):
        out.append(_gw_case(n, dtype))
    return out
