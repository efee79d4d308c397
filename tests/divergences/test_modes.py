"""Mode-collapse diagnostics: k-NN precision/recall, density/coverage, modes captured.

Oracles: a brute-force NumPy implementation of the definitions (Kynkäänniemi et al. 2019;
Naeem et al. 2020); identical sets give precision = recall = coverage = 1 and density = 1 in
expectation; far-apart sets give zeros; on ring and grid mixtures, samples drawn from a subset of
modes capture exactly that subset.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gmath.testing as gt
from gmath.divergences import grid_modes, mode_coverage, precision_recall, ring_modes


def _brute(real, fake, k):
    real, fake = np.asarray(real), np.asarray(fake)
    d_rr = np.sum((real[:, None] - real[None]) ** 2, -1)
    d_ff = np.sum((fake[:, None] - fake[None]) ** 2, -1)
    d_fr = np.sum((fake[:, None] - real[None]) ** 2, -1)  # [M, N]
    r_real = np.sort(d_rr, 1)[:, k]
    r_fake = np.sort(d_ff, 1)[:, k]
    inside = d_fr <= r_real[None, :]  # fake j in ball of real i
    precision = np.mean(inside.any(1))
    recall = np.mean((d_fr.T <= r_fake[None, :]).any(1))
    density = inside.sum() / (k * len(fake))
    coverage = np.mean(inside.any(0))
    return precision, recall, density, coverage


def test_matches_brute_force_definitions():
    real = jax.random.normal(jax.random.key(0), (700, 2))  # > one row block of 512
    fake = 1.3 * jax.random.normal(jax.random.key(1), (600, 2)) + 0.4
    out = jax.jit(precision_recall, static_argnames="k")(real, fake, k=3)
    ref = _brute(real, fake, 3)
    for got, want in zip(out, ref, strict=True):
        gt.assert_allclose(got, np.asarray(want, np.float64), rtol=1e-12)


def test_identical_and_disjoint_sets():
    x = jax.random.normal(jax.random.key(2), (100, 3))
    same = precision_recall(x, x, k=5)
    assert float(same.precision) == 1.0 and float(same.recall) == 1.0
    assert float(same.coverage) == 1.0
    far = precision_recall(x, x + 100.0, k=5)
    assert float(far.precision) == 0.0 and float(far.recall) == 0.0
    assert float(far.density) == 0.0 and float(far.coverage) == 0.0


_coverage = jax.jit(mode_coverage, static_argnames=("threshold", "min_count"))


def test_ring_and_grid_mode_counting():
    ring = ring_modes(num_modes=8, radius=2.0)
    gt.assert_allclose(jnp.linalg.norm(ring, axis=1), np.full(8, 2.0), rtol=1e-14)
    grid = grid_modes(num_per_side=5, spacing=2.0)
    assert grid.shape == (25, 2) and set(np.unique(np.asarray(grid)).tolist()) == {-4, -2, 0, 2, 4}
    key = jax.random.key(3)
    # samples from modes 0..4 of the ring only, std 0.02; plus 10% off-manifold junk at the origin
    idx = jnp.arange(500) % 5
    samples = ring[idx] + 0.02 * jax.random.normal(key, (500, 2))
    samples = jnp.concatenate([samples, jnp.zeros((50, 2))])
    out = _coverage(samples, ring, std=0.02)
    assert int(out.num_modes_captured) == 5
    # high quality: within 3 std -> P(chi_2 <= 9) = 1 - exp(-4.5) of the 500 mode samples
    expected = 500 * (1 - np.exp(-4.5)) / 550
    assert abs(float(out.high_quality_fraction) - expected) < 0.03  # > 5 binomial sd
    assert np.asarray(out.counts)[5:].sum() == 0
    full = _coverage(grid + 0.01, grid, std=0.05)
    assert int(full.num_modes_captured) == 25


def test_float32_and_bad_input():
    x = jax.random.normal(jax.random.key(4), (30, 2)).astype(jnp.float32)
    out = precision_recall(x, x + 0.1, k=2)
    assert out.precision.dtype == jnp.float32
    with pytest.raises(ValueError, match="k < min"):
        precision_recall(x, x[:3], k=3)
    with pytest.raises(ValueError, match="same dimension"):
        precision_recall(x, jnp.ones((5, 3)), k=1)
    with pytest.raises(ValueError, match="same dimension"):
        mode_coverage(x, jnp.ones((4, 3)), std=0.1)
