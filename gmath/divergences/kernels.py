r"""Positive-definite kernels for MMD, KID and KSD: the public namespace ``gmath.divergences.kernels``.

A kernel is a frozen pytree record (its bandwidths are leaves: they can be traced, vmapped and
differentiated) with ``kernel(x, y)`` (points on the last axis), ``kernel.matrix(x, y)`` (the
``[n, m]`` Gram matrix) and ``kernel.translation_invariant``; radial kernels
:math:`k(x, y) = \phi(\|x - y\|^2)` also expose ``phi``. Constructors validate their
parameters (``ValueError`` for a concrete invalid bandwidth, NaN and
:class:`~gmath.config.InvalidParameterError` in checks mode for a traced one).

Examples:
  >>> from gmath.divergences import kernels
  >>> float(kernels.rbf(bandwidth=1.0)([0.0], [0.0]))
  1.0
"""

from gmath.divergences._kernels import (
    IMQ,
    RBF,
    Kernel,
    Laplace,
    Linear,
    Polynomial,
    RationalQuadratic,
    SumKernel,
    imq,
    laplace,
    linear,
    median_heuristic,
    polynomial,
    rational_quadratic,
    rbf,
    sum_kernels,
)

__all__ = [
    "IMQ",
    "RBF",
    "Kernel",
    "Laplace",
    "Linear",
    "Polynomial",
    "RationalQuadratic",
    "SumKernel",
    "imq",
    "laplace",
    "linear",
    "median_heuristic",
    "polynomial",
    "rational_quadratic",
    "rbf",
    "sum_kernels",
]
