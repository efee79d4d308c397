"""Scores: divergence methods against d, sampler steps per second, MALA beside blackjax.

- ``divergence``: the divergence of a score-like vector field
  ``f(x) = -x + W2 tanh(W1 x + b) / 2`` (an MLP of width d), at a batch of 16 points, against d: gmath's exact method
  (d Jacobian-vector products of one linearisation) beside the full Jacobian a user would form
  (``trace(jacfwd(f)(x))``), with the Hutchinson (8 Rademacher probes) and Hutch++ (9 probes)
  estimates timed beside them; their relative RMS error against the exact value is reported, with
  the RMS of error / reported stderr (the check passes when their mean error over the batch is
  consistent with zero: unbiased). For comparison at equal error, each estimator's time for 1%
  relative RMS error is derived from its measured error by the Monte Carlo 1/sqrt(n) scaling
  (``time_for_1pct_s``; conservative for Hutch++).
- ``samplers``: steps per second of the probability-flow ODE (Euler, Heun), the reverse SDE and DDIM
  on a small MLP score (2 -> 64 -> 64 -> 2, batch 512, VP-linear schedule, 100 steps), beside a
  hand-written Euler loop of the probability-flow ODE on the same time grid (agreement checked).
- ``mala``: MALA steps per second on a d = 100 Gaussian target (scales from 0.5 to 2), beside
  blackjax's ``mala`` at the same step size, both in ``lax.scan``; the acceptance rates must agree.
"""

from __future__ import annotations

import math

from benchmarks.harness import Case, Impl, Unavailable, require
from benchmarks.suites._common import pick

SUITE = "scores"


def _mlp_field(d: int, dtype: str):
    import jax
    import jax.numpy as jnp

    k1, k2, k3 = jax.random.split(jax.random.key(50 + d), 3)
    W1 = jax.random.normal(k1, (d, d), dtype=dtype) / math.sqrt(d)
    W2 = jax.random.normal(k2, (d, d), dtype=dtype) / math.sqrt(d)
    b = jax.random.normal(k3, (d,), dtype=dtype) * 0.1

    def f(x):  # score-like: a Gaussian score plus an MLP correction
        return -x + 0.5 * (W2 @ jnp.tanh(W1 @ x + b))

    return f


def _divergence_case(d: int, batch: int, dtype: str) -> Case:
    probes = 8

    def build():
        import jax
        import jax.numpy as jnp
        import numpy as np

        trace, estimate = require("gmath.scores", "jacobian_trace", "jacobian_trace_estimate")
        f = _mlp_field(d, dtype)
        X = jax.random.normal(jax.random.key(60), (batch, d), dtype=dtype)
        keys = jax.random.split(jax.random.key(61), batch)

        def stochastic(method, k):
            def run(X, keys):
                est = jax.vmap(lambda x, key: estimate(key, f, x, method=method, num_probes=k))(
                    X, keys
                )
                return est.value, est.stderr

            return run

        def consistent(g, o):
            """Unbiased within the batch's own scatter: |mean error| <= 4 sd / sqrt(batch)."""
            exact = np.asarray(g, np.float64)
            value, stderr = (np.asarray(v, np.float64) for v in o)
            err = value - exact
            bound = 4.0 * np.std(err, ddof=1) / np.sqrt(err.size) + 1e-6 * np.abs(exact).mean()
            z = err / np.maximum(stderr, 1e-30)
            return {
                "ok": abs(float(err.mean())) <= bound,
                "mean_err": float(err.mean()),
                "rms_rel_err": float(np.sqrt(np.mean(err**2) / np.mean(exact**2))),
                "rms_z": float(np.sqrt(np.mean(z**2))),
            }

        return [
            Impl("gmath exact", jax.vmap(lambda x: trace(f, x)), (X,), role="gmath"),
            Impl(
                "jacfwd + trace",
                jax.vmap(lambda x: jnp.trace(jax.jacfwd(f)(x))),
                (X,),
                note="the full d x d Jacobian, then its trace",
            ),
            Impl(
                f"gmath hutchinson ({probes} probes)",
                stochastic("hutchinson", probes),
                (X, keys),
                role="variant",
                check=consistent,
            ),
            Impl(
                f"gmath hutch++ ({probes + 1} probes)",
                stochastic("hutch++", probes + 1),
                (X, keys),
                role="variant",
                check=consistent,
            ),
        ]

    def post(rec):
        """Time each estimator needs for 1% relative RMS error, by the Monte Carlo 1/sqrt(n)
        scaling of its measured error (conservative for Hutch++, whose error can fall as 1/n)."""
        for r in rec["impls"].values():
            agr = r.get("agreement") or {}
            err = agr.get("rms_rel_err")
            if r.get("role") != "variant" or not err or not r.get("median_s"):
                continue
            factor = (err / 0.01) ** 2
            r.setdefault("extra", {}).update(
                {"time_for_1pct_s": r["median_s"] * factor, "probe_factor_for_1pct": factor}
            )

    return Case(
        SUITE,
        "divergence",
        d,
        build,
        title=f"divergence of an MLP field, batch {batch}: exact vs estimators ({dtype})",
        size_label="d",
        params={"batch": batch, "probes": probes},
        dtype=dtype,
        items=batch,
        items_label="points",
        rtol=1e-4 if dtype == "float32" else 1e-10,
        atol=1e-4 if dtype == "float32" else 1e-10,
        post=post,
    )


def _mlp_score(dtype: str, width: int = 64):
    import jax
    import jax.numpy as jnp

    ks = jax.random.split(jax.random.key(70), 4)
    W1 = jax.random.normal(ks[0], (3, width), dtype=dtype) / math.sqrt(3)
    W2 = jax.random.normal(ks[1], (width, width), dtype=dtype) / math.sqrt(width)
    W3 = jax.random.normal(ks[2], (width, 2), dtype=dtype) / math.sqrt(width)

    def score(x, t):  # x: [batch, 2]; t: [batch] (gmath's model convention) or a scalar
        t_col = jnp.broadcast_to(jnp.reshape(jnp.asarray(t, x.dtype), (-1, 1)), x.shape[:-1] + (1,))
        h = jnp.tanh(jnp.concatenate([x, t_col], -1) @ W1)
        h = jnp.tanh(h @ W2)
        return h @ W3 - x

    return score


def _sampler_case(steps: int, batch: int, dtype: str) -> Case:
    def build():
        import jax

        gs = require("gmath.scores")
        pf, sde, ddim, vp, grid = require(
            "gmath.scores",
            "probability_flow_sample",
            "reverse_sde_sample",
            "ddim_sample",
            "vp_linear",
            "time_grid",
        )
        del gs
        schedule = vp()
        times = grid(schedule, steps, dtype=dtype)
        score = _mlp_score(dtype)
        x0 = jax.random.normal(jax.random.key(71), (batch, 2), dtype=dtype)
        key = jax.random.key(72)

        def by_hand(x, times):
            def body(x, tt):
                t, s = tt
                drift = schedule.drift(t) * x - 0.5 * schedule.diffusion_squared(t) * score(x, t)
                return x + (s - t) * drift, None

            x, _ = jax.lax.scan(body, x, (times[:-1], times[1:]))
            return x

        return [
            Impl(
                "gmath pf-ode euler",
                lambda x, ts: pf(score, x, schedule=schedule, times=ts, method="euler"),
                (x0, times),
                role="gmath",
            ),
            Impl(
                "hand-written euler",
                by_hand,
                (x0, times),
                note="lax.scan of x += h (f(t) x - g(t)^2 s(x, t) / 2), same grid",
            ),
            Impl(
                "gmath pf-ode heun",
                lambda x, ts: pf(score, x, schedule=schedule, times=ts, method="heun"),
                (x0, times),
                role="variant",
                note="two score evaluations per step",
            ),
            Impl(
                "gmath reverse sde",
                lambda x, ts: sde(key, score, x, schedule=schedule, times=ts),
                (x0, times),
                role="variant",
            ),
            Impl(
                "gmath ddim",
                lambda x, ts: ddim(score, x, schedule=schedule, times=ts),
                (x0, times),
                role="variant",
            ),
        ]

    return Case(
        SUITE,
        "samplers",
        steps,
        build,
        title=f"sampler steps per second, MLP score, batch {batch}, VP-linear ({dtype})",
        size_label="steps",
        params={"batch": batch},
        dtype=dtype,
        items=steps,
        items_label="steps",
        rtol=1e-3 if dtype == "float32" else 1e-9,
        atol=1e-4 if dtype == "float32" else 1e-10,
    )


def _mala_case(d: int, steps: int, dtype: str) -> Case:
    step_size = 0.05

    def build():
        import jax
        import jax.numpy as jnp
        import numpy as np

        scales = jnp.linspace(0.5, 2.0, d, dtype=dtype)

        def logdensity(x):
            return -0.5 * jnp.sum((x / scales) ** 2)

        x0 = jnp.zeros(d, dtype)
        key = jax.random.key(80)
        mala = require("gmath.scores", "mala")

        def ours(x0, key):
            init, step = mala(logdensity, step_size=step_size)

            def body(state, k):
                state, info = step(k, state)
                return state, info.acceptance_probability

            _, acc = jax.lax.scan(body, init(x0), jax.random.split(key, steps))
            return jnp.mean(acc)

        impls = [Impl("gmath", ours, (x0, key), role="gmath")]
        try:
            blackjax = require("blackjax")

            def bj(x0, key):
                kern = blackjax.mala(logdensity, step_size)

                def body(state, k):
                    state, info = kern.step(k, state)
                    return state, info.acceptance_rate

                _, acc = jax.lax.scan(body, kern.init(x0), jax.random.split(key, steps))
                return jnp.mean(acc)

            impls.append(
                Impl(
                    "blackjax",
                    bj,
                    (x0, key),
                    check=lambda g, o: {
                        "ok": abs(float(g) - float(o)) < 0.05,
                        "acceptance_gmath": float(g),
                        "acceptance_blackjax": float(o),
                    },
                )
            )
        except Unavailable as e:
            impls.append(Impl("blackjax", skip=str(e)))
        del np
        return impls

    return Case(
        SUITE,
        "mala",
        d,
        build,
        title=f"MALA steps per second, Gaussian target, step size {step_size}, {steps} steps ({dtype})",
        size_label="d",
        params={"steps": steps, "step_size": step_size},
        dtype=dtype,
        items=steps,
        items_label="steps",
    )


def cases(mode: str, dtype: str) -> list[Case]:
    out: list[Case] = []
    for d in pick(mode, [4], [16, 128], [16, 64, 256, 1024]):
        out.append(_divergence_case(d, 16, dtype))
    for steps in pick(mode, [4], [100], [100, 1000]):
        out.append(_sampler_case(steps, pick(mode, 8, 512, 4096), dtype))
    for d in pick(mode, [4], [100], [10, 100, 1000]):
        out.append(_mala_case(d, pick(mode, 10, 2000, 10_000), dtype))
    return out
