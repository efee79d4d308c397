"""Densities: ``log_prob`` throughput beside jax.scipy.stats, numpyro, scipy.stats and the
same-size elementwise pass (the memory-bandwidth roofline).

Workloads:

- ``normal_log_prob``: Normal, float32 (the run's dtype), n up to 10^7 (quick) / 10^8 (full).
  Target: within 1.5x of the same-size ``x*2+1`` pass.
- ``normal_log_prob_f64``: Normal in float64 beside scipy.stats (CPU, numpy arrays).
- ``mvn_log_prob``: MultivariateNormal with a full ``scale_tril``, d = 64, n = 10^5.
- ``mixture_log_prob``: a 16-component mixture of Normals (``MixtureSameFamily``), n = 10^6.
- ``log_prob_<family>``: every family with a numpyro counterpart, beside numpyro with the same
  parameters (target: no density family slower than numpyro's equivalent), in the run's dtype,
  on n = 10^6 values (quick) / 10^6, 10^7, 10^8 (full): Normal, LogNormal, HalfNormal, Cauchy,
  Laplace, Logistic, Gumbel, StudentT, Exponential, Gamma, Beta, Uniform, TruncatedNormal,
  VonMises, Bernoulli, Binomial, Poisson, Geometric, Categorical (16 classes), and, as n / 16
  points of dimension 16, Dirichlet, Independent(Normal), MultivariateNormalDiag (numpyro:
  ``Independent(Normal)``), MultivariateNormal (full ``scale_tril``) and
  LowRankMultivariateNormal (rank 4). Parameters are traced scalars (one vector or matrix for the
  multivariate families), as in a model with shared parameters. The report shows them as one
  table (one row per family, the speed-up against numpyro) and one bar chart; the same-size pass
  is in ``normal_log_prob`` only. ``MixtureSameFamily`` is ``mixture_log_prob``.
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


# ----------------------------------------------------------------------------- every family
# One case per family (``log_prob_<family>``, with ``params["family"]``), which the report gathers
# into one table (a row per family, its speed-up against numpyro) and one bar chart. Parameters are
# scalars (or one parameter vector for the multivariate families) passed as traced arguments, as
# in a model: a library that broadcast them to the size of x and recomputed parameter-only terms
# per point would pay for it.
def _fam_data(name: str, n: int, dtype: str):
    """``(args, gmath_fn, numpyro_fn_of_nd)`` for one family on ``n`` scalars."""
    import jax
    import jax.numpy as jnp

    g = require("gmath.densities")
    key = jax.random.fold_in(_key(7), sum(map(ord, name)))
    k1, k2, k3 = jax.random.split(key, 3)
    c = lambda v: jnp.asarray(v, dtype)  # a parameter: a traced scalar of the run's dtype
    normal = jax.random.normal(k1, (n,), dtype=dtype)
    unif = jax.random.uniform(k1, (n,), dtype=dtype, minval=0.001, maxval=0.999)
    d = 16  # event size of the multivariate families

    if name in ("Normal", "Cauchy", "Laplace", "Logistic", "Gumbel"):
        x, p = normal * 2.0 + 0.5, (c(0.3), c(1.7))
        ours = lambda x, m, s: getattr(g, name)(m, s).log_prob(x)
        theirs = lambda nd: lambda x, m, s: getattr(nd, name)(m, s).log_prob(x)
    elif name == "LogNormal":
        x, p = jnp.exp(normal * 0.8 + 0.3), (c(0.3), c(0.8))
        ours = lambda x, m, s: g.LogNormal(m, s).log_prob(x)
        theirs = lambda nd: lambda x, m, s: nd.LogNormal(m, s).log_prob(x)
    elif name == "HalfNormal":
        x, p = jnp.abs(normal) * 1.7, (c(1.7),)
        ours = lambda x, s: g.HalfNormal(s).log_prob(x)
        theirs = lambda nd: lambda x, s: nd.HalfNormal(s).log_prob(x)
    elif name == "StudentT":
        x, p = normal * 2.0 + 0.5, (c(4.5), c(0.3), c(1.7))
        ours = lambda x, v, m, s: g.StudentT(v, m, s).log_prob(x)
        theirs = lambda nd: lambda x, v, m, s: nd.StudentT(v, m, s).log_prob(x)
    elif name == "Exponential":
        x, p = -jnp.log(unif) / 1.3, (c(1.3),)
        ours = lambda x, r: g.Exponential(r).log_prob(x)
        theirs = lambda nd: lambda x, r: nd.Exponential(r).log_prob(x)
    elif name == "Gamma":
        x, p = jax.random.gamma(k1, 2.5, (n,), dtype=dtype) / 1.3, (c(2.5), c(1.3))
        ours = lambda x, a, r: g.Gamma(a, r).log_prob(x)
        theirs = lambda nd: lambda x, a, r: nd.Gamma(a, r).log_prob(x)
    elif name == "Beta":
        x, p = jax.random.beta(k1, 2.5, 3.5, (n,), dtype=dtype), (c(2.5), c(3.5))
        ours = lambda x, a, b: g.Beta(a, b).log_prob(x)
        theirs = lambda nd: lambda x, a, b: nd.Beta(a, b).log_prob(x)
    elif name == "Uniform":
        x, p = unif * 3.0 - 1.0, (c(-1.0), c(2.0))
        ours = lambda x, a, b: g.Uniform(a, b).log_prob(x)
        theirs = lambda nd: lambda x, a, b: nd.Uniform(a, b).log_prob(x)
    elif name == "TruncatedNormal":
        x, p = unif * 3.0 - 1.0, (c(0.3), c(1.7), c(-1.0), c(2.0))
        ours = lambda x, m, s, a, b: g.TruncatedNormal(m, s, a, b).log_prob(x)
        theirs = lambda nd: (
            lambda x, m, s, a, b: nd.TruncatedNormal(m, s, low=a, high=b).log_prob(x)
        )
    elif name == "VonMises":
        x, p = (unif * 2.0 - 1.0) * jnp.pi, (c(0.3), c(2.0))
        ours = lambda x, m, k: g.VonMises(m, k).log_prob(x)
        theirs = lambda nd: lambda x, m, k: nd.VonMises(m, k).log_prob(x)
    elif name == "Bernoulli":
        x, p = (unif < 0.6).astype(dtype), (c(0.4),)
        ours = lambda x, lg: g.Bernoulli(logits=lg).log_prob(x)
        theirs = lambda nd: lambda x, lg: nd.Bernoulli(logits=lg).log_prob(x)
    elif name == "Binomial":
        x = jax.random.binomial(k1, 20, 0.3, (n,), dtype=dtype)
        p = (c(20.0), c(0.3))
        ours = lambda x, t, q: g.Binomial(t, probs=q).log_prob(x)
        theirs = lambda nd: lambda x, t, q: nd.Binomial(t, probs=q).log_prob(x)
    elif name == "Poisson":
        x, p = jax.random.poisson(k1, 3.5, (n,)).astype(dtype), (c(3.5),)
        ours = lambda x, r: g.Poisson(r).log_prob(x)
        theirs = lambda nd: lambda x, r: nd.Poisson(r).log_prob(x)
    elif name == "Geometric":
        x = jnp.floor(jnp.log(unif) / jnp.log1p(-0.3))
        p = (c(0.3),)
        ours = lambda x, q: g.Geometric(probs=q).log_prob(x)
        theirs = lambda nd: lambda x, q: nd.Geometric(probs=q).log_prob(x)
    elif name == "Categorical":
        x = jax.random.randint(k1, (n,), 0, d)
        p = (jax.random.normal(k2, (d,), dtype=dtype),)
        ours = lambda x, lg: g.Categorical(logits=lg).log_prob(x)
        theirs = lambda nd: lambda x, lg: nd.Categorical(logits=lg).log_prob(x)
    elif name == "Dirichlet":
        alpha = jax.random.uniform(k2, (d,), dtype=dtype, minval=0.5, maxval=3.0)
        x, p = jax.random.dirichlet(k1, alpha, (n // d,), dtype=dtype), (alpha,)
        ours = lambda x, a: g.Dirichlet(a).log_prob(x)
        theirs = lambda nd: lambda x, a: nd.Dirichlet(a).log_prob(x)
    elif name in ("MultivariateNormalDiag", "Independent"):
        loc = jax.random.normal(k2, (d,), dtype=dtype)
        scale = jax.random.uniform(k3, (d,), dtype=dtype, minval=0.5, maxval=2.0)
        x, p = normal.reshape(n // d, d) * 2.0, (loc, scale)
        if name == "Independent":
            ours = lambda x, m, s: g.Independent(g.Normal(m, s), 1).log_prob(x)
        else:
            ours = lambda x, m, s: g.MultivariateNormalDiag(m, s).log_prob(x)
        theirs = lambda nd: lambda x, m, s: nd.Independent(nd.Normal(m, s), 1).log_prob(x)
    elif name == "MultivariateNormal":
        loc = jax.random.normal(k2, (d,), dtype=dtype)
        L = _tril(k3, d, dtype=dtype)
        x, p = loc + normal.reshape(n // d, d) @ L.T, (loc, L)
        ours = lambda x, m, L: g.MultivariateNormal(m, scale_tril=L).log_prob(x)
        theirs = lambda nd: lambda x, m, L: nd.MultivariateNormal(m, scale_tril=L).log_prob(x)
    elif name == "LowRankMultivariateNormal":
        loc = jax.random.normal(k2, (d,), dtype=dtype)
        factor = jax.random.normal(k3, (d, 4), dtype=dtype) * 0.5
        diag = jax.random.uniform(k3, (d,), dtype=dtype, minval=0.5, maxval=1.5)
        x, p = loc + normal.reshape(n // d, d), (loc, factor, diag)
        ours = lambda x, m, f, s: g.LowRankMultivariateNormal(m, f, s).log_prob(x)
        theirs = lambda nd: lambda x, m, f, s: nd.LowRankMultivariateNormal(m, f, s).log_prob(x)
    else:
        raise Unavailable(f"no numpyro counterpart benchmarked for {name}")
    return (x, *p), ours, theirs


#: The families with a numpyro counterpart, each measured by ``log_prob_<family>``. ``Normal`` is
#: measured again here (beside jax.scipy and the pass in ``normal_log_prob``) so the table is whole;
#: the 16-component mixture has its own case, ``mixture_log_prob``.
FAMILIES = (
    "Normal",
    "LogNormal",
    "HalfNormal",
    "Cauchy",
    "Laplace",
    "Logistic",
    "Gumbel",
    "StudentT",
    "Exponential",
    "Gamma",
    "Beta",
    "Uniform",
    "TruncatedNormal",
    "VonMises",
    "Bernoulli",
    "Binomial",
    "Poisson",
    "Geometric",
    "Categorical",
    "Dirichlet",
    "Independent",
    "MultivariateNormalDiag",
    "MultivariateNormal",
    "LowRankMultivariateNormal",
)
_MULTIVARIATE = {
    "Dirichlet",
    "Independent",
    "MultivariateNormalDiag",
    "MultivariateNormal",
    "LowRankMultivariateNormal",
}


def _family_case(name: str, n: int, dtype: str, max_repeats: int | None) -> Case:
    """``log_prob`` of one family on ``n`` scalars (``n / 16`` points of dimension 16 for the
    multivariate families), gmath beside numpyro with the same parameters."""
    d = 16 if name in _MULTIVARIATE else 1

    def build():
        args, ours, theirs = _fam_data(name, n, dtype)
        impls = [Impl("gmath", ours, args, role="gmath", max_repeats=max_repeats)]
        try:
            nd = require("numpyro.distributions")
            impls.append(Impl("numpyro", theirs(nd), args, max_repeats=max_repeats))
        except Unavailable as e:
            impls.append(Impl("numpyro", skip=str(e)))
        return impls

    # float32: numpyro's lgamma differences (Binomial, Poisson, Dirichlet) and sums over d = 16
    # lose a few ulps more than a single elementwise formula
    loose = name in _MULTIVARIATE or name in ("Binomial", "Poisson")
    if dtype == "float32":
        tol = (
            {"rtol": 1e-4, "atol": 1e-3 if d > 1 else 1e-4}
            if loose
            else {"rtol": 1e-5, "atol": 1e-5}
        )
    else:
        tol = {"rtol": 1e-9, "atol": 1e-9} if loose else {"rtol": 1e-11, "atol": 1e-11}
    return Case(
        SUITE,
        f"log_prob_{name.lower()}",
        n,
        build,
        title=f"{name} log_prob ({dtype})" + (f", d={d}" if d > 1 else ""),
        params={"family": name, "d": d},
        dtype=dtype,
        work={"bytes": (n + n // d) * itemsize(dtype)},
        items=n // d,
        items_label="points",
        **tol,
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
    for n in pick(mode, [2**10], [10**6], [10**6, 10**7, 10**8]):
        for name in FAMILIES:
            out.append(_family_case(name, n, dtype, max_repeats=pick(mode, 1, 15, None)))
    return out
