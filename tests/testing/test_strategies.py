"""gmath.testing strategies: they honour their contracts and validate arguments eagerly."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis.errors import InvalidArgument

import gmath.testing as gt


@given(a=gt.spd_matrices(dim=4, min_eigenvalue=0.1, max_eigenvalue=10.0, max_condition=20.0))
def test_spd_matrices_contract(a):
    w = np.linalg.eigvalsh(a)
    assert np.allclose(a, a.T)
    assert w.min() >= 0.1 * (1 - 1e-9) and w.max() <= 10.0 * (1 + 1e-9)
    assert w.max() / w.min() <= 20.0 * (1 + 1e-9)


@given(p=gt.simplex_points(dim=5, min_prob=0.02))
def test_simplex_contract(p):
    assert abs(p.sum() - 1) < 1e-12 and p.min() >= 0.02 - 1e-12


@given(x=gt.positive_arrays(shape=(3,), min_value=1e-3, max_value=1e3, dtype=np.float32))
def test_positive_arrays_contract(x):
    assert x.dtype == np.float32 and np.all((x >= 1e-3) & (x <= 1e3))


@given(x=gt.finite_arrays(shape=(2, 2), min_value=-5, max_value=5))
def test_finite_arrays_contract(x):
    assert x.shape == (2, 2) and np.all(np.isfinite(x)) and np.all(np.abs(x) <= 5)


@pytest.mark.parametrize(
    "make",
    [
        lambda: gt.finite_arrays(shape=(2,), min_value=1.0, max_value=0.0),
        lambda: gt.finite_arrays(shape=(-1,)),
        lambda: gt.finite_arrays(dtype=np.int32),
        lambda: gt.positive_arrays(min_value=0.0),
        lambda: gt.spd_matrices(dim=0),
        lambda: gt.spd_matrices(dim=3, max_condition=0.5),
        lambda: gt.simplex_points(dim=3, min_prob=0.5),
    ],
)
def test_strategies_validate_eagerly(make):
    with pytest.raises(InvalidArgument):
        make()


def test_tolerance():
    assert gt.tolerance(np.float64) == 1e-10
    assert gt.tolerance(np.float32, condition=10.0) == 160 * np.finfo(np.float32).eps
    with pytest.raises(ValueError):
        gt.tolerance(np.int32)


def test_assert_allclose_detects_differences():
    gt.assert_allclose({"a": np.ones(3)}, {"a": np.ones(3)})
    with pytest.raises(AssertionError):
        gt.assert_allclose({"a": np.ones(3)}, {"a": np.ones(3) * (1 + 1e-8)})
    with pytest.raises(AssertionError, match="shapes differ"):
        gt.assert_allclose(np.ones(3), np.ones((3, 1)))
    with pytest.raises(AssertionError, match="tree structures"):
        gt.assert_allclose({"a": 1.0}, {"b": 1.0})


def test_assert_transform_consistent_catches_batch_leak():
    import jax
    import jax.numpy as jnp

    gt.assert_transform_consistent(lambda x: x * 2, jnp.arange(3.0))

    def traced_differently(x):  # a function that misbehaves under transformations
        return x + 1.0 if isinstance(x, jax.core.Tracer) else x

    with pytest.raises(AssertionError):
        gt.assert_transform_consistent(traced_differently, jnp.arange(3.0))


def test_statistics_helpers():
    rng = np.random.default_rng(0)
    with pytest.raises(AssertionError, match="DKW"):
        gt.assert_samples_match_cdf(rng.uniform(size=2000) ** 2, lambda x: np.clip(x, 0, 1))
    with pytest.raises(AssertionError, match="band"):
        gt.assert_mean_matches(rng.normal(0.1, 1.0, size=10_000), 0.0, 1.0)
    with pytest.raises(AssertionError, match="Chebyshev"):
        gt.assert_mean_matches(rng.normal(12.0, 1.0, size=10_000), 0.0, 1.0, method="chebyshev")
    gt.assert_mean_matches(rng.normal(0.2, 1.0, size=10_000), 0.0, 1.0, method="chebyshev")
    assert gt.gauss_legendre_integral(np.exp, 0.0, 1.0) == pytest.approx(np.e - 1, rel=1e-14)


def test_family_table_has_one_row_per_family():
    # every distribution record of gmath.densities (Independent wraps another family) has one
    # row, and each row's strategy is the public gmath.testing strategy of that name
    from gmath import densities
    from gmath.testing._families import FAMILY_TABLE

    families = {
        name
        for name in densities.__all__
        if isinstance(getattr(densities, name), type)
        and issubclass(getattr(densities, name), densities.Distribution)
        and name not in {"Distribution", "Independent"}
    }
    rows = [row.family for row in FAMILY_TABLE]
    assert sorted(rows) == sorted(families)
    for row in FAMILY_TABLE:
        assert row.strategy in gt.__all__
        assert row.cls is getattr(densities, row.family)


@given(p=gt.normals(batch_shape=(4,), loc=(-1.0, 1.0), scale=(0.5, 2.0)))
def test_strategy_ranges_come_from_the_table_and_its_overrides(p):
    assert np.all(np.abs(np.asarray(p.loc)) <= 1.0)
    assert np.all((np.asarray(p.scale) >= 0.5) & (np.asarray(p.scale) <= 2.0))


def test_family_rows_draw_within_their_ranges():
    from gmath.testing._families import FAMILY_TABLE

    rng = np.random.default_rng(0)
    for row in FAMILY_TABLE:
        p = row.draw(rng, batch_shape=(5,))
        assert p.batch_shape == (5,), row.family
        for param in row.params:
            value = getattr(p, param.name, None)
            if param.kind in {"uniform", "log"} and value is not None:
                assert np.all((param.low <= value) & (value <= param.high)), param.name
