"""Hypothesis strategies for arrays: finite, positive, SPD matrices, simplex points."""

from __future__ import annotations

from typing import Literal

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra import numpy as hnp
from numpy.typing import DTypeLike

__all__ = ["finite_arrays", "positive_arrays", "simplex_points", "spd_matrices"]

_FLOATS = {np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)}
# st.floats(width=...) in bits, by itemsize of the float dtypes above
_WIDTHS: dict[int, Literal[16, 32, 64]] = {2: 16, 4: 32, 8: 64}


def _check_dtype(dtype) -> np.dtype:
    try:
        dtype = np.dtype(dtype)
    except TypeError as e:
        raise InvalidArgument(f"dtype={dtype!r} is not a NumPy dtype") from e
    if dtype not in _FLOATS:
        raise InvalidArgument(f"dtype={dtype} must be float16, float32 or float64")
    return dtype


def _check_shape(shape) -> tuple[int, ...]:
    if isinstance(shape, int):
        shape = (shape,)
    try:
        shape = tuple(int(s) for s in shape)
    except TypeError as e:
        raise InvalidArgument(f"shape={shape!r} must be an int or a tuple of ints") from e
    if any(s < 0 for s in shape):
        raise InvalidArgument(f"shape={shape} has a negative dimension")
    return shape


def finite_arrays(
    *,
    shape: tuple[int, ...] = (),
    dtype: DTypeLike = np.float64,
    min_value: float = -1e3,
    max_value: float = 1e3,
) -> st.SearchStrategy[np.ndarray]:
    r"""Arrays of finite floats in ``[min_value, max_value]`` (no NaN, infinity or subnormal).

    Subnormal numbers are excluded because XLA flushes them to zero on CPU and GPU, so a test
    comparing against a float64 reference would see an input the code never received.

    Args:
      shape: array shape (a tuple of ints).
      dtype: float dtype, ``np.float64``, ``np.float32`` or ``np.float16``.
      min_value, max_value: closed range, each representable in ``dtype``.

    Returns:
      A Hypothesis strategy of ``np.ndarray`` of ``shape`` and ``dtype``.

    Examples:
      >>> from hypothesis import find
      >>> x = find(finite_arrays(shape=(3,), min_value=-1.0, max_value=1.0), lambda x: x.sum() > 1)
      >>> x.shape, bool(np.all(np.abs(x) <= 1.0))
      ((3,), True)
    """
    dtype = _check_dtype(dtype)
    shape = _check_shape(shape)
    if not (np.isfinite(min_value) and np.isfinite(max_value) and min_value <= max_value):
        raise InvalidArgument(f"need finite min_value <= max_value, got {min_value}, {max_value}")
    elements = st.floats(
        min_value,
        max_value,
        allow_nan=False,
        allow_infinity=False,
        allow_subnormal=False,  # XLA on CPU flushes subnormals to zero
        width=_WIDTHS[dtype.itemsize],
    )
    return hnp.arrays(dtype, shape, elements=elements)


def positive_arrays(
    *,
    shape: tuple[int, ...] = (),
    dtype: DTypeLike = np.float64,
    min_value: float = 1e-3,
    max_value: float = 1e3,
) -> st.SearchStrategy[np.ndarray]:
    r"""Arrays of floats in ``[min_value, max_value]`` with ``0 < min_value``, log-uniform spread.

    Values are drawn as ``exp(u)`` with ``u`` uniform in log space, so every order of magnitude
    between the bounds is exercised.

    With :math:`[a, b]` = ``[min_value, max_value]``: :math:`x = e^u`,
    :math:`u \in [\log a, \log b]` drawn by Hypothesis (clipped to :math:`[a, b]` before the
    cast to ``dtype``).

    Args:
      shape: array shape (a tuple of ints).
      dtype: float dtype.
      min_value, max_value: :math:`0 < a \le b`.

    Returns:
      A Hypothesis strategy of positive ``np.ndarray`` of ``shape`` and ``dtype``.

    Examples:
      >>> from hypothesis import find
      >>> x = find(positive_arrays(shape=(2, 2), min_value=0.5, max_value=2.0), lambda x: True)
      >>> bool(np.all((x >= 0.5) & (x <= 2.0)))
      True
    """
    dtype = _check_dtype(dtype)
    shape = _check_shape(shape)
    if not (0 < min_value <= max_value < np.inf):
        raise InvalidArgument(
            f"need 0 < min_value <= max_value < inf, got {min_value}, {max_value}"
        )
    lo, hi = np.log(min_value), np.log(max_value)
    logs = hnp.arrays(np.float64, shape, elements=st.floats(lo, hi, allow_nan=False))
    return logs.map(lambda u: np.clip(np.exp(u), min_value, max_value).astype(dtype))


def spd_matrices(
    *,
    dim: int,
    dtype: DTypeLike = np.float64,
    min_eigenvalue: float = 1e-2,
    max_eigenvalue: float = 1e2,
    max_condition: float | None = None,
) -> st.SearchStrategy[np.ndarray]:
    r"""Symmetric positive-definite ``dim x dim`` matrices with a bounded spectrum.

    Built as :math:`Q \operatorname{diag}(\lambda) Q^\top` with :math:`Q` a random orthogonal
    matrix (QR of a Gaussian matrix, sign-fixed) and eigenvalues log-uniform in
    ``[min_eigenvalue, max_eigenvalue]``, further limited so that
    :math:`\lambda_{\max}/\lambda_{\min} \le` ``max_condition``.

    Args:
      dim: matrix size :math:`d`.
      dtype: float dtype of the result (built in float64, then cast).
      min_eigenvalue, max_eigenvalue: spectrum range, :math:`0 < \lambda_{\min} \le
        \lambda_{\max}`.
      max_condition: optional bound on :math:`\lambda_{\max}/\lambda_{\min}`.

    Returns:
      A Hypothesis strategy of symmetric ``(dim, dim)`` arrays.

    References:
      Mezzadri (2007). How to generate random matrices from the classical compact groups.
      Notices of the AMS (QR of a Gaussian matrix with the sign fix gives Haar-distributed
      :math:`Q`) [@mezzadri2007generate].

    Examples:
      >>> from hypothesis import find
      >>> a = find(spd_matrices(dim=3, max_condition=10.0), lambda a: a[0, 1] != 0)
      >>> w = np.linalg.eigvalsh(a)
      >>> bool(np.allclose(a, a.T) and w.min() > 0 and w.max() / w.min() <= 10.0 * (1 + 1e-8))
      True
    """
    dtype = _check_dtype(dtype)
    if not isinstance(dim, (int, np.integer)) or dim < 1:
        raise InvalidArgument(f"dim={dim!r} must be a positive int")
    if not (0 < min_eigenvalue <= max_eigenvalue < np.inf):
        raise InvalidArgument(
            f"need 0 < min_eigenvalue <= max_eigenvalue, got {min_eigenvalue}, {max_eigenvalue}"
        )
    if max_condition is not None and not max_condition >= 1:
        raise InvalidArgument(f"max_condition={max_condition} must be >= 1")
    cond = max_eigenvalue / min_eigenvalue if max_condition is None else max_condition
    log_span = min(np.log(max_eigenvalue / min_eigenvalue), np.log(cond))

    @st.composite
    def build(draw):
        seed = draw(st.integers(0, 2**32 - 1))
        rng = np.random.default_rng(seed)
        q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
        q = q * np.sign(np.diag(r))
        lo = np.log(min_eigenvalue)  # max(): log(max) - log(max/min) can round below log(min)
        low = draw(st.floats(lo, max(lo, np.log(max_eigenvalue) - log_span)))
        logs = low + log_span * draw(hnp.arrays(np.float64, (dim,), elements=st.floats(0.0, 1.0)))
        a = (q * np.exp(logs)) @ q.T
        return ((a + a.T) / 2).astype(dtype)

    return build()


def simplex_points(
    *, dim: int, dtype: DTypeLike = np.float64, min_prob: float = 0.0
) -> st.SearchStrategy[np.ndarray]:
    r"""Points of the probability simplex in ``dim`` dimensions, each coordinate ``>= min_prob``.

    A point is :math:`p = m + (1 - d\,m)\,w/\sum_i w_i` with :math:`m` = ``min_prob`` and
    positive weights :math:`w`, so :math:`\sum_i p_i = 1` and :math:`p_i \ge m`.

    Args:
      dim: number of coordinates :math:`d \ge 1`.
      dtype: float dtype.
      min_prob: lower bound :math:`m` on each coordinate, :math:`0 \le m < 1/d`.

    Returns:
      A Hypothesis strategy of ``(dim,)`` arrays on the simplex.

    Examples:
      >>> from hypothesis import find
      >>> p = find(simplex_points(dim=4, min_prob=0.01), lambda p: p[0] > 0.3)
      >>> bool(abs(p.sum() - 1) < 1e-12 and p.min() >= 0.01 - 1e-12 and p[0] > 0.3)
      True
    """
    dtype = _check_dtype(dtype)
    if not isinstance(dim, (int, np.integer)) or dim < 1:
        raise InvalidArgument(f"dim={dim!r} must be a positive int")
    if not (0 <= min_prob and min_prob * dim < 1) and not (dim == 1 and min_prob <= 1):
        raise InvalidArgument(f"min_prob={min_prob} must satisfy 0 <= min_prob < 1/dim")
    weights = hnp.arrays(np.float64, (dim,), elements=st.floats(1e-3, 1.0))

    def to_simplex(w):
        w = w / w.sum()
        return (min_prob + (1 - dim * min_prob) * w).astype(dtype)

    return weights.map(to_simplex)
