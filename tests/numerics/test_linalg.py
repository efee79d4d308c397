"""gauss_solve: Gaussian elimination with partial pivoting is backward stable.

Oracle: the computed x solves a nearby system, ||M x - b|| <= c n u ||M|| ||x|| (Golub and
Van Loan 3.4.6, growth factor small for these matrices), and agrees with LAPACK (numpy) to the
forward bound cond(M) n u.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gmath._numerics import gauss_solve

SIZES = (1, 2, 5, 12, 42)
_solve = jax.jit(gauss_solve)
_batched = jax.jit(jax.vmap(gauss_solve))


def _system(seed: int, n: int, dtype):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    M[rng.permutation(n)[: n // 2]] *= 1e-3  # small leading entries: pivoting is required
    return M.astype(dtype), rng.standard_normal(n).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@given(seed=st.integers(0, 2**32 - 1), n=st.sampled_from(SIZES))
def test_backward_stable_and_matches_lapack(dtype, seed, n):
    M, b = _system(seed, n, dtype)
    x = _solve(jnp.asarray(M), jnp.asarray(b))
    assert x.dtype == dtype
    u = np.finfo(dtype).eps
    M64, x64 = M.astype(np.float64), np.asarray(x, np.float64)
    residual = np.linalg.norm(M64 @ x64 - b.astype(np.float64))
    scale = np.linalg.norm(M64, 2) * np.linalg.norm(x64)
    assert residual <= 8 * n * u * scale, (residual, scale)
    ref = np.linalg.solve(M64, b.astype(np.float64))
    cond = np.linalg.cond(M64)
    err = np.linalg.norm(x64 - ref) / np.linalg.norm(ref)
    assert err <= 8 * n * u * cond, (err, cond)


def test_needs_pivoting():
    M = jnp.array([[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [4.0, -3.0, 8.0]])
    b = jnp.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(
        _solve(M, b), np.linalg.solve(np.asarray(M), np.asarray(b)), rtol=1e-14
    )


def test_singular_gives_non_finite():
    M = jnp.array([[1.0, 2.0], [2.0, 4.0]])
    assert not bool(jnp.all(jnp.isfinite(_solve(M, jnp.array([1.0, 0.0])))))


def test_vmap_equals_loop():
    systems = [_system(s, 12, np.float64) for s in range(6)]
    Ms = jnp.asarray(np.stack([m for m, _ in systems]))
    bs = jnp.asarray(np.stack([b for _, b in systems]))
    batched = _batched(Ms, bs)
    for i in range(6):
        np.testing.assert_array_equal(batched[i], _solve(Ms[i], bs[i]))
