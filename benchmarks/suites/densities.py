"""Densities: ``log_prob`` throughput beside jax.scipy.stats, numpyro, scipy.stats and the
same-size elementwise pass (the memory-bandwidth roofline).

Workloads (issue 2 item 10):

- ``normal_log_prob``: Normal, float32 (the run's dtype), n up to 10^7 (quick) / 10^8 (full).
  Target: within 1.5x of the same-size ``x*2+1`` pass.
- ``normal_log_prob_f64``: Normal in float64 beside scipy.stats (CPU, numpy arrays).
- ``mvn_log_prob``: MultivariateNormal with a full ``scale_tril``, d = 64, n = 10^5.
- ``mixture_log_prob``: a 16-component mixture of Normals (``MixtureSameFamily``), n = 10^6.
"""

from __future__ import annotations

from benchmarks.harness import Case, Impl, Unavailable, require
from benchmarks.suites._common import itemsize, pick, same_size_pass

SUITE = "densities"


def _key(i: int = 0):
    import jax

    return jax.random.key(i)


def _normal_case(n: int, dtype: str) -> Case:
    def build():
        import jax
        import jax.numpy as jnp

        Normal = require("gmath.densities", "Normal")
        x = jax.random.normal(_key(0), (n,), dtype=dtype) * 2.0 + 0.5
        loc = jnp.asarray(0.3, dtype)
        scale = jnp.asarray(1.7, dtype)
        impls = [
            Impl("gmath", lambda x, m, s: Normal(m, s).log_prob(x), (x, loc, scale), role="gmath"),
            Impl("jax.scipy", jax.scipy.stats.norm.logpdf, (x, loc, scale)),
        ]
        try:
            nd = require("numpyro.distributions")
            impls.append(
                Impl("numpyro", lambda x, m, s: nd.Normal(m, s).log_prob(x), (x, loc, scale))
            )
        except Unavailable as e:
            impls.append(Impl("numpyro", skip=str(e)))
        impls.append(same_size_pass(x))
        return impls

    return Case(
        SUITE,
        "normal_log_prob",
        n,
        build,
        title=f"Normal log_prob ({dtype})",
        dtype=dtype,
        work={"bytes": 2 * n * itemsize(dtype)},
        items=n,
        items_label="points",
        rtol=1e-5 if dtype == "float32" else 1e-12,
        atol=1e-5 if dtype == "float32" else 1e-12,
    )


def _normal_f64_case(n: int) -> Case:
    def build():
        import jax
        import jax.numpy as jnp
        import numpy as np

        Normal = require("gmath.densities", "Normal")
        x = jax.random.normal(_key(1), (n,), dtype="float64") * 2.0 + 0.5
        loc, scale = jnp.asarray(0.3, "float64"), jnp.asarray(1.7, "float64")
        impls = [
            Impl("gmath", lambda x, m, s: Normal(m, s).log_prob(x), (x, loc, scale), role="gmath"),
            Impl("jax.scipy", jax.scipy.stats.norm.logpdf, (x, loc, scale)),
        ]
        try:
            st = require("scipy.stats")
            xn = np.asarray(x)
            impls.append(
                Impl(
                    "scipy",
                    lambda x: st.norm.logpdf(x, 0.3, 1.7),
                    (xn,),
                    kind="python",
                    note="numpy input on the host",
                )
            )
        except Unavailable as e:
            impls.append(Impl("scipy", skip=str(e)))
        impls.append(same_size_pass(x))
        return impls

    return Case(
        SUITE,
        "normal_log_prob_f64",
        n,
        build,
        title="Normal log_prob (float64) beside scipy.stats",
        dtype="float64",
        work={"bytes": 2 * n * 8},
        items=n,
        items_label="points",
        rtol=1e-12,
        atol=1e-12,
    )


def _tril(key, d: int, batch=(), dtype="float32"):
    """A well-conditioned lower-triangular scale: I + 0.1 * strictly-lower noise, diag in [0.5, 1.5]."""
    import jax
    import jax.numpy as jnp

    k1, k2 = jax.random.split(key)
    noise = jax.random.normal(k1, (*batch, d, d), dtype=dtype) * (0.3 / d**0.5)
    diag = jax.random.uniform(k2, (*batch, d), dtype=dtype, minval=0.5, maxval=1.5)
    return jnp.tril(noise, -1) + diag[..., :, None] * jnp.eye(d, dtype=dtype)


def _mvn_case(n: int, d: int, dtype: str) -> Case:
    def build():
        import jax

        MVN = require("gmath.densities", "MultivariateNormal")
        k1, k2, k3 = jax.random.split(_key(2), 3)
        loc = jax.random.normal(k1, (d,), dtype=dtype)
        L = _tril(k2, d, dtype=dtype)
        x = loc + jax.random.normal(k3, (n, d), dtype=dtype) @ L.T
        impls = [
            Impl(
                "gmath",
                lambda x, m, L: MVN(m, scale_tril=L).log_prob(x),
                (x, loc, L),
                role="gmath",
            )
        ]
        try:
            nd = require("numpyro.distributions")
            impls.append(
                Impl(
                    "numpyro",
                    lambda x, m, L: nd.MultivariateNormal(m, scale_tril=L).log_prob(x),
                    (x, loc, L),
                )
            )
        except Unavailable as e:
            impls.append(Impl("numpyro", skip=str(e)))
        impls.append(same_size_pass(x))
        return impls

    return Case(
        SUITE,
        "mvn_log_prob",
        n,
        build,
        title=f"MultivariateNormal log_prob, full scale_tril, d={d} ({dtype})",
        params={"d": d},
        dtype=dtype,
        work={"bytes": (n * d + n) * itemsize(dtype), "flops": n * d * d},
        items=n,
        items_label="points",
        rtol=1e-4 if dtype == "float32" else 1e-10,
        atol=1e-3 if dtype == "float32" else 1e-10,
    )


def _mixture_case(n: int, k: int, dtype: str) -> Case:
    def build():
        import jax

        Normal, Mixture = require("gmath.densities", "Normal", "MixtureSameFamily")
        k1, k2, k3, k4 = jax.random.split(_key(3), 4)
        logits = jax.random.normal(k1, (k,), dtype=dtype)
        loc = jax.random.normal(k2, (k,), dtype=dtype) * 3.0
        scale = jax.random.uniform(k3, (k,), dtype=dtype, minval=0.5, maxval=2.0)
        x = jax.random.normal(k4, (n,), dtype=dtype) * 3.0

        def ours(x, w, m, s):
            return Mixture(mixture_logits=w, components=Normal(m, s)).log_prob(x)

        def by_hand(x, w, m, s):
            lp = jax.scipy.stats.norm.logpdf(x[:, None], m, s)
            return jax.nn.logsumexp(lp + jax.nn.log_softmax(w), axis=-1)

        impls = [Impl("gmath", ours, (x, logits, loc, scale), role="gmath")]
        try:
            nd = require("numpyro.distributions")

            def npy(x, w, m, s):
                mix = nd.MixtureSameFamily(nd.Categorical(logits=w), nd.Normal(m, s))
                return mix.log_prob(x)

            impls.append(Impl("numpyro", npy, (x, logits, loc, scale)))
        except Unavailable as e:
            impls.append(Impl("numpyro", skip=str(e)))
        impls.append(
            Impl(
                "jax (by hand)",
                by_hand,
                (x, logits, loc, scale),
                note="logsumexp of jax.scipy.stats.norm.logpdf + log_softmax",
            )
        )
        impls.append(same_size_pass(x))
        return impls

    return Case(
        SUITE,
        "mixture_log_prob",
        n,
        build,
        title=f"MixtureSameFamily of {k} Normals, log_prob ({dtype})",
        params={"components": k},
        dtype=dtype,
        work={"bytes": 2 * n * itemsize(dtype), "exps": n * k},
        items=n,
        items_label="points",
        rtol=1e-5 if dtype == "float32" else 1e-11,
        atol=1e-5 if dtype == "float32" else 1e-11,
    )


def cases(mode: str, dtype: str) -> list[Case]:
    out: list[Case] = []
    for n in pick(mode, [10**4], [10**6, 10**7], [10**5, 10**6, 10**7, 10**8]):
        out.append(_normal_case(n, dtype))
    for n in pick(mode, [10**4], [10**6], [10**6, 10**7]):
        out.append(_normal_f64_case(n))
    for n in pick(mode, [10**3], [10**5], [10**4, 10**5, 10**6]):
        out.append(_mvn_case(n, 64 if mode != "smoke" else 8, dtype))
    for n in pick(mode, [10**3], [10**6], [10**5, 10**6, 10**7]):
        out.append(_mixture_case(n, 16, dtype))
    return out
