"""Lists are accepted wherever arrays are: every family built from list parameters equals the
family built from the same parameters as arrays (same batch shape, same log-density)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from gmath.densities import (
    Bernoulli,
    Beta,
    Binomial,
    Categorical,
    Cauchy,
    Dirichlet,
    Exponential,
    Gamma,
    Geometric,
    Gumbel,
    HalfNormal,
    Independent,
    Laplace,
    Logistic,
    LogNormal,
    LowRankMultivariateNormal,
    MixtureSameFamily,
    MultivariateNormal,
    MultivariateNormalDiag,
    Normal,
    Poisson,
    StudentT,
    TruncatedNormal,
    Uniform,
    VonMises,
)

# name: (constructor of lists-or-arrays, positional parameters as lists, keyword ones, point x)
_TABLE = {
    "Normal": (Normal, ([0.0, 1.0], 1.0), {}, 0.5),
    "Cauchy": (Cauchy, ([0.0, 1.0], [1.0, 2.0]), {}, 0.5),
    "Laplace": (Laplace, ([0.0, 1.0], 1.0), {}, 0.5),
    "Logistic": (Logistic, ([0.0, 1.0], 1.0), {}, 0.5),
    "Gumbel": (Gumbel, ([0.0, 1.0], 1.0), {}, 0.5),
    "LogNormal": (LogNormal, ([0.0, 1.0], [1.0, 0.5]), {}, 0.5),
    "HalfNormal": (HalfNormal, ([1.0, 2.0],), {}, 0.5),
    "Exponential": (Exponential, ([1.0, 2.0],), {}, 0.5),
    "Gamma": (Gamma, ([1.0, 2.5], [1.0, 3.0]), {}, 0.5),
    "Beta": (Beta, ([1.0, 2.0], [2.0, 3.0]), {}, 0.5),
    "StudentT": (StudentT, ([3.0, 5.0], [0.0, 1.0], 1.0), {}, 0.5),
    "Uniform": (Uniform, ([0.0, -1.0], [1.0, 2.0]), {}, 0.5),
    "TruncatedNormal": (TruncatedNormal, ([0.0, 1.0], 1.0, [-1.0, 0.0], [2.0, 3.0]), {}, 0.5),
    "VonMises": (VonMises, ([0.0, 1.0], [1.0, 4.0]), {}, 0.5),
    "Poisson": (Poisson, ([1.0, 2.5],), {}, 2.0),
    "Bernoulli": (Bernoulli, (), {"probs": [0.25, 0.5]}, 1.0),
    "Bernoulli_logits": (Bernoulli, ([0.0, -1.0],), {}, 1.0),
    "Geometric": (Geometric, (), {"probs": [0.25, 0.5]}, 2.0),
    "Binomial": (Binomial, ([3.0, 5.0],), {"probs": [0.25, 0.5]}, 2.0),
    "Categorical": (Categorical, (), {"probs": [[0.2, 0.8], [0.5, 0.5]]}, 1.0),
    "Categorical_logits": (Categorical, ([[0.0, 1.0], [2.0, 0.0]],), {}, 1.0),
    "Dirichlet": (Dirichlet, ([[1.0, 2.0], [3.0, 0.5]],), {}, [0.25, 0.75]),
    "MultivariateNormalDiag": (
        MultivariateNormalDiag,
        ([[0.0, 1.0], [1.0, 0.0]], [1.0, 2.0]),
        {},
        [0.5, -0.5],
    ),
    "MultivariateNormal": (
        MultivariateNormal,
        ([[0.0, 1.0], [1.0, 0.0]],),
        {"scale_tril": [[1.0, 0.0], [0.5, 2.0]]},
        [0.5, -0.5],
    ),
    "MultivariateNormal_covariance": (
        MultivariateNormal,
        ([[0.0, 1.0], [1.0, 0.0]],),
        {"covariance_matrix": [[2.0, 0.5], [0.5, 1.0]]},
        [0.5, -0.5],
    ),
    "LowRankMultivariateNormal": (
        LowRankMultivariateNormal,
        ([[0.0, 1.0], [1.0, 0.0]], [[1.0], [0.5]], [1.0, 2.0]),
        {},
        [0.5, -0.5],
    ),
}


def _arrays(value):
    return jnp.asarray(value) if isinstance(value, list) else value


@pytest.mark.parametrize("name", sorted(_TABLE))
def test_list_parameters_equal_array_parameters(name):
    cls, args, kwargs, x = _TABLE[name]
    from_lists = cls(*args, **kwargs)
    from_arrays = cls(*map(_arrays, args), **{k: _arrays(v) for k, v in kwargs.items()})
    assert from_lists.batch_shape == from_arrays.batch_shape == (2,)
    got, want = from_lists.log_prob(jnp.asarray(x)), from_arrays.log_prob(jnp.asarray(x))
    assert np.all(np.isfinite(want))
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def test_list_parameters_of_wrappers():
    # Independent and MixtureSameFamily: list parameters of the base and the mixing weights
    ind = Independent(Normal([0.0, 1.0], [1.0, 2.0]), 1)
    want = Normal(0.0, 1.0).log_prob(0.5) + Normal(1.0, 2.0).log_prob(0.5)
    np.testing.assert_allclose(ind.log_prob(jnp.asarray([0.5, 0.5])), want, rtol=1e-14)
    mix = MixtureSameFamily([0.0, np.log(3.0)], Normal([0.0, 1.0], 1.0))
    comps = jnp.asarray([Normal(0.0, 1.0).log_prob(0.5), Normal(1.0, 1.0).log_prob(0.5)])
    want = jnp.log(0.25 * jnp.exp(comps[0]) + 0.75 * jnp.exp(comps[1]))
    np.testing.assert_allclose(mix.log_prob(0.5), want, rtol=1e-14)
