"""Private shared numerics. Not a public API: import from the subpackages instead."""

from gmath._numerics._betainc import betainc
from gmath._numerics._constraints import finite_nonnegative, finite_positive, not_subnormal
from gmath._numerics._dtypes import (
    broadcast_shapes_named,
    default_float,
    float64_scope,
    float_dtype,
    is_array_like,
    promote,
)
from gmath._numerics._geometry import PointCloud, point_cloud
from gmath._numerics._heavy_tails import log1p_square, z_over_1p_square
from gmath._numerics._keys import check_key
from gmath._numerics._linalg import gauss_solve
from gmath._numerics._logspace import log1mexp, log1pexp, logaddexp, logsubexp, logsumexp
from gmath._numerics._pairwise import pairwise_logsumexp, pairwise_sum, squared_distances
from gmath._numerics._precision import HIGHEST, highest_precision, matmul
from gmath._numerics._safe import safe_norm, safe_sqrt, standardize, where_safe
from gmath._numerics._special import (
    bd0,
    bd0_scaled,
    betaln,
    digamma,
    gammainc,
    gammaincc,
    gammaln,
    i0e,
    i1e,
    invert_cdf,
    log1pmx,
    stirlerr,
    xlog1py,
    xlogy,
)
from gmath._numerics._tails import log_ndtr, log_ndtr_diff, log_ndtri, ndtr, ndtri

__all__ = [
    "HIGHEST",
    "PointCloud",
    "bd0",
    "bd0_scaled",
    "betainc",
    "betaln",
    "broadcast_shapes_named",
    "check_key",
    "default_float",
    "digamma",
    "finite_nonnegative",
    "finite_positive",
    "float64_scope",
    "float_dtype",
    "gammainc",
    "gammaincc",
    "gammaln",
    "gauss_solve",
    "highest_precision",
    "i0e",
    "i1e",
    "invert_cdf",
    "is_array_like",
    "log1mexp",
    "log1p_square",
    "log1pexp",
    "log1pmx",
    "log_ndtr",
    "log_ndtr_diff",
    "log_ndtri",
    "logaddexp",
    "logsubexp",
    "logsumexp",
    "matmul",
    "ndtr",
    "ndtri",
    "not_subnormal",
    "pairwise_logsumexp",
    "pairwise_sum",
    "point_cloud",
    "promote",
    "safe_norm",
    "safe_sqrt",
    "squared_distances",
    "standardize",
    "stirlerr",
    "where_safe",
    "xlog1py",
    "xlogy",
    "z_over_1p_square",
]
