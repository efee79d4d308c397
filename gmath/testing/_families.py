"""Hypothesis strategies of distribution records, one per family, built from one table.

Each strategy draws parameters over a documented domain where the family is well conditioned
(no density spanning 300 orders of magnitude), with ``batch_shape`` and ``dtype`` keyword-only.
They are the domains of gmath's own tests and accuracy table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

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
    return _ROWS["normals"].strategy_for(batch_shape=batch_shape, dtype=dtype, loc=loc, scale=scale)


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
    return _ROWS["log_normals"].strategy_for(batch_shape=batch_shape, dtype=dtype)


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
    return _ROWS["cauchys"].strategy_for(batch_shape=batch_shape, dtype=dtype)


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
    return _ROWS["laplaces"].strategy_for(batch_shape=batch_shape, dtype=dtype)


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
    return _ROWS["logistics"].strategy_for(batch_shape=batch_shape, dtype=dtype)


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
    return _ROWS["gumbels"].strategy_for(batch_shape=batch_shape, dtype=dtype)


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
    return _ROWS["half_normals"].strategy_for(batch_shape=batch_shape, dtype=dtype)


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
    return _ROWS["truncated_normals"].strategy_for(batch_shape=batch_shape, dtype=dtype)


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
    return _ROWS["student_ts"].strategy_for(batch_shape=batch_shape, dtype=dtype, df=df)


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
    return _ROWS["exponentials"].strategy_for(batch_shape=batch_shape, dtype=dtype)


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
    return _ROWS["gammas"].strategy_for(
        batch_shape=batch_shape, dtype=dtype, concentration=concentration, rate=rate
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
    return _ROWS["betas"].strategy_for(
        batch_shape=batch_shape,
        dtype=dtype,
        concentration1=concentration,
        concentration0=concentration,
    )


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
    return _ROWS["uniforms"].strategy_for(batch_shape=batch_shape, dtype=dtype)


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
    return _ROWS["von_mises"].strategy_for(
        batch_shape=batch_shape, dtype=dtype, concentration=concentration
    )


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
    return _ROWS["bernoullis"].strategy_for(batch_shape=batch_shape, dtype=dtype)


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
    return _ROWS["geometrics"].strategy_for(batch_shape=batch_shape, dtype=dtype)


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
    if num_categories < 1:
        raise InvalidArgument(f"num_categories={num_categories} must be >= 1")
    return _ROWS["categoricals"].strategy_for(
        batch_shape=batch_shape, dtype=dtype, num_categories=num_categories
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
    return _ROWS["binomials"].strategy_for(
        batch_shape=batch_shape, dtype=dtype, max_count=max_count
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
    return _ROWS["poissons"].strategy_for(batch_shape=batch_shape, dtype=dtype, rate=rate)


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
    if parameterization not in {"scale_tril", "covariance_matrix", "precision_matrix"}:
        raise InvalidArgument(f"unknown parameterization {parameterization!r}")
    return _ROWS["multivariate_normals"].strategy_for(
        batch_shape=batch_shape, dtype=dtype, dim=dim, parameterization=parameterization
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
    return _ROWS["multivariate_normal_diags"].strategy_for(
        batch_shape=batch_shape, dtype=dtype, dim=dim
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
    return _ROWS["low_rank_multivariate_normals"].strategy_for(
        batch_shape=batch_shape, dtype=dtype, dim=dim, rank=rank
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
    return _ROWS["dirichlets"].strategy_for(
        batch_shape=batch_shape, dtype=dtype, dim=dim, concentration=concentration
    )


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
    return _ROWS["mixtures_of_normals"].strategy_for(
        batch_shape=batch_shape, dtype=dtype, num_components=num_components
    )


# ---------------------------------------------------------------------------- the table


@dataclasses.dataclass(frozen=True)
class Param:
    """One drawn parameter of a family row.

    ``kind``: ``"uniform"`` (:func:`finite_arrays` on ``[low, high]``), ``"log"``
    (:func:`positive_arrays`, log-uniform), ``"simplex"`` (:func:`simplex_points` with smallest
    entry ``low / K``), ``"spd"`` (:func:`spd_matrices` with eigenvalues in ``[low, high]``,
    drawn in float64), ``"count"`` (one integer in ``[low, high]`` shared by the batch) or
    ``"normals"`` (a batch of :func:`normals` records with ``loc`` and ``scale`` in
    ``low`` and ``high``). ``event`` lists the trailing dimensions (ints, or names of the
    strategy's options such as ``"dim"``). ``float32`` overrides ``(low, high)`` for float32
    parameters (``None``: the same range).
    """

    name: str
    low: Any
    high: Any
    kind: str = "uniform"
    event: tuple[Any, ...] = ()
    float32: tuple[float, float] | None = None

    def range(self, dtype) -> tuple[Any, Any]:
        if self.float32 is not None and np.dtype(dtype) == np.float32:
            return self.float32
        return self.low, self.high


@dataclasses.dataclass(frozen=True)
class FamilyRow:
    """One family: its public strategy's name, the record class, the drawn parameters with their
    ranges, the support, and how drawn values become constructor arguments.

    ``support`` is one of ``"real"``, ``"positive"``, ``"unit"`` (:math:`[0, 1]`),
    ``"interval"`` (``[low, high]`` of the record), ``"circle"``, ``"counts"``
    (:math:`\\{0, 1, \\dots\\}`), ``"binary"``, ``"categories"``, ``"vector"`` (:math:`\\mathbb
    R^d`) or ``"simplex"``. ``alternatives`` names groups of parameters of which exactly one is
    passed (``logits`` or ``probs``; the strategy draws which). ``build`` maps the drawn values
    (and the strategy's options) to the constructor's keyword arguments (default: as drawn).
    ``options`` are the strategy's default options (``dim``, ``num_categories``...).

    The oracle columns: ``scipy`` maps a record (float64 parameters) to its float64 reference
    law, a frozen ``scipy.stats`` distribution or an object with the same methods (``logpdf``
    or ``logpmf``, ``cdf``, ``logcdf``, ``logsf``, ``ppf``, ``entropy``, ``mean``, ``var``) for
    the laws scipy has no batched form of; ``methods`` names the methods the family defines
    beyond ``log_prob``, ``prob``, ``sample`` and the moments (``"score"``, ``"cdf"`` for all
    three CDF methods, ``"icdf"``).
    """

    strategy: str
    family: str
    params: tuple[Param, ...]
    support: str
    alternatives: tuple[tuple[str, ...], ...] = ()
    build: Callable[..., dict[str, Any]] | None = None
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    scipy: Callable[[Any], Any] | None = None
    methods: tuple[str, ...] = ("score", "cdf", "icdf")

    @property
    def discrete(self) -> bool:
        """Whether the support is discrete (a pmf: no score, no CDF methods here)."""
        return self.support in _DISCRETE

    @property
    def cls(self):
        return getattr(_gd(), self.family)

    def strategy_for(
        self, *, batch_shape=(), dtype: DTypeLike = np.float64, **overrides
    ) -> st.SearchStrategy:
        """The Hypothesis strategy of this row; ``overrides`` replace parameter ranges (by
        parameter name, a ``(low, high)`` pair) or options (``dim``...)."""
        shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
        options = {**self.options}
        ranges: dict[str, tuple[Any, Any]] = {}
        names = {p.name for p in self.params}
        for key, value in overrides.items():
            if key in names:
                ranges[key] = value
            else:
                options[key] = value
        drawn = {
            p.name: _param_strategy(p, shape, dtype, options, ranges.get(p.name))
            for p in self.params
        }

        def make(values, group):
            kwargs = dict(values)
            if group is not None:
                for other in self.alternatives:
                    if other is not group:
                        for name in other:
                            kwargs.pop(name, None)
            if self.build is not None:
                kwargs = self.build(kwargs, dtype=dtype, **options)
            return self.cls(**kwargs)

        values = st.fixed_dictionaries(drawn)
        if not self.alternatives:
            return values.map(lambda v: make(v, None))
        # which spelling (st.booleans: the second group when True, as before the table)
        groups = self.alternatives

        def spelled(second: bool) -> st.SearchStrategy:
            group = groups[int(second)]
            return values.map(lambda v: make(v, group))

        return st.booleans().flatmap(spelled)

    def draw(
        self,
        rng: np.random.Generator,
        *,
        batch_shape=(),
        dtype: DTypeLike = np.float64,
        spelling: int = 0,
        **options,
    ):
        """A record with parameters drawn by ``rng`` (numpy) over the row's ranges: log-uniform
        or uniform like the strategy, the spelling ``alternatives[spelling]``, ``"spd"`` by
        random eigenvectors (for table-driven tests that need no Hypothesis)."""
        shape, dtype = _check_shape(batch_shape), _check_dtype(dtype)
        options = {**self.options, **options}
        values = {p.name: _param_draw(p, rng, shape, dtype, options) for p in self.params}
        for i, other in enumerate(self.alternatives):
            if i != spelling:
                for name in other:
                    values.pop(name, None)
        if self.build is not None:
            values = self.build(values, dtype=dtype, **options)
        return self.cls(**values)


def _event(p: Param, options) -> tuple[int, ...]:
    return tuple(options[e] if isinstance(e, str) else e for e in p.event)


def _param_strategy(p: Param, shape, dtype, options, override) -> st.SearchStrategy:
    low, high = override if override is not None else p.range(dtype)
    full = shape + _event(p, options)
    if p.kind == "uniform":
        return finite_arrays(shape=full, dtype=dtype, min_value=low, max_value=high)
    if p.kind == "log":
        return positive_arrays(shape=full, dtype=dtype, min_value=low, max_value=high)
    if p.kind == "count":
        return st.integers(low, options.get("max_count", high)).map(lambda n: np.asarray(n, dtype))
    if p.kind == "simplex":
        k = full[-1]
        one = simplex_points(dim=k, dtype=dtype, min_prob=low / k)
        if not shape:
            return one
        n = int(np.prod(shape))
        return st.lists(one, min_size=n, max_size=n).map(lambda ps: np.stack(ps).reshape(full))
    if p.kind == "spd":
        dim = full[-1]
        n = int(np.prod(shape))
        one = spd_matrices(dim=dim, dtype=np.float64, min_eigenvalue=low, max_eigenvalue=high)
        return st.lists(one, min_size=n, max_size=n).map(lambda cs: np.stack(cs).reshape(full))
    if p.kind == "normals":
        return _ROWS["normals"].strategy_for(batch_shape=full, dtype=dtype, loc=low, scale=high)
    raise ValueError(f"unknown parameter kind {p.kind!r}")


def _param_draw(p: Param, rng, shape, dtype, options):
    low, high = p.range(dtype)
    full = shape + _event(p, options)
    if p.kind == "uniform":
        return rng.uniform(low, high, full).astype(dtype)
    if p.kind == "log":
        return np.exp(rng.uniform(np.log(low), np.log(high), full)).astype(dtype)
    if p.kind == "count":
        return np.asarray(rng.integers(low, options.get("max_count", high) + 1), dtype)
    if p.kind == "simplex":
        k = full[-1]
        w = rng.dirichlet(np.ones(k), shape)
        return ((1 - low) * w + low / k).astype(dtype)
    if p.kind == "spd":
        dim = full[-1]
        q, _ = np.linalg.qr(rng.standard_normal(shape + (dim, dim)))
        lam = np.exp(rng.uniform(np.log(low), np.log(high), shape + (dim,)))
        return np.einsum("...ij,...j,...kj->...ik", q, lam, q)
    if p.kind == "normals":
        return _ROWS["normals"].draw(rng, batch_shape=full, dtype=dtype)
    raise ValueError(f"unknown parameter kind {p.kind!r}")


def _build_truncated_normal(v, *, dtype):
    low = (v["loc"] + v["a"] * v["scale"]).astype(dtype)
    high = (low + v["w"] * v["scale"]).astype(dtype)
    return {"loc": v["loc"], "scale": v["scale"], "low": low, "high": high}


def _build_uniform(v, *, dtype):
    return {"low": v["low"], "high": (v["low"] + v["width"]).astype(dtype)}


def _build_beta(v, *, dtype):
    return {"concentration1": v["concentration1"], "concentration0": v["concentration0"]}


def _build_multivariate_normal(v, *, dtype, dim, parameterization):
    cov = v["covariance"]
    if parameterization == "scale_tril":
        kw = {"scale_tril": np.linalg.cholesky(cov).astype(dtype)}
    elif parameterization == "covariance_matrix":
        kw = {"covariance_matrix": cov.astype(dtype)}
    else:
        kw = {"precision_matrix": np.linalg.inv(cov).astype(dtype)}
    return {"loc": v["loc"], **kw}


def _build_mixture(v, *, dtype, num_components):
    return {"mixture_logits": v["mixture_logits"], "components": v["components"]}


def _drop_options(v, *, dtype, **options):
    return v


# ---------------------------------------------------------------------------- the oracles
_DISCRETE = ("binary", "counts", "categories")
_NO_CDF: tuple[str, ...] = ()


def _ss():
    import scipy.stats  # type: ignore[import-untyped]

    return scipy.stats


def _np(*values):
    return [np.asarray(v, np.float64) for v in values]


class _Stacked:
    """A batch of scipy laws, one per member of a record's (flat) batch: each method evaluates
    member ``b`` at ``x[..., b, :]`` (the event axes after the batch axis) and stacks."""

    def __init__(self, laws, event_ndims: int):
        self.laws, self.event_ndims = laws, event_ndims

    def _at(self, name, x=None):
        if x is None:
            return np.stack([np.asarray(self._moment(law, name)) for law in self.laws])
        axis = np.ndim(x) - self.event_ndims - 1
        parts = [getattr(law, name)(np.take(x, b, axis=axis)) for b, law in enumerate(self.laws)]
        return np.stack([np.asarray(v) for v in parts], axis=axis)

    @staticmethod
    def _moment(law, name):
        if name == "var" and not hasattr(law, "var"):  # scipy's multivariate normal
            return np.diag(law.cov)
        value = getattr(law, name)
        return value() if callable(value) else value

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *x: self._at(name, *x)


class _NormalMixture:
    r"""A batch of univariate mixtures of normals (``MixtureSameFamily`` of ``Normal``): the law
    by its definition, :math:`p = \sum_k w_k \phi((x - \mu_k)/\sigma_k)/\sigma_k` with
    log-sum-exp, the CDF as the weighted sum of the components' (McLachlan and Peel 2000, ch. 1),
    the quantile by bisection of that CDF."""

    def __init__(self, logits, loc, scale):
        w = np.exp(logits - logits.max(-1, keepdims=True))
        self.w = w / w.sum(-1, keepdims=True)
        self.loc, self.scale = loc, scale

    def _parts(self, name, x):
        return getattr(_ss().norm(self.loc, self.scale), name)(np.asarray(x)[..., None])

    def logpdf(self, x):
        from scipy.special import logsumexp  # type: ignore[import-untyped]

        return logsumexp(self._parts("logpdf", x) + np.log(self.w), axis=-1)

    def pdf(self, x):
        return np.exp(self.logpdf(x))

    def cdf(self, x):
        return np.sum(self.w * self._parts("cdf", x), -1)

    def logcdf(self, x):
        from scipy.special import logsumexp

        return logsumexp(self._parts("logcdf", x) + np.log(self.w), axis=-1)

    def logsf(self, x):
        from scipy.special import logsumexp

        return logsumexp(self._parts("logsf", x) + np.log(self.w), axis=-1)

    def ppf(self, u):
        u = np.asarray(u, np.float64)
        lo = np.broadcast_to(np.min(self.loc - 40 * self.scale, -1), u.shape).copy()
        hi = np.broadcast_to(np.max(self.loc + 40 * self.scale, -1), u.shape).copy()
        for _ in range(200):  # bisection to the float64 spacing
            mid = 0.5 * (lo + hi)
            below = self.cdf(mid) < u
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        return 0.5 * (lo + hi)

    def mean(self):
        return np.sum(self.w * self.loc, -1)

    def var(self):
        second = np.sum(self.w * (self.scale**2 + self.loc**2), -1)
        return second - self.mean() ** 2


def _categorical_oracle(p):
    probs = np.asarray(p.probs_parameter(), np.float64)
    k = probs.shape[-1]
    laws = [_ss().rv_discrete(values=(np.arange(k), row / row.sum())) for row in probs]
    return _Stacked(laws, 0)


def _multivariate_normal_oracle(p):
    loc = np.broadcast_to(np.asarray(p.loc, np.float64), p.batch_shape + p.event_shape)
    cov = np.broadcast_to(np.asarray(p.covariance(), np.float64), loc.shape + p.event_shape[-1:])
    laws = [_ss().multivariate_normal(m, c) for m, c in zip(loc, cov, strict=True)]
    return _Stacked(laws, 1)


class _Dirichlet:
    """scipy's Dirichlet with points on the last axis (scipy reads them on the first)."""

    def __init__(self, alpha):
        self.law = _ss().dirichlet(alpha)

    def logpdf(self, x):
        return self.law.logpdf(np.moveaxis(np.asarray(x), -1, 0))

    def __getattr__(self, name):
        return getattr(self.law, name)


def _dirichlet_oracle(p):
    return _Stacked([_Dirichlet(a) for a in np.asarray(p.concentration, np.float64)], 1)


def _mixture_oracle(p):
    c = p.components
    return _NormalMixture(*_np(p.mixture_logits, c.loc, c.scale))


def _truncated_normal_oracle(p):
    loc, scale, low, high = _np(p.loc, p.scale, p.low, p.high)
    return _ss().truncnorm((low - loc) / scale, (high - loc) / scale, loc, scale)


_SCIPY: dict[str, Callable[[Any], Any]] = {
    "Normal": lambda p: _ss().norm(*_np(p.loc, p.scale)),
    "LogNormal": lambda p: _ss().lognorm(*_np(p.scale), scale=np.exp(_np(p.loc)[0])),
    "Cauchy": lambda p: _ss().cauchy(*_np(p.loc, p.scale)),
    "Laplace": lambda p: _ss().laplace(*_np(p.loc, p.scale)),
    "Logistic": lambda p: _ss().logistic(*_np(p.loc, p.scale)),
    "Gumbel": lambda p: _ss().gumbel_r(*_np(p.loc, p.scale)),
    "HalfNormal": lambda p: _ss().halfnorm(scale=_np(p.scale)[0]),
    "TruncatedNormal": _truncated_normal_oracle,
    "StudentT": lambda p: _ss().t(*_np(p.df, p.loc, p.scale)),
    "Exponential": lambda p: _ss().expon(scale=1 / _np(p.rate)[0]),
    "Gamma": lambda p: _ss().gamma(_np(p.concentration)[0], scale=1 / _np(p.rate)[0]),
    "Beta": lambda p: _ss().beta(*_np(p.concentration1, p.concentration0)),
    "Uniform": lambda p: _ss().uniform(_np(p.low)[0], _np(p.high)[0] - _np(p.low)[0]),
    "VonMises": lambda p: _ss().vonmises(_np(p.concentration)[0], loc=_np(p.loc)[0]),
    "Bernoulli": lambda p: _ss().bernoulli(*_np(p.probs_parameter())),
    "Geometric": lambda p: _ss().nbinom(1, *_np(p.probs_parameter())),
    "Binomial": lambda p: _ss().binom(*_np(p.total_count, p.probs_parameter())),
    "Poisson": lambda p: _ss().poisson(*_np(p.rate)),
    "Categorical": _categorical_oracle,
    "MultivariateNormal": _multivariate_normal_oracle,
    "MultivariateNormalDiag": _multivariate_normal_oracle,
    "LowRankMultivariateNormal": _multivariate_normal_oracle,
    "Dirichlet": _dirichlet_oracle,
    "MixtureSameFamily": _mixture_oracle,
}
_METHODS: dict[str, tuple[str, ...]] = {
    "Bernoulli": _NO_CDF,
    "Geometric": _NO_CDF,
    "Binomial": _NO_CDF,
    "Poisson": _NO_CDF,
    "Categorical": _NO_CDF,
    "MultivariateNormal": ("score",),
    "MultivariateNormalDiag": ("score",),
    "LowRankMultivariateNormal": ("score",),
    "Dirichlet": ("score",),
}


_LOC = Param("loc", -10.0, 10.0)
_SCALE = Param("scale", 0.1, 10.0, "log")
_LOGITS_PROBS = (("logits",), ("probs",))

#: One row per family: the single source of the strategies' parameter ranges and supports.
FAMILY_TABLE: tuple[FamilyRow, ...] = (
    FamilyRow("normals", "Normal", (_LOC, _SCALE), "real"),
    FamilyRow(
        "log_normals", "LogNormal", (Param("loc", -2, 2), Param("scale", 0.1, 2, "log")), "positive"
    ),
    FamilyRow("cauchys", "Cauchy", (_LOC, _SCALE), "real"),
    FamilyRow("laplaces", "Laplace", (_LOC, _SCALE), "real"),
    FamilyRow("logistics", "Logistic", (_LOC, _SCALE), "real"),
    FamilyRow("gumbels", "Gumbel", (_LOC, _SCALE), "real"),
    FamilyRow("half_normals", "HalfNormal", (Param("scale", 0.1, 10.0, "log"),), "positive"),
    FamilyRow(
        "truncated_normals",
        "TruncatedNormal",
        (
            Param("loc", -5, 5),
            Param("scale", 0.1, 5, "log"),
            Param("a", -4, 2),
            Param("w", 0.1, 6),
        ),
        "interval",
        build=_build_truncated_normal,
    ),
    FamilyRow(
        "student_ts",
        "StudentT",
        (Param("df", 0.5, 30.0, "log"), Param("loc", -10, 10), Param("scale", 0.1, 10, "log")),
        "real",
    ),
    FamilyRow("exponentials", "Exponential", (Param("rate", 0.1, 10, "log"),), "positive"),
    FamilyRow(
        "gammas",
        "Gamma",
        (Param("concentration", 0.2, 50.0, "log"), Param("rate", 0.1, 10.0, "log")),
        "positive",
    ),
    FamilyRow(
        "betas",
        "Beta",
        (Param("concentration1", 0.2, 20.0, "log"), Param("concentration0", 0.2, 20.0, "log")),
        "unit",
        build=_build_beta,
    ),
    FamilyRow(
        "uniforms",
        "Uniform",
        (Param("low", -10, 10), Param("width", 0.1, 10, "log")),
        "interval",
        build=_build_uniform,
    ),
    FamilyRow(
        "von_mises",
        "VonMises",
        (Param("loc", -np.pi, np.pi), Param("concentration", 0.01, 50.0, "log")),
        "circle",
    ),
    FamilyRow(
        "bernoullis",
        "Bernoulli",
        (Param("logits", -10, 10), Param("probs", 0.01, 0.99)),
        "binary",
        alternatives=_LOGITS_PROBS,
    ),
    FamilyRow(
        "geometrics",
        "Geometric",
        (Param("logits", -5, 5), Param("probs", 0.05, 0.95)),
        "counts",
        alternatives=_LOGITS_PROBS,
    ),
    FamilyRow(
        "categoricals",
        "Categorical",
        (
            Param("logits", -10, 10, event=("num_categories",)),
            Param("probs", 1e-3, 1.0, "simplex", event=("num_categories",)),
        ),
        "categories",
        alternatives=_LOGITS_PROBS,
        build=_drop_options,
        options={"num_categories": 4},
    ),
    FamilyRow(
        "binomials",
        "Binomial",
        (
            Param("total_count", 1, 50, "count"),
            Param("logits", -5, 5),
            Param("probs", 0.02, 0.98),
        ),
        "counts",
        alternatives=_LOGITS_PROBS,
        build=_drop_options,
        options={"max_count": 50},
    ),
    FamilyRow("poissons", "Poisson", (Param("rate", 0.1, 50.0, "log"),), "counts"),
    FamilyRow(
        "multivariate_normals",
        "MultivariateNormal",
        (
            Param("loc", -5, 5, event=("dim",)),
            Param("covariance", 0.1, 10.0, "spd", ("dim", "dim")),
        ),
        "vector",
        build=_build_multivariate_normal,
        options={"dim": 3, "parameterization": "scale_tril"},
    ),
    FamilyRow(
        "multivariate_normal_diags",
        "MultivariateNormalDiag",
        (Param("loc", -5, 5, event=("dim",)), Param("scale_diag", 0.1, 10, "log", ("dim",))),
        "vector",
        build=_drop_options,
        options={"dim": 3},
    ),
    FamilyRow(
        "low_rank_multivariate_normals",
        "LowRankMultivariateNormal",
        (
            Param("loc", -5, 5, event=("dim",)),
            Param("cov_factor", -2, 2, event=("dim", "rank")),
            Param("cov_diag", 0.1, 10, "log", ("dim",)),
        ),
        "vector",
        build=_drop_options,
        options={"dim": 4, "rank": 2},
    ),
    FamilyRow(
        "dirichlets",
        "Dirichlet",
        (Param("concentration", 0.3, 20.0, "log", ("dim",)),),
        "simplex",
        build=_drop_options,
        options={"dim": 3},
    ),
    FamilyRow(
        "mixtures_of_normals",
        "MixtureSameFamily",
        (
            Param("mixture_logits", -3, 3, event=("num_components",)),
            Param("components", (-5.0, 5.0), (0.3, 3.0), "normals", ("num_components",)),
        ),
        "real",
        build=_build_mixture,
        options={"num_components": 3},
    ),
)

FAMILY_TABLE = tuple(
    dataclasses.replace(
        row, scipy=_SCIPY[row.family], methods=_METHODS.get(row.family, row.methods)
    )
    for row in FAMILY_TABLE
)
_ROWS = {row.strategy: row for row in FAMILY_TABLE}


def family_row(strategy: str) -> FamilyRow:
    """The table row of the strategy ``strategy`` (``"normals"``...)."""
    return _ROWS[strategy]
