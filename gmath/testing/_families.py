"""Hypothesis strategies of distribution records, one per family.

Each strategy draws parameters over a documented domain where the family is well conditioned
(no density spanning 300 orders of magnitude), with ``batch_shape`` and ``dtype`` keyword-only.
They are the domains of gmath's own tests and accuracy table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from numpy.typing import DTypeLike

from gmath.testing._arrays import (
    _check_dtype,
    _check_shape,
    finite_arrays,
    positive_arrays,
    simplex_points,
    spd_matrices,
)

if TYPE_CHECKING:
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


def _loc_scale(
    family: str,
    *,
    batch_shape,
    dtype,
    loc: tuple[float, float] = (-10.0, 10.0),
    scale: tuple[float, float] = (0.1, 10.0),
):
    shape = _check_shape(batch_shape)
    dtype = _check_dtype(dtype)
    return st.builds(
        lambda l, s: getattr(_gd(), family)(loc=l, scale=s),
        finite_arrays(shape=shape, dtype=dtype, min_value=loc[0], max_value=loc[1]),
        positive_arrays(shape=shape, dtype=dtype, min_value=scale[0], max_value=scale[1]),
    )


def normals(
    *,
    batch_shape: tuple[int, ...] = (),
    dtype: DTypeLike = np.float64,
    loc: tuple[float, float] = (-10.0, 10.0),
    scale: tuple[float, float] = (0.1, 10.0),
) -> st.SearchStrategy[Normal]:
    """``Normal(loc, scale)`` records; ``loc`` uniform and ``scale`` log-uniform on the ranges.

    Args:
      batch_shape: batch shape of the drawn records (a tuple; ``()`` for one law).
      dtype: float dtype of the parameters, ``np.float64`` or ``np.float32``.
      loc: ``(low, high)`` range of ``loc`` (uniform).
      scale: ``(low, high)`` range of ``scale`` (log-uniform).

    Returns:
      A Hypothesis ``SearchStrategy`` of :class:`gmath.densities.Normal` records with
      ``batch_shape`` and parameters of ``dtype`` (a test domain, not a prior: no claim is
      made about the distribution of the draws beyond their ranges).

    Examples:
      >>> from hypothesis import find
      >>> p = find(normals(batch_shape=(2,)), lambda p: True)
      >>> type(p).__name__, p.batch_shape
      ('Normal', (2,))
    """
    return _loc_scale("Normal", batch_shape=batch_shape, dtype=dtype, loc=loc, scale=scale)


def log_normals(
    *, batch_shape: tuple[int, ...] = (), dtype: DTypeLike = np.float64
) -> st.SearchStrategy[LogNormal]:
    """``LogNormal(loc, scale)`` with loc in [-2, 2], scale in [0.1, 2].

    Args:
      batch_shape: batch shape of the drawn records (a tuple; ``()`` for one law).
      dtype: float dtype of the parameters, ``np.float64`` or ``np.float32``.

    Returns:
      A Hypothesis ``SearchStrategy`` of :class:`gmath.densities.LogNormal` records with
      ``batch_shape`` and parameters of ``dtype`` (a test domain, not a prior: no claim is
      made about the distribution of the draws beyond their ranges).

    Examples:
      >>> from hypothesis import find
      >>> p = find(log_normals(batch_shape=(2,)), lambda p: True)
      >>> type(p).__name__, p.batch_shape
      ('LogNormal', (2,))
    """
    return _loc_scale(
        "LogNormal", batch_shape=batch_shape, dtype=dtype, loc=(-2, 2), scale=(0.1, 2)
    )


def cauchys(
    *, batch_shape: tuple[int, ...] = (), dtype: DTypeLike = np.float64
) -> st.SearchStrategy[Cauchy]:
    """``Cauchy(loc, scale)`` with loc in [-10, 10], scale in [0.1, 10].

    Args:
      batch_shape: batch shape of the drawn records (a tuple; ``()`` for one law).
      dtype: float dtype of the parameters, ``np.float64`` or ``np.float32``.

    Returns:
      A Hypothesis ``SearchStrategy`` of :class:`gmath.densities.Cauchy` records with
      ``batch_shape`` and parameters of ``dtype`` (a test domain, not a prior: no claim is
      made about the distribution of the draws beyond their ranges).

    Examples:
      >>> from hypothesis import find
      >>> p = find(cauchys(batch_shape=(2,)), lambda p: True)
      >>> type(p).__name__, p.batch_shape
      ('Cauchy', (2,))
    """
    return _loc_scale("Cauchy", batch_shape=batch_shape, dtype=dtype)


def laplaces(
    *, batch_shape: tuple[int, ...] = (), dtype: DTypeLike = np.float64
) -> st.SearchStrategy[Laplace]:
    """``Laplace(loc, scale)`` with loc in [-10, 10], scale in [0.1, 10].

    Args:
      batch_shape: batch shape of the drawn records (a tuple; ``()`` for one law).
      dtype: float dtype of the parameters, ``np.float64`` or ``np.float32``.

    Returns:
      A Hypothesis ``SearchStrategy`` of :class:`gmath.densities.Laplace` records with
      ``batch_shape`` and parameters of ``dtype`` (a test domain, not a prior: no claim is
      made about the distribution of the draws beyond their ranges).

    Examples:
      >>> from hypothesis import find
      >>> p = find(laplaces(batch_shape=(2,)), lambda p: True)
      >>> type(p).__name__, p.batch_shape
      ('Laplace', (2,))
    """
    return _loc_scale("Laplace", batch_shape=batch_shape, dtype=dtype)


def logistics(
    *, batch_shape: tuple[int, ...] = (), dtype: DTypeLike = np.float64
) -> st.SearchStrategy[Logistic]:
    """``Logistic(loc, scale)`` with loc in [-10, 10], scale in [0.1, 10].

    Args:
      batch_shape: batch shape of the drawn records (a tuple; ``()`` for one law).
      dtype: float dtype of the parameters, ``np.float64`` or ``np.float32``.

    Returns:
      A Hypothesis ``SearchStrategy`` of :class:`gmath.densities.Logistic` records with
      ``batch_shape`` and parameters of ``dtype`` (a test domain, not a prior: no claim is
      made about the distribution of the draws beyond their ranges).

    Examples:
      >>> from hypothesis import find
      >>> p = find(logistics(batch_shape=(2,)), lambda p: True)
      >>> type(p).__name__, p.batch_shape
      ('Logistic', (2,))
    """
    return _loc_scale("Logistic", batch_shape=batch_shape, dtype=dtype)


def gumbels(
    *, batch_shape: tuple[int, ...] = (), dtype: DTypeLike = np.float64
) -> st.SearchStrategy[Gumbel]:
    """``Gumbel(loc, scale)`` with loc in [-10, 10], scale in [0.1, 10].

    Args:
      batch_shape: batch shape of the drawn records (a tuple; ``()`` for one law).
      dtype: float dtype of the parameters, ``np.float64`` or ``np.float32``.

    Returns:
      A Hypothesis ``SearchStrategy`` of :class:`gmath.densities.Gumbel` records with
      ``batch_shape`` and parameters of ``dtype`` (a test domain, not a prior: no claim is
      made about the distribution of the draws beyond their ranges).

    Examples:
      >>> from hypothesis import find
      >>> p = find(gumbels(batch_shape=(2,)), lambda p: True)
      >>> type(p).__name__, p.batch_shape
      ('Gumbel', (2,))
    """
    return _loc_scale("Gumbel", batch_shape=batch_shape, dtype=dtype)


def half_normals(
    *, batch_shape: tuple[int, ...] = (), dtype: DTypeLike = np.float64
) -> st.SearchStrategy[HalfNormal]:
    """``HalfNormal(scale)`` with scale in [0.1, 10].

    Args:
      batch_shape: batch shape of the drawn records (a tuple; ``()`` for one law).
      dtype: float dtype of the parameters, ``np.float64`` or ``np.float32``.

    Returns:
      A Hypothesis ``SearchStrategy`` of :class:`gmath.densities.HalfNormal` records with
      ``batch_shape`` and parameters of ``dtype`` (a test domain, not a prior: no claim is
      made about the distribution of the draws beyond their ranges).

    Examples:
      >>> from hypothesis import find
      >>> p = find(half_normals(batch_shape=(2,)), lambda p: True)
      >>> type(p).__name__, p.batch_shape
      ('HalfNormal', (2,))
    """
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return positive_arrays(shape=shape, dtype=dtype, min_value=0.1, max_value=10.0).map(
        lambda s: _gd().HalfNormal(scale=s)
    )


def truncated_normals(
    *, batch_shape: tuple[int, ...] = (), dtype: DTypeLike = np.float64
) -> st.SearchStrategy[TruncatedNormal]:
    """``TruncatedNormal(loc, scale, low, high)`` records with a well-conditioned window.

    loc in [-5, 5], scale in [0.1, 5], and bounds ``low = loc + a scale``,
    ``high = low + w scale`` with a in [-4, 2] and w in [0.1, 6] (standardised window
    :math:`[a, a + w]`).

    Args:
      batch_shape: batch shape of the drawn records (a tuple; ``()`` for one law).
      dtype: float dtype of the parameters, ``np.float64`` or ``np.float32``.

    Returns:
      A Hypothesis ``SearchStrategy`` of :class:`gmath.densities.TruncatedNormal` records with
      ``batch_shape`` and parameters of ``dtype`` (a test domain, not a prior: no claim is
      made about the distribution of the draws beyond their ranges).

    Examples:
      >>> from hypothesis import find
      >>> p = find(truncated_normals(batch_shape=(2,)), lambda p: True)
      >>> type(p).__name__, p.batch_shape
      ('TruncatedNormal', (2,))
    """
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


def student_ts(
    *,
    batch_shape: tuple[int, ...] = (),
    dtype: DTypeLike = np.float64,
    df: tuple[float, float] = (0.5, 30.0),
) -> st.SearchStrategy[StudentT]:
    """``StudentT(df, loc, scale)`` records: df log-uniform on ``df``, loc in [-10, 10].

    scale in [0.1, 10], log-uniform.

    Args:
      batch_shape: batch shape of the drawn records (a tuple; ``()`` for one law).
      dtype: float dtype of the parameters, ``np.float64`` or ``np.float32``.
      df: ``(low, high)`` range of the degrees of freedom (log-uniform).

    Returns:
      A Hypothesis ``SearchStrategy`` of :class:`gmath.densities.StudentT` records with
      ``batch_shape`` and parameters of ``dtype`` (a test domain, not a prior: no claim is
      made about the distribution of the draws beyond their ranges).

    Examples:
      >>> from hypothesis import find
      >>> p = find(student_ts(batch_shape=(2,)), lambda p: True)
      >>> type(p).__name__, p.batch_shape
      ('StudentT', (2,))
    """
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return st.builds(
        lambda d, l, s: _gd().StudentT(df=d, loc=l, scale=s),
        positive_arrays(shape=shape, dtype=dtype, min_value=df[0], max_value=df[1]),
        finite_arrays(shape=shape, dtype=dtype, min_value=-10, max_value=10),
        positive_arrays(shape=shape, dtype=dtype, min_value=0.1, max_value=10),
    )


def exponentials(
    *, batch_shape: tuple[int, ...] = (), dtype: DTypeLike = np.float64
) -> st.SearchStrategy[Exponential]:
    """``Exponential(rate)`` with rate in [0.1, 10].

    Args:
      batch_shape: batch shape of the drawn records (a tuple; ``()`` for one law).
      dtype: float dtype of the parameters, ``np.float64`` or ``np.float32``.

    Returns:
      A Hypothesis ``SearchStrategy`` of :class:`gmath.densities.Exponential` records with
      ``batch_shape`` and parameters of ``dtype`` (a test domain, not a prior: no claim is
      made about the distribution of the draws beyond their ranges).

    Examples:
      >>> from hypothesis import find
      >>> p = find(exponentials(batch_shape=(2,)), lambda p: True)
      >>> type(p).__name__, p.batch_shape
      ('Exponential', (2,))
    """
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return positive_arrays(shape=shape, dtype=dtype, min_value=0.1, max_value=10).map(
        lambda r: _gd().Exponential(rate=r)
    )


def gammas(
    *,
    batch_shape: tuple[int, ...] = (),
    dtype: DTypeLike = np.float64,
    concentration: tuple[float, float] = (0.2, 50.0),
    rate: tuple[float, float] = (0.1, 10.0),
) -> st.SearchStrategy[Gamma]:
    """``Gamma(concentration, rate)`` with both log-uniform on the given ranges.

    Args:
      batch_shape: batch shape of the drawn records (a tuple; ``()`` for one law).
      dtype: float dtype of the parameters, ``np.float64`` or ``np.float32``.
      concentration: ``(low, high)`` range of the shape (log-uniform).
      rate: ``(low, high)`` range of the rate (log-uniform).

    Returns:
      A Hypothesis ``SearchStrategy`` of :class:`gmath.densities.Gamma` records with
      ``batch_shape`` and parameters of ``dtype`` (a test domain, not a prior: no claim is
      made about the distribution of the draws beyond their ranges).

    Examples:
      >>> from hypothesis import find
      >>> p = find(gammas(batch_shape=(2,)), lambda p: True)
      >>> type(p).__name__, p.batch_shape
      ('Gamma', (2,))
    """
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return st.builds(
        lambda c, r: _gd().Gamma(concentration=c, rate=r),
        positive_arrays(
            shape=shape, dtype=dtype, min_value=concentration[0], max_value=concentration[1]
        ),
        positive_arrays(shape=shape, dtype=dtype, min_value=rate[0], max_value=rate[1]),
    )


def betas(
    *,
    batch_shape: tuple[int, ...] = (),
    dtype: DTypeLike = np.float64,
    concentration: tuple[float, float] = (0.2, 20.0),
) -> st.SearchStrategy[Beta]:
    """``Beta(concentration1, concentration0)``, each log-uniform on ``concentration``.

    Args:
      batch_shape: batch shape of the drawn records (a tuple; ``()`` for one law).
      dtype: float dtype of the parameters, ``np.float64`` or ``np.float32``.
      concentration: ``(low, high)`` range of both concentrations (log-uniform).

    Returns:
      A Hypothesis ``SearchStrategy`` of :class:`gmath.densities.Beta` records with
      ``batch_shape`` and parameters of ``dtype`` (a test domain, not a prior: no claim is
      made about the distribution of the draws beyond their ranges).

    Examples:
      >>> from hypothesis import find
      >>> p = find(betas(batch_shape=(2,)), lambda p: True)
      >>> type(p).__name__, p.batch_shape
      ('Beta', (2,))
    """
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    c = positive_arrays(
        shape=shape, dtype=dtype, min_value=concentration[0], max_value=concentration[1]
    )
    return st.builds(lambda a, b: _gd().Beta(concentration1=a, concentration0=b), c, c)


def uniforms(
    *, batch_shape: tuple[int, ...] = (), dtype: DTypeLike = np.float64
) -> st.SearchStrategy[Uniform]:
    """``Uniform(low, high)``: low in [-10, 10], width in [0.1, 10].

    Args:
      batch_shape: batch shape of the drawn records (a tuple; ``()`` for one law).
      dtype: float dtype of the parameters, ``np.float64`` or ``np.float32``.

    Returns:
      A Hypothesis ``SearchStrategy`` of :class:`gmath.densities.Uniform` records with
      ``batch_shape`` and parameters of ``dtype`` (a test domain, not a prior: no claim is
      made about the distribution of the draws beyond their ranges).

    Examples:
      >>> from hypothesis import find
      >>> p = find(uniforms(batch_shape=(2,)), lambda p: True)
      >>> type(p).__name__, p.batch_shape
      ('Uniform', (2,))
    """
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return st.builds(
        lambda lo, w: _gd().Uniform(low=lo, high=(lo + w).astype(dtype)),
        finite_arrays(shape=shape, dtype=dtype, min_value=-10, max_value=10),
        positive_arrays(shape=shape, dtype=dtype, min_value=0.1, max_value=10),
    )


def von_mises(
    *,
    batch_shape: tuple[int, ...] = (),
    dtype: DTypeLike = np.float64,
    concentration: tuple[float, float] = (0.01, 50.0),
) -> st.SearchStrategy[VonMises]:
    r"""``VonMises(loc, concentration)``: loc in [-pi, pi], concentration log-uniform.

    Args:
      batch_shape: batch shape of the drawn records (a tuple; ``()`` for one law).
      dtype: float dtype of the parameters, ``np.float64`` or ``np.float32``.
      concentration: ``(low, high)`` range of :math:`\kappa` (log-uniform).

    Returns:
      A Hypothesis ``SearchStrategy`` of :class:`gmath.densities.VonMises` records with
      ``batch_shape`` and parameters of ``dtype`` (a test domain, not a prior: no claim is
      made about the distribution of the draws beyond their ranges).

    Examples:
      >>> from hypothesis import find
      >>> p = find(von_mises(batch_shape=(2,)), lambda p: True)
      >>> type(p).__name__, p.batch_shape
      ('VonMises', (2,))
    """
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


def bernoullis(
    *, batch_shape: tuple[int, ...] = (), dtype: DTypeLike = np.float64
) -> st.SearchStrategy[Bernoulli]:
    """``Bernoulli`` by ``logits`` in [-10, 10] or ``probs`` in [0.01, 0.99] (either spelling).

    Args:
      batch_shape: batch shape of the drawn records (a tuple; ``()`` for one law).
      dtype: float dtype of the parameters, ``np.float64`` or ``np.float32``.

    Returns:
      A Hypothesis ``SearchStrategy`` of :class:`gmath.densities.Bernoulli` records with
      ``batch_shape`` and parameters of ``dtype`` (a test domain, not a prior: no claim is
      made about the distribution of the draws beyond their ranges).

    Examples:
      >>> from hypothesis import find
      >>> p = find(bernoullis(batch_shape=(2,)), lambda p: True)
      >>> type(p).__name__, p.batch_shape
      ('Bernoulli', (2,))
    """
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return _logits_or_probs(
        "Bernoulli",
        finite_arrays(shape=shape, dtype=dtype, min_value=-10, max_value=10),
        finite_arrays(shape=shape, dtype=dtype, min_value=0.01, max_value=0.99),
    )


def geometrics(
    *, batch_shape: tuple[int, ...] = (), dtype: DTypeLike = np.float64
) -> st.SearchStrategy[Geometric]:
    """``Geometric`` by ``logits`` in [-5, 5] or ``probs`` in [0.05, 0.95].

    Args:
      batch_shape: batch shape of the drawn records (a tuple; ``()`` for one law).
      dtype: float dtype of the parameters, ``np.float64`` or ``np.float32``.

    Returns:
      A Hypothesis ``SearchStrategy`` of :class:`gmath.densities.Geometric` records with
      ``batch_shape`` and parameters of ``dtype`` (a test domain, not a prior: no claim is
      made about the distribution of the draws beyond their ranges).

    Examples:
      >>> from hypothesis import find
      >>> p = find(geometrics(batch_shape=(2,)), lambda p: True)
      >>> type(p).__name__, p.batch_shape
      ('Geometric', (2,))
    """
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return _logits_or_probs(
        "Geometric",
        finite_arrays(shape=shape, dtype=dtype, min_value=-5, max_value=5),
        finite_arrays(shape=shape, dtype=dtype, min_value=0.05, max_value=0.95),
    )


def categoricals(
    *, num_categories: int = 4, batch_shape: tuple[int, ...] = (), dtype: DTypeLike = np.float64
) -> st.SearchStrategy[Categorical]:
    r"""``Categorical`` over ``num_categories`` by ``logits`` in [-10, 10] or simplex ``probs``.

    Args:
      num_categories: number of categories :math:`K \ge 1` (the event axis of
        ``logits``/``probs``).
      batch_shape: batch shape of the drawn records (a tuple; ``()`` for one law).
      dtype: float dtype of the parameters, ``np.float64`` or ``np.float32``.

    Returns:
      A Hypothesis ``SearchStrategy`` of :class:`gmath.densities.Categorical` records with
      ``batch_shape`` and parameters of ``dtype`` (a test domain, not a prior: no claim is
      made about the distribution of the draws beyond their ranges).

    Examples:
      >>> from hypothesis import find
      >>> p = find(categoricals(batch_shape=(2,)), lambda p: True)
      >>> type(p).__name__, p.batch_shape
      ('Categorical', (2,))
    """
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


def binomials(
    *, batch_shape: tuple[int, ...] = (), dtype: DTypeLike = np.float64, max_count: int = 50
) -> st.SearchStrategy[Binomial]:
    """``Binomial(total_count, logits=|probs=)`` with total_count in [1, max_count].

    Args:
      batch_shape: batch shape of the drawn records (a tuple; ``()`` for one law).
      dtype: float dtype of the parameters, ``np.float64`` or ``np.float32``.
      max_count: largest ``total_count`` (shared by the batch, drawn in ``[1, max_count]``).

    Returns:
      A Hypothesis ``SearchStrategy`` of :class:`gmath.densities.Binomial` records with
      ``batch_shape`` and parameters of ``dtype`` (a test domain, not a prior: no claim is
      made about the distribution of the draws beyond their ranges).

    Examples:
      >>> from hypothesis import find
      >>> p = find(binomials(batch_shape=(2,)), lambda p: True)
      >>> type(p).__name__, p.batch_shape
      ('Binomial', (2,))
    """
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return st.integers(1, max_count).flatmap(
        lambda n: _logits_or_probs(
            "Binomial",
            finite_arrays(shape=shape, dtype=dtype, min_value=-5, max_value=5),
            finite_arrays(shape=shape, dtype=dtype, min_value=0.02, max_value=0.98),
            extra={"total_count": np.asarray(n, dtype)},
        )
    )


def poissons(
    *,
    batch_shape: tuple[int, ...] = (),
    dtype: DTypeLike = np.float64,
    rate: tuple[float, float] = (0.1, 50.0),
) -> st.SearchStrategy[Poisson]:
    """``Poisson(rate)`` with rate log-uniform on ``rate``.

    Args:
      batch_shape: batch shape of the drawn records (a tuple; ``()`` for one law).
      dtype: float dtype of the parameters, ``np.float64`` or ``np.float32``.
      rate: ``(low, high)`` range of the rate (log-uniform).

    Returns:
      A Hypothesis ``SearchStrategy`` of :class:`gmath.densities.Poisson` records with
      ``batch_shape`` and parameters of ``dtype`` (a test domain, not a prior: no claim is
      made about the distribution of the draws beyond their ranges).

    Examples:
      >>> from hypothesis import find
      >>> p = find(poissons(batch_shape=(2,)), lambda p: True)
      >>> type(p).__name__, p.batch_shape
      ('Poisson', (2,))
    """
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return positive_arrays(shape=shape, dtype=dtype, min_value=rate[0], max_value=rate[1]).map(
        lambda r: _gd().Poisson(rate=r)
    )


def multivariate_normals(
    *,
    dim: int = 3,
    batch_shape: tuple[int, ...] = (),
    dtype: DTypeLike = np.float64,
    parameterization: str = "scale_tril",
) -> st.SearchStrategy[MultivariateNormal]:
    r"""``MultivariateNormal(loc, scale_tril=|covariance_matrix=|precision_matrix=)``.

    loc in [-5, 5]; covariances :math:`Q\operatorname{diag}(\lambda)Q^\top` with eigenvalues
    log-uniform in [0.1, 10] (condition number at most 100), see :func:`spd_matrices`.

    Args:
      dim: event dimension :math:`d`.
      batch_shape: batch shape of the drawn records (a tuple; ``()`` for one law).
      dtype: float dtype of the parameters, ``np.float64`` or ``np.float32``.
      parameterization: which matrix the record is given: ``"scale_tril"``,
        ``"covariance_matrix"`` or ``"precision_matrix"``.

    Returns:
      A Hypothesis ``SearchStrategy`` of :class:`gmath.densities.MultivariateNormal` records with
      ``batch_shape`` and parameters of ``dtype`` (a test domain, not a prior: no claim is
      made about the distribution of the draws beyond their ranges).

    Examples:
      >>> from hypothesis import find
      >>> p = find(multivariate_normals(batch_shape=(2,)), lambda p: True)
      >>> type(p).__name__, p.batch_shape, p.event_shape
      ('MultivariateNormal', (2,), (3,))
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


def multivariate_normal_diags(
    *, dim: int = 3, batch_shape: tuple[int, ...] = (), dtype: DTypeLike = np.float64
) -> st.SearchStrategy[MultivariateNormalDiag]:
    """``MultivariateNormalDiag(loc, scale_diag)``: loc in [-5, 5], scale_diag in [0.1, 10].

    Args:
      dim: event dimension :math:`d`.
      batch_shape: batch shape of the drawn records (a tuple; ``()`` for one law).
      dtype: float dtype of the parameters, ``np.float64`` or ``np.float32``.

    Returns:
      A Hypothesis ``SearchStrategy`` of :class:`gmath.densities.MultivariateNormalDiag`
      records with ``batch_shape`` and parameters of ``dtype`` (a test domain, not a prior: no
      claim is made about the distribution of the draws beyond their ranges).

    Examples:
      >>> from hypothesis import find
      >>> p = find(multivariate_normal_diags(batch_shape=(2,)), lambda p: True)
      >>> type(p).__name__, p.batch_shape, p.event_shape
      ('MultivariateNormalDiag', (2,), (3,))
    """
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return st.builds(
        lambda l, s: _gd().MultivariateNormalDiag(loc=l, scale_diag=s),
        finite_arrays(shape=shape + (dim,), dtype=dtype, min_value=-5, max_value=5),
        positive_arrays(shape=shape + (dim,), dtype=dtype, min_value=0.1, max_value=10),
    )


def low_rank_multivariate_normals(
    *, dim: int = 4, rank: int = 2, batch_shape: tuple[int, ...] = (), dtype: DTypeLike = np.float64
) -> st.SearchStrategy[LowRankMultivariateNormal]:
    """``LowRankMultivariateNormal(loc, cov_factor, cov_diag)``, factor entries in [-2, 2].

    Args:
      dim: event dimension :math:`d`.
      rank: number of columns :math:`r` of ``cov_factor``.
      batch_shape: batch shape of the drawn records (a tuple; ``()`` for one law).
      dtype: float dtype of the parameters, ``np.float64`` or ``np.float32``.

    Returns:
      A Hypothesis ``SearchStrategy`` of :class:`gmath.densities.LowRankMultivariateNormal`
      records with ``batch_shape`` and parameters of ``dtype`` (a test domain, not a prior: no
      claim is made about the distribution of the draws beyond their ranges).

    Examples:
      >>> from hypothesis import find
      >>> p = find(low_rank_multivariate_normals(batch_shape=(2,)), lambda p: True)
      >>> type(p).__name__, p.batch_shape, p.event_shape
      ('LowRankMultivariateNormal', (2,), (4,))
    """
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return st.builds(
        lambda l, w, d: _gd().LowRankMultivariateNormal(loc=l, cov_factor=w, cov_diag=d),
        finite_arrays(shape=shape + (dim,), dtype=dtype, min_value=-5, max_value=5),
        finite_arrays(shape=shape + (dim, rank), dtype=dtype, min_value=-2, max_value=2),
        positive_arrays(shape=shape + (dim,), dtype=dtype, min_value=0.1, max_value=10),
    )


def dirichlets(
    *,
    dim: int = 3,
    batch_shape: tuple[int, ...] = (),
    dtype: DTypeLike = np.float64,
    concentration: tuple[float, float] = (0.3, 20.0),
) -> st.SearchStrategy[Dirichlet]:
    """``Dirichlet(concentration)`` with entries log-uniform on ``concentration``.

    Args:
      dim: number of categories :math:`K` (the event dimension).
      batch_shape: batch shape of the drawn records (a tuple; ``()`` for one law).
      dtype: float dtype of the parameters, ``np.float64`` or ``np.float32``.
      concentration: ``(low, high)`` range of the entries (log-uniform).

    Returns:
      A Hypothesis ``SearchStrategy`` of :class:`gmath.densities.Dirichlet` records with
      ``batch_shape`` and parameters of ``dtype`` (a test domain, not a prior: no claim is
      made about the distribution of the draws beyond their ranges).

    Examples:
      >>> from hypothesis import find
      >>> p = find(dirichlets(batch_shape=(2,)), lambda p: True)
      >>> type(p).__name__, p.batch_shape, p.event_shape
      ('Dirichlet', (2,), (3,))
    """
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    return positive_arrays(
        shape=shape + (dim,), dtype=dtype, min_value=concentration[0], max_value=concentration[1]
    ).map(lambda c: _gd().Dirichlet(concentration=c))


def mixtures_of_normals(
    *, num_components: int = 3, batch_shape: tuple[int, ...] = (), dtype: DTypeLike = np.float64
) -> st.SearchStrategy[MixtureSameFamily]:
    """``MixtureSameFamily(mixture_logits, Normal(...))`` with ``num_components`` components.

    Args:
      num_components: number of components :math:`K`; logits in [-3, 3], component
        ``loc`` in [-5, 5] and ``scale`` in [0.3, 3].
      batch_shape: batch shape of the drawn records (a tuple; ``()`` for one law).
      dtype: float dtype of the parameters, ``np.float64`` or ``np.float32``.

    Returns:
      A Hypothesis ``SearchStrategy`` of :class:`gmath.densities.MixtureSameFamily` records with
      ``batch_shape`` and parameters of ``dtype`` (a test domain, not a prior: no claim is
      made about the distribution of the draws beyond their ranges).

    Examples:
      >>> from hypothesis import find
      >>> p = find(mixtures_of_normals(batch_shape=(2,)), lambda p: True)
      >>> type(p).__name__, p.batch_shape
      ('MixtureSameFamily', (2,))
    """
    shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
    k = (num_components,)
    return st.builds(
        lambda w, comp: _gd().MixtureSameFamily(mixture_logits=w, components=comp),
        finite_arrays(shape=shape + k, dtype=dtype, min_value=-3, max_value=3),
        normals(batch_shape=shape + k, dtype=dtype, loc=(-5.0, 5.0), scale=(0.3, 3.0)),
    )
