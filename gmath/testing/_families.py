"""Hypothesis strategies of distribution records, one per family.

Each strategy draws parameters over a documented domain where the family is well conditioned
(no density spanning 300 orders of magnitude), with ``batch_shape`` and ``dtype`` keyword-only.
They are the domains of gmath's own tests and accuracy table.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from gmath.testing._arrays import (
    _check_dtype,
    _check_shape,
    finite_arrays,
    positive_arrays,
    simplex_points,
    spd_matrices,
)

__all__ = [
    "bernoullis",
    "betas",
    "binomials",
    "categoricals",
    "cauchys",
    "dirichlets",
    "exponentials",
    "gammas",
    "geometrics",
    "gumbels",
    "half_normals",
    "laplaces",
    "log_normals",
    "logistics",
    "low_rank_multivariate_normals",
    "mixtures_of_normals",
    "multivariate_normal_diags",
    "multivariate_normals",
    "normals",
    "poissons",
    "student_ts",
    "truncated_normals",
    "uniforms",
    "von_mises",
]


def _gd():
    from gmath import densities

    return densities


def _loc_scale(family: str, *, batch_shape, dtype, loc=(-10.0, 10.0), scale=(0.1, 10.0)):
    shape = _check_shape(batch_shape)
    dtype = _check_dtype(dtype)
    return st.builds(
        lambda l, s: getattr(_gd(), family)(loc=l, scale=s),
        finite_arrays(shape=shape, dtype=dtype, min_value=loc[0], max_value=loc[1]),
        positive_arrays(shape=shape, dtype=dtype, min_value=scale[0], max_value=scale[1]),
    )


def normals(*, batch_shape=(), dtype=np.float64, loc=(-10.0, 10.0), scale=(0.1, 10.0)):
    """``Normal(loc, scale)`` records; ``loc`` uniform and ``scale`` log-uniform on the ranges.

    Examples:
      >>> from hypothesis import find
      >>> p = find(normals(batch_shape=(3,)), lambda p: True)
      >>> p.batch_shape
      (3,)
    """
    return _loc_scale("Normal", batch_shape=batch_shape, dtype=dtype, loc=loc, scale=scale)


def log_normals(*, batch_shape=(), dtype=np.float64):
    """``LogNormal(loc, scale)`` with loc in [-2, 2], scale in [0.1, 2]."""
    return _loc_scale(
        "LogNormal", batch_shape=batch_shape, dtype=dtype, loc=(-2, 2), scale=(0.1, 2)
    )


def cauchys(*, batch_shape=(), dtype=np.float64):
    """``Cauchy(loc, scale)`` with loc in [-10, 10], scale in [0.1, 10]."""
    return _loc_scale("Cauchy", batch_shape=batch_shape, dtype=dtype)


def laplaces(*, batch_shape=(), dtype=np.float64):
    """``Laplace(loc, scale)`` with loc in [-10, 10], scale in [0.1, 10]."""
    return _loc_scale("Laplace", batch_shape=batch_shape, dtype=dtype)


def logistics(*, batch_shape=(), dtype=np.float64):
    """``Logistic(loc, scale)`` with loc in [-10, 10], scale in [0.1, 10]."""
    return _loc_scale("Logistic", batch_shape=batch_shape, dtype=dtype)


def gumbels(*, batch_shape=(), dtype=np.float64):
    """``Gumbel(loc, scale)`` with loc in [-10, 10], scale in [0.1, 10]."""
    return _loc_scale("Gumbel", batch_shape=batch_shape, dtype=dtype)


def half_normals(*, batch_shape=(), dtype=np.float64):
    """``HalfNormal(scale)`` with scale in [0.1, 10]."""
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return positive_arrays(shape=shape, dtype=dtype, min_value=0.1, max_value=10.0).map(
        lambda s: _gd().HalfNormal(scale=s)
    )


def truncated_normals(*, batch_shape=(), dtype=np.float64):
    """``TruncatedNormal(loc, scale, low, high)``: loc in [-5, 5], scale in [0.1, 5], and bounds
    ``low = loc + a scale``, ``high = low + w scale`` with a in [-4, 2], w in [0.1, 6]."""
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)

    def build(loc, scale, a, w):
        low = (loc + a * scale).astype(dtype)
        return _gd().TruncatedNormal(
            loc=loc, scale=scale, low=low, high=(low + w * scale).astype(dtype)
        )

    return st.builds(
        build,
        finite_arrays(shape=shape, dtype=dtype, min_value=-5, max_value=5),
        positive_arrays(shape=shape, dtype=dtype, min_value=0.1, max_value=5),
        finite_arrays(shape=shape, dtype=dtype, min_value=-4, max_value=2),
        finite_arrays(shape=shape, dtype=dtype, min_value=0.1, max_value=6),
    )


def student_ts(*, batch_shape=(), dtype=np.float64, df=(0.5, 30.0)):
    """``StudentT(df, loc, scale)``: df log-uniform on ``df``, loc in [-10, 10], scale in
    [0.1, 10]."""
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return st.builds(
        lambda d, l, s: _gd().StudentT(df=d, loc=l, scale=s),
        positive_arrays(shape=shape, dtype=dtype, min_value=df[0], max_value=df[1]),
        finite_arrays(shape=shape, dtype=dtype, min_value=-10, max_value=10),
        positive_arrays(shape=shape, dtype=dtype, min_value=0.1, max_value=10),
    )


def exponentials(*, batch_shape=(), dtype=np.float64):
    """``Exponential(rate)`` with rate in [0.1, 10]."""
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return positive_arrays(shape=shape, dtype=dtype, min_value=0.1, max_value=10).map(
        lambda r: _gd().Exponential(rate=r)
    )


def gammas(*, batch_shape=(), dtype=np.float64, concentration=(0.2, 50.0), rate=(0.1, 10.0)):
    """``Gamma(concentration, rate)`` with both log-uniform on the given ranges."""
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return st.builds(
        lambda c, r: _gd().Gamma(concentration=c, rate=r),
        positive_arrays(
            shape=shape, dtype=dtype, min_value=concentration[0], max_value=concentration[1]
        ),
        positive_arrays(shape=shape, dtype=dtype, min_value=rate[0], max_value=rate[1]),
    )


def betas(*, batch_shape=(), dtype=np.float64, concentration=(0.2, 20.0)):
    """``Beta(concentration1, concentration0)``, each log-uniform on ``concentration``."""
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    c = positive_arrays(
        shape=shape, dtype=dtype, min_value=concentration[0], max_value=concentration[1]
    )
    return st.builds(lambda a, b: _gd().Beta(concentration1=a, concentration0=b), c, c)


def uniforms(*, batch_shape=(), dtype=np.float64):
    """``Uniform(low, high)``: low in [-10, 10], width in [0.1, 10]."""
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return st.builds(
        lambda lo, w: _gd().Uniform(low=lo, high=(lo + w).astype(dtype)),
        finite_arrays(shape=shape, dtype=dtype, min_value=-10, max_value=10),
        positive_arrays(shape=shape, dtype=dtype, min_value=0.1, max_value=10),
    )


def von_mises(*, batch_shape=(), dtype=np.float64, concentration=(0.01, 50.0)):
    """``VonMises(loc, concentration)``: loc in [-pi, pi], concentration log-uniform."""
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return st.builds(
        lambda l, k: _gd().VonMises(loc=l, concentration=k),
        finite_arrays(shape=shape, dtype=dtype, min_value=-np.pi, max_value=np.pi),
        positive_arrays(
            shape=shape, dtype=dtype, min_value=concentration[0], max_value=concentration[1]
        ),
    )


def _logits_or_probs(family, logits, probs, extra=None):
    extra = extra or {}

    def make(use_probs):
        if use_probs:
            return probs.map(lambda p: getattr(_gd(), family)(probs=p, **extra))
        return logits.map(lambda l: getattr(_gd(), family)(logits=l, **extra))

    return st.booleans().flatmap(make)


def bernoullis(*, batch_shape=(), dtype=np.float64):
    """``Bernoulli`` by ``logits`` in [-10, 10] or ``probs`` in [0.01, 0.99] (either spelling)."""
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return _logits_or_probs(
        "Bernoulli",
        finite_arrays(shape=shape, dtype=dtype, min_value=-10, max_value=10),
        finite_arrays(shape=shape, dtype=dtype, min_value=0.01, max_value=0.99),
    )


def geometrics(*, batch_shape=(), dtype=np.float64):
    """``Geometric`` by ``logits`` in [-5, 5] or ``probs`` in [0.05, 0.95]."""
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return _logits_or_probs(
        "Geometric",
        finite_arrays(shape=shape, dtype=dtype, min_value=-5, max_value=5),
        finite_arrays(shape=shape, dtype=dtype, min_value=0.05, max_value=0.95),
    )


def categoricals(*, num_categories: int = 4, batch_shape=(), dtype=np.float64):
    """``Categorical`` over ``num_categories`` by ``logits`` in [-10, 10] or simplex ``probs``."""
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    if num_categories < 1:
        raise InvalidArgument(f"num_categories={num_categories} must be >= 1")
    if shape:
        probs = st.lists(
            simplex_points(dim=num_categories, dtype=dtype, min_prob=1e-3 / num_categories),
            min_size=int(np.prod(shape)),
            max_size=int(np.prod(shape)),
        ).map(lambda ps: np.stack(ps).reshape(shape + (num_categories,)))
    else:
        probs = simplex_points(dim=num_categories, dtype=dtype, min_prob=1e-3 / num_categories)
    return _logits_or_probs(
        "Categorical",
        finite_arrays(shape=shape + (num_categories,), dtype=dtype, min_value=-10, max_value=10),
        probs,
    )


def binomials(*, batch_shape=(), dtype=np.float64, max_count: int = 50):
    """``Binomial(total_count, logits=|probs=)`` with total_count in [1, max_count]."""
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return st.integers(1, max_count).flatmap(
        lambda n: _logits_or_probs(
            "Binomial",
            finite_arrays(shape=shape, dtype=dtype, min_value=-5, max_value=5),
            finite_arrays(shape=shape, dtype=dtype, min_value=0.02, max_value=0.98),
            extra={"total_count": np.asarray(n, dtype)},
        )
    )


def poissons(*, batch_shape=(), dtype=np.float64, rate=(0.1, 50.0)):
    """``Poisson(rate)`` with rate log-uniform on ``rate``."""
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return positive_arrays(shape=shape, dtype=dtype, min_value=rate[0], max_value=rate[1]).map(
        lambda r: _gd().Poisson(rate=r)
    )


def multivariate_normals(
    *, dim: int = 3, batch_shape=(), dtype=np.float64, parameterization: str = "scale_tril"
):
    """``MultivariateNormal(loc, scale_tril=|covariance_matrix=|precision_matrix=)``.

    Covariances are SPD with eigenvalues in [0.1, 10] (condition number at most 100).
    """
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    if parameterization not in {"scale_tril", "covariance_matrix", "precision_matrix"}:
        raise InvalidArgument(f"unknown parameterization {parameterization!r}")
    n = int(np.prod(shape))
    covs = st.lists(
        spd_matrices(dim=dim, dtype=np.float64, min_eigenvalue=0.1, max_eigenvalue=10.0),
        min_size=n,
        max_size=n,
    ).map(lambda cs: np.stack(cs).reshape(shape + (dim, dim)))

    def build(loc, cov):
        if parameterization == "scale_tril":
            kw = {"scale_tril": np.linalg.cholesky(cov).astype(dtype)}
        elif parameterization == "covariance_matrix":
            kw = {"covariance_matrix": cov.astype(dtype)}
        else:
            kw = {"precision_matrix": np.linalg.inv(cov).astype(dtype)}
        return _gd().MultivariateNormal(loc=loc, **kw)

    return st.builds(
        build, finite_arrays(shape=shape + (dim,), dtype=dtype, min_value=-5, max_value=5), covs
    )


def multivariate_normal_diags(*, dim: int = 3, batch_shape=(), dtype=np.float64):
    """``MultivariateNormalDiag(loc, scale_diag)``: loc in [-5, 5], scale_diag in [0.1, 10]."""
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return st.builds(
        lambda l, s: _gd().MultivariateNormalDiag(loc=l, scale_diag=s),
        finite_arrays(shape=shape + (dim,), dtype=dtype, min_value=-5, max_value=5),
        positive_arrays(shape=shape + (dim,), dtype=dtype, min_value=0.1, max_value=10),
    )


def low_rank_multivariate_normals(*, dim: int = 4, rank: int = 2, batch_shape=(), dtype=np.float64):
    """``LowRankMultivariateNormal(loc, cov_factor, cov_diag)``, factor entries in [-2, 2]."""
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return st.builds(
        lambda l, w, d: _gd().LowRankMultivariateNormal(loc=l, cov_factor=w, cov_diag=d),
        finite_arrays(shape=shape + (dim,), dtype=dtype, min_value=-5, max_value=5),
        finite_arrays(shape=shape + (dim, rank), dtype=dtype, min_value=-2, max_value=2),
        positive_arrays(shape=shape + (dim,), dtype=dtype, min_value=0.1, max_value=10),
    )


def dirichlets(*, dim: int = 3, batch_shape=(), dtype=np.float64, concentration=(0.3, 20.0)):
    """``Dirichlet(concentration)`` with entries log-uniform on ``concentration``."""
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return positive_arrays(
        shape=shape + (dim,), dtype=dtype, min_value=concentration[0], max_value=concentration[1]
    ).map(lambda c: _gd().Dirichlet(concentration=c))


def mixtures_of_normals(*, num_components: int = 3, batch_shape=(), dtype=np.float64):
    """``MixtureSameFamily(mixture_logits, Normal(...))`` with ``num_components`` components."""
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    k = (num_components,)
    return st.builds(
        lambda w, comp: _gd().MixtureSameFamily(mixture_logits=w, components=comp),
        finite_arrays(shape=shape + k, dtype=dtype, min_value=-3, max_value=3),
        normals(batch_shape=shape + k, dtype=dtype, loc=(-5.0, 5.0), scale=(0.3, 3.0)),
    )
