"""Games: batched matrix games beside scipy's linear programming and nashpy, and solver steps per
second.

- ``matrix_games``: a batch of 10^4 random 20x20 zero-sum games (entries standard normal), solved by
  ``jax.vmap(solve_matrix_game)`` to a certified duality gap of 1e-6; games per second beside
  ``scipy.optimize.linprog`` (HiGHS) solving the equivalent LP one game at a time. nashpy's support
  enumeration and Lemke–Howson find no equilibrium of a 20x20 game in reasonable time
  (measured on this project's CI machine), so nashpy runs on the 5x5 case only (vertex enumeration and Lemke–Howson; its
  support enumeration returns no equilibrium at all on these random games). Agreement: the game values of the games both
  solved, to 1e-5.
- ``matrix_games_5x5``: the same at 5x5, where nashpy's support enumeration can take part.
- Both run in float64 whatever ``--dtype`` says: a gap of 1e-6 is at float32's rounding floor for
  these games (evaluating ``A y`` with 20 terms of size ~1 costs ~1e-6), and the float32 simplex
  certifies it for only about 94% of the games, against 100% (gaps ~1e-14) in float64.
- ``solver_rate``: steps each solver takes to reach a gradient norm of 1e-5 on that game, beside
  the count predicted from ``linearized_rate`` (log(tol / |g0|) / log(rate)).
- ``solver_steps``: steps per second of each solver on a bilinear-plus-quadratic zero-sum game
  ``f(x, y) = x^T A y + 0.05 (|x|^2 - |y|^2)`` with x, y in R^d, d = 64, 1000 steps in
  ``gmath.games.solve``; beside a hand-written ``lax.scan`` of simultaneous gradient descent-ascent
  (what a user writes without a library) and the same loop with ``optax.sgd`` for each player.
  The solvers run with ``record="none"`` (no trace, divergence checked once per block of 32
  steps), like the hand-written loops, which record nothing either; ``gmath gda (record="full")``
  is the default, which records the gradient norm and checks for divergence at every step.
"""

from __future__ import annotations

import math

from benchmarks.harness import Case, Impl, Unavailable, require
from benchmarks.suites._common import pick

SUITE = "games"
TOL = 1e-6


def _games(batch: int, size: int, dtype: str):
    import jax

    return jax.random.normal(jax.random.key(30 + size), (batch, size, size), dtype=dtype)


def _lp_value(A):
    """min_x max_y x^T A y as an LP: minimise v s.t. A^T x <= v, sum x = 1, x >= 0."""
    import numpy as np
    from scipy.optimize import linprog

    m, n = A.shape
    c = np.zeros(m + 1)
    c[-1] = 1.0
    A_ub = np.hstack([A.T, -np.ones((n, 1))])
    b_ub = np.zeros(n)
    A_eq = np.hstack([np.ones((1, m)), np.zeros((1, 1))])
    res = linprog(
        c,
        A_ub=A_ub,
        b_ub=b_ub,
        A_eq=A_eq,
        b_eq=[1.0],
        bounds=[(0, None)] * m + [(None, None)],
        method="highs",
    )
    return res.x[-1]


def _nashpy_value(nash, A, method: str):
    # nashpy's row player maximises its payoff; ours minimises x^T A y: payoffs (-A, A).
    game = nash.Game(-A, A)
    if method == "lemke_howson":
        x, y = game.lemke_howson(initial_dropped_label=0)
    else:
        x, y = next(getattr(game, method)())
    return float(x @ A @ y)


def _matrix_case(batch: int, size: int, dtype: str, mode: str, with_nashpy: bool) -> Case:
    n_lp = pick(mode, 3, 20 if size >= 20 else 50, 100)
    n_nash = pick(mode, 1, 3, 10)

    def build():
        import jax
        import numpy as np

        solve = require("gmath.games", "solve_matrix_game")
        As = _games(batch, size, dtype)
        batched = jax.vmap(lambda A: solve(A, tolerance=TOL))

        def ours(As):
            sol = batched(As)
            return sol.value, sol.gap, sol.converged, sol.num_iterations

        def extra(o):
            return {
                "converged_fraction": float(np.mean(np.asarray(o[2]))),
                "max_gap": float(np.max(np.asarray(o[1]))),
                "max_iterations": int(np.max(np.asarray(o[3]))),
            }

        impls = [
            Impl(
                "gmath",
                ours,
                (As,),
                role="gmath",
                extra=extra,
                items=batch,
                max_repeats=pick(mode, 1, 3, 5),
                note="jax.vmap over the batch: the while_loop runs until the slowest game converges",
            )
        ]
        An = np.asarray(As, np.float64)

        def agree(k):
            def check(g, o):
                err = float(np.max(np.abs(np.asarray(g[0][:k], np.float64) - np.asarray(o))))
                return {"ok": err <= 1e-5 + 2 * TOL, "max_abs_value_err": err, "games": k}

            return check

        try:
            require("scipy.optimize", "linprog")
            impls.append(
                Impl(
                    "scipy linprog",
                    lambda An: np.array([_lp_value(a) for a in An]),
                    (An[:n_lp],),
                    kind="python",
                    items=n_lp,
                    check=agree(n_lp),
                    note=f"HiGHS, one game at a time ({n_lp} games timed)",
                    max_repeats=5,
                )
            )
        except Unavailable as e:
            impls.append(Impl("scipy linprog", skip=str(e)))
        if with_nashpy:
            try:
                nash = require("nashpy")
                for method in ("vertex_enumeration", "lemke_howson"):
                    impls.append(
                        Impl(
                            f"nashpy {method.replace('_', ' ')}",
                            lambda An, method=method: np.array(
                                [_nashpy_value(nash, a, method) for a in An]
                            ),
                            (An[:n_nash],),
                            kind="python",
                            items=n_nash,
                            check=agree(n_nash),
                            note=f"first equilibrium found, {n_nash} games timed (support "
                            "enumeration finds none on these games: a nashpy bug)",
                            max_repeats=3,
                        )
                    )
            except Unavailable as e:
                impls.append(Impl("nashpy", skip=str(e)))
        else:
            impls.append(
                Impl(
                    "nashpy",
                    skip=(
                        "support enumeration / Lemke-Howson found no equilibrium of 20x20 games "
                        "within 5 s; see the 5x5 case"
                    ),
                )
            )
        return impls

    return Case(
        SUITE,
        "matrix_games" if size == 20 else f"matrix_games_{size}x{size}",
        batch,
        build,
        title=f"{size}x{size} zero-sum matrix games to duality gap {TOL:g}, batched ({dtype})",
        size_label="batch",
        params={"size": size, "tol": TOL},
        dtype=dtype,
        items=batch,
        items_label="games",
    )


def _bilinear(d: int, dtype: str):
    import jax

    A = jax.random.normal(jax.random.key(40), (d, d), dtype=dtype) / d**0.5

    def f(x, y):
        return x @ A @ y + 0.05 * (x @ x - y @ y)

    return A, f


SOLVERS = ("gda", "extragradient", "optimistic_gda", "consensus", "sga", "cgd")


def _solver_case(d: int, steps: int, dtype: str) -> Case:
    def build():
        import jax
        import jax.numpy as jnp

        gg = require("gmath.games")
        ZeroSumGame, solve = require("gmath.games", "ZeroSumGame", "solve")
        A, f = _bilinear(d, dtype)
        x0 = jnp.ones(d, dtype) / d**0.5
        y0 = -jnp.ones(d, dtype) / d**0.5
        lr = 0.05
        game = ZeroSumGame(f)

        def run(make, record="none"):
            solver = make(learning_rate=lr)

            def go(x0, y0):
                state, _ = solve(game, solver, (x0, y0), num_steps=steps, record=record)
                return state.x, state.y

            return go

        impls = []
        for i, name in enumerate(SOLVERS):
            make = getattr(gg, name, None)
            label = f"gmath {name}"
            if make is None:
                impls.append(
                    Impl(
                        label,
                        role="gmath" if i == 0 else "variant",
                        skip=f"gmath.games.{name} not available",
                    )
                )
                continue
            impls.append(Impl(label, run(make), (x0, y0), role="gmath" if i == 0 else "variant"))
            if i == 0:
                impls.append(
                    Impl(
                        f'{label} (record="full")',
                        run(make, "full"),
                        (x0, y0),
                        role="variant",
                        note="the default: gradient norm recorded, divergence checked every step",
                    )
                )

        def by_hand(x, y):
            gx = jax.grad(f, 0)
            gy = jax.grad(f, 1)

            def body(c, _):
                x, y = c
                return (x - lr * gx(x, y), y + lr * gy(x, y)), None

            (x, y), _ = jax.lax.scan(body, (x, y), None, length=steps)
            return x, y

        try:
            optax = require("optax")
            opt = optax.sgd(lr)

            def with_optax(x, y):
                gx = jax.grad(f, 0)
                gy = jax.grad(f, 1)

                def body(c, _):
                    x, y, sx, sy = c
                    ux, sx = opt.update(gx(x, y), sx)
                    uy, sy = opt.update(-gy(x, y), sy)  # the max player descends on -f
                    return (optax.apply_updates(x, ux), optax.apply_updates(y, uy), sx, sy), None

                (x, y, _, _), _ = jax.lax.scan(
                    body, (x, y, opt.init(x), opt.init(y)), None, length=steps
                )
                return x, y

            impls.append(
                Impl(
                    "optax sgd (lax.scan)",
                    with_optax,
                    (x0, y0),
                    note="optax.sgd for each player, simultaneous: same iterates as gmath gda",
                    rtol=1e-4,
                    atol=1e-5,
                )
            )
        except Unavailable as e:
            impls.append(Impl("optax sgd (lax.scan)", skip=str(e)))
        impls.append(
            Impl(
                "hand-written gda (lax.scan)",
                by_hand,
                (x0, y0),
                note="simultaneous GDA with jax.grad in a lax.scan: same iterates as gmath gda",
                rtol=1e-4,
                atol=1e-5,
            )
        )
        return impls

    return Case(
        SUITE,
        "solver_steps",
        d,
        build,
        title=f"solver steps per second, bilinear+quadratic game, {steps} steps ({dtype})",
        size_label="d",
        params={"steps": steps, "learning_rate": 0.05},
        dtype=dtype,
        items=steps,
        items_label="steps",
        rtol=1e-4 if dtype == "float32" else 1e-10,
        atol=1e-5 if dtype == "float32" else 1e-12,
    )


def _rate_case(d: int, dtype: str) -> Case:
    """Steps to reach a gradient norm of 1e-5 beside the count the linear rate predicts."""
    tol, lr, max_steps = 1e-5, 0.05, 20_000

    def build():
        import jax.numpy as jnp
        import numpy as np

        gg = require("gmath.games")
        ZeroSumGame, solve, rate_of = require(
            "gmath.games", "ZeroSumGame", "solve", "linearized_rate"
        )
        _, f = _bilinear(d, dtype)
        game = ZeroSumGame(f)
        x0 = jnp.ones(d, dtype) / d**0.5
        y0 = -jnp.ones(d, dtype) / d**0.5
        zero = (jnp.zeros(d, dtype), jnp.zeros(d, dtype))
        impls = []
        for i, name in enumerate(SOLVERS):
            role = "gmath" if i == 0 else "variant"
            make = getattr(gg, name, None)
            if make is None:
                impls.append(Impl(f"gmath {name}", role=role, skip="not available"))
                continue
            solver = make(learning_rate=lr)
            try:
                rho = float(rate_of(solver, game, zero))
            except Exception as e:
                impls.append(Impl(f"gmath {name}", role=role, skip=f"linearized_rate: {e}"))
                continue

            def go(x0, y0, solver=solver):
                _, trace = solve(game, solver, (x0, y0), num_steps=max_steps, tolerance=tol)
                return trace.num_iterations, trace.converged, trace.diverged, trace.grad_norm[0]

            def extra(o, rho=rho):
                steps, conv, div, g0 = (np.asarray(v) for v in o)
                pred = math.log(tol / float(g0)) / math.log(rho) if 0 < rho < 1 else float("inf")
                return {
                    "rate": rho,
                    "predicted_steps": round(pred, 1) if math.isfinite(pred) else "never",
                    "steps": int(steps),
                    "converged": bool(conv),
                    "diverged": bool(div),
                }

            impls.append(Impl(f"gmath {name}", go, (x0, y0), role=role, extra=extra))
        return impls

    return Case(
        SUITE,
        "solver_rate",
        d,
        build,
        title=(
            f"steps to gradient norm 1e-5 against the linear-rate prediction, lr {lr} ({dtype})"
        ),
        size_label="d",
        params={"tol": tol, "learning_rate": lr, "max_steps": max_steps},
        dtype=dtype,
    )


def cases(mode: str, dtype: str) -> list[Case]:
    out: list[Case] = []
    for b in pick(mode, [8], [10**4], [10**3, 10**4]):
        out.append(_matrix_case(b, 20, "float64", mode, with_nashpy=False))
    out.append(_matrix_case(pick(mode, 8, 64, 10**4), 5, "float64", mode, with_nashpy=True))
    for d in pick(mode, [4], [64], [16, 256, 1024]):
        out.append(_solver_case(d, pick(mode, 20, 1000, 1000), dtype))
    out.append(_rate_case(pick(mode, 4, 16, 64), dtype))
    return out
