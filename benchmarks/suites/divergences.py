"""Divergences between distributions: batched closed forms and large-vocabulary KL.

- ``mvn_kl``: ``kl`` between two batches of MultivariateNormal (full ``scale_tril``), d = 64,
  batch 10^3 (quick) / 10^4 (full), beside numpyro's ``kl_divergence`` and a naive JAX
  transcription of the formula (covariances formed, ``solve`` and ``slogdet``); time and memory.
- ``categorical_kl_logits``: ``categorical_kl_from_logits`` at vocabulary 128k (131 072), beside
  a naive ``softmax * (log_softmax - log_softmax)`` and numpyro (``CategoricalProbs``, which needs
  the probabilities); time and XLA's peak working memory.
- ``categorical_kl_logits_grad``: the same, value and gradient with respect to both logits.
"""

from __future__ import annotations

from benchmarks.harness import Case, Impl, Unavailable, require
from benchmarks.suites._common import itemsize, pick

SUITE = "divergences"
VOCAB = 131_072


def _tril(key, d, batch, dtype):
    import jax
    import jax.numpy as jnp

    k1, k2 = jax.random.split(key)
    noise = jax.random.normal(k1, (*batch, d, d), dtype=dtype) * (0.3 / d**0.5)
    diag = jax.random.uniform(k2, (*batch, d), dtype=dtype, minval=0.5, maxval=1.5)
    return jnp.tril(noise, -1) + diag[..., :, None] * jnp.eye(d, dtype=dtype)


def _naive_mvn_kl(m1, L1, m2, L2):
    """KL from the textbook formula, as a user would write it with covariances."""
    import jax.numpy as jnp

    d = m1.shape[-1]
    S1 = L1 @ jnp.swapaxes(L1, -1, -2)
    S2 = L2 @ jnp.swapaxes(L2, -1, -2)
    diff = (m2 - m1)[..., None]
    tr = jnp.trace(jnp.linalg.solve(S2, S1), axis1=-2, axis2=-1)
    maha = (jnp.swapaxes(diff, -1, -2) @ jnp.linalg.solve(S2, diff))[..., 0, 0]
    ld1 = jnp.linalg.slogdet(S1)[1]
    ld2 = jnp.linalg.slogdet(S2)[1]
    return 0.5 * (tr + maha - d + ld2 - ld1)


def _mvn_kl_case(batch: int, d: int, dtype: str) -> Case:
    def build():
        import jax

        MVN = require("gmath.densities", "MultivariateNormal")
        kl = require("gmath.divergences", "kl")
        k = jax.random.split(jax.random.key(10), 4)
        m1 = jax.random.normal(k[0], (batch, d), dtype=dtype)
        m2 = jax.random.normal(k[1], (batch, d), dtype=dtype) * 0.5
        L1 = _tril(k[2], d, (batch,), dtype)
        L2 = _tril(k[3], d, (batch,), dtype)
        args = (m1, L1, m2, L2)
        impls = [
            Impl(
                "gmath",
                lambda m1, L1, m2, L2: kl(MVN(m1, scale_tril=L1), MVN(m2, scale_tril=L2)),
                args,
                role="gmath",
            )
        ]
        try:
            nd = require("numpyro.distributions")
            nkl = require("numpyro.distributions.kl", "kl_divergence")
            impls.append(
                Impl(
                    "numpyro",
                    lambda m1, L1, m2, L2: nkl(
                        nd.MultivariateNormal(m1, scale_tril=L1),
                        nd.MultivariateNormal(m2, scale_tril=L2),
                    ),
                    args,
                )
            )
        except Unavailable as e:
            impls.append(Impl("numpyro", skip=str(e)))
        impls.append(
            Impl(
                "naive jax",
                _naive_mvn_kl,
                args,
                note="covariances formed; jnp.linalg.solve and slogdet",
                rtol=3e-3 if dtype == "float32" else 1e-8,
            )
        )
        return impls

    return Case(
        SUITE,
        "mvn_kl",
        batch,
        build,
        title=f"kl(MultivariateNormal, MultivariateNormal), d={d}, batched ({dtype})",
        size_label="batch",
        params={"d": d},
        dtype=dtype,
        work={"bytes": 2 * batch * (d * d + d) * itemsize(dtype), "flops": batch * d**3},
        items=batch,
        items_label="pairs",
        rtol=1e-3 if dtype == "float32" else 1e-9,
        atol=1e-3 if dtype == "float32" else 1e-9,
    )


def _naive_cat_kl(lp, lq):
    import jax

    return (jax.nn.softmax(lp, -1) * (jax.nn.log_softmax(lp, -1) - jax.nn.log_softmax(lq, -1))).sum(
        -1
    )


def _cat_kl_case(batch: int, vocab: int, dtype: str, grad: bool) -> Case:
    def build():
        import jax

        fn = require("gmath.divergences", "categorical_kl_from_logits")
        k1, k2 = jax.random.split(jax.random.key(11))
        lp = jax.random.normal(k1, (batch, vocab), dtype=dtype) * 2.0
        lq = lp + jax.random.normal(k2, (batch, vocab), dtype=dtype) * 0.5

        def wrap(f):
            if not grad:
                return f
            return jax.value_and_grad(lambda a, b: f(a, b).sum(), argnums=(0, 1))

        impls = [Impl("gmath", wrap(lambda a, b: fn(a, b, axis=-1)), (lp, lq), role="gmath")]
        impls.append(
            Impl(
                "naive jax",
                wrap(_naive_cat_kl),
                (lp, lq),
                note="softmax(p) * (log_softmax(p) - log_softmax(q)), materialised",
            )
        )
        try:
            nd = require("numpyro.distributions")
            nkl = require("numpyro.distributions.kl", "kl_divergence")

            def npy(a, b):
                return nkl(
                    nd.CategoricalProbs(jax.nn.softmax(a, -1)),
                    nd.CategoricalProbs(jax.nn.softmax(b, -1)),
                )

            impls.append(
                Impl(
                    "numpyro",
                    wrap(npy),
                    (lp, lq),
                    note="kl_divergence is registered for CategoricalProbs only: softmax first",
                    rtol=1e-3,
                    atol=1e-4,
                )
            )
        except Unavailable as e:
            impls.append(Impl("numpyro", skip=str(e)))
        return impls

    n = batch * vocab
    return Case(
        SUITE,
        "categorical_kl_logits_grad" if grad else "categorical_kl_logits",
        batch,
        build,
        title=(
            f"categorical_kl_from_logits{' value and gradient' if grad else ''}, "
            f"vocabulary {vocab:,} ({dtype})"
        ),
        size_label="batch",
        params={"vocab": vocab},
        dtype=dtype,
        work={"bytes": (4 if grad else 2) * n * itemsize(dtype), "exps": 2 * n},
        items=batch,
        items_label="rows",
        rtol=1e-4 if dtype == "float32" else 1e-10,
        atol=1e-4 if dtype == "float32" else 1e-10,
    )


def cases(mode: str, dtype: str) -> list[Case]:
    out: list[Case] = []
    d = pick(mode, 8, 64, 64)
    for b in pick(mode, [16], [300], [10**3, 10**4]):
        out.append(_mvn_kl_case(b, d, dtype))
    vocab = pick(mode, 1024, VOCAB, VOCAB)
    for b in pick(mode, [4], [8, 32], [8, 64, 256]):
        out.append(_cat_kl_case(b, vocab, dtype, grad=False))
    for b in pick(mode, [4], [32], [8, 64, 256]):
        out.append(_cat_kl_case(b, vocab, dtype, grad=True))
    return out
