"""Chunked KL / JS between categoricals from logits.

Oracles: the naive float64 formulas (log_softmax) and exact numpy sums at 1e-12 absolute /
1e-10 relative; gradients against autodiff of the naive formula and against finite differences;
0 <= JS <= log 2 with log 2 on disjoint supports; eager = jit = vmap; float32 and bfloat16
preserved; the compiled temporary memory of forward and backward passes stays below one
vocabulary-sized array (XLA's memory analysis on CPU).
"""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import gmath.divergences as gv
import gmath.testing as gt


def _naive_kl(a, b):
    lp, lq = jax.nn.log_softmax(a, -1), jax.nn.log_softmax(b, -1)
    return jnp.sum(jnp.exp(lp) * (lp - lq), -1)


def _naive_js(a, b):
    lp, lq = jax.nn.log_softmax(a, -1), jax.nn.log_softmax(b, -1)
    lm = jnp.logaddexp(lp, lq) - math.log(2.0)
    return 0.5 * jnp.sum(jnp.exp(lp) * (lp - lm) + jnp.exp(lq) * (lq - lm), -1)


def _logits(seed, shape, scale=3.0):
    return scale * jax.random.normal(jax.random.key(seed), shape, jnp.float64)


_KL = jax.jit(gv.categorical_kl_from_logits, static_argnames=("axis", "chunk_size"))
_JS = jax.jit(gv.categorical_js_from_logits, static_argnames=("axis", "chunk_size"))


@jax.jit
def _naive_both(a, b):
    vals = (_naive_kl(a, b), _naive_js(a, b))
    grads = [jax.grad(lambda a, b, f=f: f(a, b) @ _W, (0, 1))(a, b) for f in (_naive_kl, _naive_js)]
    return vals, grads


def _chunked_impl(a, b, chunk_size):
    fns = [
        lambda a, b: gv.categorical_kl_from_logits(a, b, chunk_size=chunk_size),
        lambda a, b: gv.categorical_js_from_logits(a, b, chunk_size=chunk_size),
    ]
    vals = tuple(f(a, b) for f in fns)
    grads = [jax.grad(lambda a, b, f=f: f(a, b) @ _W, (0, 1))(a, b) for f in fns]
    return vals, grads


_A = _logits(0, (3, 1000))
_B = _logits(1, (3, 1000))
_W = jnp.array([1.0, -0.5, 2.0])


@pytest.mark.parametrize("chunk_size", [None, 1000, 128, 7, 4096])
def test_values_and_gradients_match_naive(chunk_size):
    # None: the default, one chunk here (3 x 1000 elements, below ONE_CHUNK_MAX_ELEMENTS)
    vals, grads = jax.jit(_chunked_impl, static_argnums=2)(_A, _B, chunk_size)
    vals_ref, grads_ref = _naive_both(_A, _B)
    for v, r in zip(vals, vals_ref, strict=True):
        np.testing.assert_allclose(v, r, rtol=1e-10, atol=1e-13)
    for g, g_ref in zip(grads, grads_ref, strict=True):
        for x, y in zip(g, g_ref, strict=True):
            np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-15)


def test_default_chunk_follows_the_crossover_and_float32_paths_agree():
    from gmath.divergences._categorical_logits import ONE_CHUNK_MAX_ELEMENTS, _auto_chunk

    assert _auto_chunk(1, ONE_CHUNK_MAX_ELEMENTS) == ONE_CHUNK_MAX_ELEMENTS
    assert _auto_chunk(2, ONE_CHUNK_MAX_ELEMENTS) == 8192
    # float32: one pass and the chunked online log-sum-exp agree to rounding (values ~0.1-10,
    # 1000 terms: a few ulps times the sum's condition)
    a, b = _A.astype(jnp.float32), _B.astype(jnp.float32)

    @functools.partial(jax.jit, static_argnums=2)
    def both(a, b, chunk_size):
        fns = (gv.categorical_kl_from_logits, gv.categorical_js_from_logits)
        return [
            jax.value_and_grad(lambda a, b, f=f: jnp.sum(f(a, b, chunk_size=chunk_size)), (0, 1))(
                a, b
            )
            for f in fns
        ]

    one, chunked = both(a, b, None), both(a, b, 128)
    for u, v in zip(jax.tree.leaves(one), jax.tree.leaves(chunked), strict=True):
        assert u.dtype == jnp.float32
        np.testing.assert_allclose(u, v, rtol=2e-5, atol=1e-7)


def test_matches_exact_sums_and_finite_differences():
    p = np.array([0.1, 0.2, 0.3, 0.4])
    q = np.array([0.25, 0.05, 0.5, 0.2])
    m = 0.5 * (p + q)
    kl = float(np.sum(p * np.log(p / q)))
    js = 0.5 * float(np.sum(p * np.log(p / m)) + np.sum(q * np.log(q / m)))
    a, b = jnp.log(p) + 1.7, jnp.log(q) - 4.0
    gt.assert_allclose(gv.categorical_kl_from_logits(a, b, chunk_size=3), np.asarray(kl))
    gt.assert_allclose(gv.categorical_js_from_logits(a, b, chunk_size=3), np.asarray(js))
    for fn in (gv.categorical_kl_from_logits, gv.categorical_js_from_logits):
        check_grads(lambda a, b, fn=fn: fn(a, b, chunk_size=3), (a, b), order=1, modes=("rev",))


def test_zero_probabilities_and_bounds():
    a = jnp.array([0.0, -jnp.inf, 1.0])
    b = jnp.array([0.5, 0.0, -jnp.inf])
    assert gv.categorical_kl_from_logits(a, b) == jnp.inf
    gt.assert_allclose(
        gv.categorical_kl_from_logits(jnp.array([0.0, -jnp.inf]), jnp.array([0.0, 0.0])),
        np.asarray(math.log(2.0)),
    )
    disjoint = gv.categorical_js_from_logits(jnp.array([0.0, -jnp.inf]), jnp.array([-jnp.inf, 0.0]))
    gt.assert_allclose(disjoint, np.asarray(math.log(2.0)))
    js = _JS(_A, _B, chunk_size=100)
    assert np.all((0 <= js) & (js <= math.log(2.0)))
    gt.assert_allclose(js, _JS(_B, _A, chunk_size=100))
    # KL of p with itself, and its gradient, vanish
    gt.assert_allclose(_KL(_A, _A + 5.0, chunk_size=100), np.zeros(3), atol=1e-13)
    g = jax.jit(jax.grad(lambda a: jnp.sum(_KL(a, _A, chunk_size=100))))(_A)
    np.testing.assert_allclose(g, 0.0, atol=1e-15)


def test_axis_broadcasting_and_transforms():
    a = _logits(2, (2, 1, 50))
    b = _logits(3, (3, 50))
    out = _KL(a, b, chunk_size=16)
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out, _naive_kl(a, b), rtol=1e-10)
    moved = _KL(jnp.moveaxis(a, -1, 0), jnp.moveaxis(b, -1, 0), axis=0, chunk_size=16)
    np.testing.assert_allclose(moved, out, rtol=1e-12)
    fn = lambda a, b: gv.categorical_js_from_logits(a, b, chunk_size=20)
    gt.assert_transform_consistent(fn, _A[:, :20], _B[:, :20])  # one chunk: no loop
    with pytest.raises(ValueError, match="1000 and 50 categories"):
        gv.categorical_kl_from_logits(_A, _B[:, :50])


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16])
def test_low_precision_preserved(dtype):
    a, b = _A.astype(dtype), _B.astype(dtype)
    for fn, ref in [(_KL, _naive_kl), (_JS, _naive_js)]:
        out = fn(a, b, chunk_size=128)
        assert out.dtype == dtype
        exact = ref(a.astype(jnp.float64), b.astype(jnp.float64))
        # float32 accumulation over 1000 terms; the result is rounded to the output dtype
        rtol = 1e-5 if dtype == jnp.float32 else 2 * float(jnp.finfo(dtype).eps)
        np.testing.assert_allclose(np.asarray(out, np.float64), exact, rtol=rtol)
    g = jax.jit(jax.grad(lambda a: jnp.sum(_JS(a, b, chunk_size=128)).astype(jnp.float32)))(a)
    assert g.dtype == dtype


def test_large_vocabulary_never_materialises_the_softmax():
    # 128k vocabulary, float32: inputs are 4 MiB each; a softmax would be another 4 MiB.
    v, batch, chunk = 131072, 8, 8192
    a = _logits(4, (batch, v), 5.0).astype(jnp.float32)
    b = _logits(5, (batch, v), 5.0).astype(jnp.float32)
    full = batch * v * 4
    for fn, ref in [
        (gv.categorical_kl_from_logits, _naive_kl),
        (gv.categorical_js_from_logits, _naive_js),
    ]:
        loss = lambda a, b, fn=fn: jnp.sum(fn(a, b, chunk_size=chunk))
        for g in (loss, jax.grad(loss, (0, 1))):
            mem = jax.jit(g).lower(a, b).compile().memory_analysis()
            assert mem.temp_size_in_bytes < full / 2, (fn.__name__, mem.temp_size_in_bytes)
        exact = ref(a.astype(jnp.float64), b.astype(jnp.float64))
        np.testing.assert_allclose(jax.jit(loss)(a, b), np.sum(exact), rtol=1e-5)
