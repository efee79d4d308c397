r"""Positive-definite kernels for MMD, KID and KSD (exposed as ``gmath.divergences.kernels``).

A kernel is a frozen pytree record (its bandwidths are leaves: they can be traced, vmapped and
differentiated) with

- ``kernel(x, y)``: :math:`k(x, y)` for points on the last axis, broadcasting leading axes;
- ``kernel.matrix(x, y)``: the ``[n, m]`` Gram matrix of ``x: [n, d]``, ``y: [m, d]`` (inner
  products by a ``precision=HIGHEST`` matmul);
- ``kernel.translation_invariant``: whether :math:`k(x + t, y + t) = k(x, y)` (callers may then
  centre the data).

Radial kernels :math:`k(x, y) = \phi(\|x - y\|^2)` also expose ``phi`` (used by the Stein kernel
of :func:`~gmath.divergences.ksd_squared`).

Parameters are validated: the constructors (:func:`rbf`, :func:`imq`, ...) raise ``ValueError``
for a concrete invalid value (a bandwidth, scale or ``alpha`` that is not positive, an IMQ
exponent that is not negative, a negative polynomial offset); a traced invalid value makes the
kernel NaN, and raises :class:`~gmath.config.InvalidParameterError` in checks mode.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, TypeVar

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.typing import ArrayLike

from gmath._config import error_if_not
from gmath._numerics import matmul, promote, safe_sqrt
from gmath._numerics._geometry import point_cloud
from gmath._numerics._pairwise import distances, squared_distances
from gmath._pytree import dataclass_transform, register_record, static_field

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


_K = TypeVar("_K")


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def _record(cls: type[_K]) -> type[_K]:
    cls = dataclasses.dataclass(frozen=True)(cls)
    return register_record(cls)  # not register_dataclass: see gmath._pytree


class Kernel:
    """Base of the kernel records."""

    translation_invariant = True
    radial = False

    def phi(self, r2) -> jax.Array:
        r"""The profile of a radial kernel: :math:`k(x, y) = \phi(\|x - y\|^2)`."""
        raise NotImplementedError  # pragma: no cover

    def __call__(self, x, y) -> jax.Array:
        x, y = jnp.asarray(x), jnp.asarray(y)
        if self.radial:
            x, y = promote(x, y)
            return self.phi(jnp.sum((x - y) ** 2, axis=-1))
        raise NotImplementedError  # pragma: no cover

    def matrix(self, x, y) -> jax.Array:
        """``[n, m]`` Gram matrix :math:`k(x_i, y_j)`."""
        if self.radial:
            return self.phi(squared_distances(x, y))
        raise NotImplementedError  # pragma: no cover

    def diag(self, x) -> jax.Array:
        """``[n]`` values :math:`k(x_i, x_i)`."""
        return self(x, x)


def _bw(h, like):
    return jnp.asarray(h, jnp.result_type(like))


def _valid(v, ok):
    """``v`` where the parameter condition ``ok`` holds, NaN elsewhere (invalid -> NaN)."""
    return jnp.where(ok, v, jnp.nan)


def _pos(h, like):
    """A positive kernel parameter in the dtype of ``like``; NaN if it is not positive."""
    h = _bw(h, like)
    return _valid(h, h > 0)


def _check_param(owner: str, name: str, value, ok_fn, requirement: str):
    """Validate a kernel parameter at construction.

    Concrete invalid values raise ``ValueError``; traced ones raise
    :class:`~gmath.config.InvalidParameterError` in checks mode (and make the kernel NaN, through
    the parameter guards of ``phi``).
    """
    if value is None:
        return
    if isinstance(value, jax.core.Tracer):
        error_if_not(ok_fn(value), f"{owner}: {name} must be {requirement}.")
        return
    v = np.asarray(value, dtype=np.float64)
    if not np.all(ok_fn(v)):
        raise ValueError(f"{owner}: {name} must be {requirement}, got {value!r}.")


def _gt0(v):
    return v > 0


def _lt0(v):
    return v < 0


def _ge0(v):
    return v >= 0


@_record
class RBF(Kernel):
    r"""Gaussian kernel :math:`k(x, y) = \exp(-\|x - y\|^2 / (2h^2))`."""

    bandwidth: Any = 1.0
    radial = True

    def phi(self, r2) -> jax.Array:
        h = _pos(self.bandwidth, r2)
        return jnp.exp(-r2 / (2 * h * h))


@_record
class IMQ(Kernel):
    r"""Inverse multiquadric :math:`k(x, y) = (1 + \|x - y\|^2 / h^2)^{\beta}`, :math:`\beta < 0`."""

    bandwidth: Any = 1.0
    exponent: Any = -0.5
    radial = True

    def phi(self, r2) -> jax.Array:
        h = _pos(self.bandwidth, r2)
        beta = _bw(self.exponent, r2)
        return jnp.exp(_valid(beta, beta < 0) * jnp.log1p(r2 / (h * h)))


@_record
class RationalQuadratic(Kernel):
    r"""Rational quadratic :math:`k(x, y) = (1 + \|x - y\|^2 / (2\alpha h^2))^{-\alpha}`."""

    bandwidth: Any = 1.0
    alpha: Any = 1.0
    radial = True

    def phi(self, r2) -> jax.Array:
        h, al = _pos(self.bandwidth, r2), _pos(self.alpha, r2)
        return jnp.exp(-al * jnp.log1p(r2 / (2 * al * h * h)))


@_record
class Laplace(Kernel):
    r"""Laplace (exponential) kernel :math:`k(x, y) = \exp(-\|x - y\|/h)`.

    Not differentiable at :math:`x = y` (the gradient there is taken as zero). Its Gram matrix
    subtracts coordinates directly in dimension up to 16 (see the pairwise engine), so that
    coincident points give exactly 1.
    """

    bandwidth: Any = 1.0
    radial = True
    smooth = False

    def phi(self, r2) -> jax.Array:
        return jnp.exp(-safe_sqrt(r2) / _pos(self.bandwidth, r2))

    def __call__(self, x, y) -> jax.Array:
        x, y = promote(x, y)
        return jnp.exp(-safe_sqrt(jnp.sum((x - y) ** 2, axis=-1)) / _pos(self.bandwidth, x))

    def matrix(self, x, y) -> jax.Array:
        # distances by direct differences in low dimension: exact zeros at coincident points
        return jnp.exp(-distances(x, y) / _pos(self.bandwidth, x))


@_record
class Linear(Kernel):
    r"""Linear kernel :math:`k(x, y) = x \cdot y`."""

    translation_invariant = False

    def __call__(self, x, y) -> jax.Array:
        x, y = promote(x, y)
        return jnp.sum(x * y, axis=-1)

    def matrix(self, x, y) -> jax.Array:
        return matmul(x, y.T)


@_record
class Polynomial(Kernel):
    r"""Polynomial kernel :math:`k(x, y) = (\gamma\, x \cdot y + c)^p`.

    ``scale=None`` means :math:`\gamma = 1/d` (the KID convention, with ``degree=3``,
    ``offset=1``).
    """

    scale: Any = None
    offset: Any = 1.0
    degree: int = static_field(default=3)
    translation_invariant = False

    def _gamma(self, x):
        if self.scale is None:
            return 1.0 / x.shape[-1]
        return _pos(self.scale, x)

    def _offset(self, x):
        c = _bw(self.offset, x)
        return _valid(c, c >= 0)

    def __call__(self, x, y) -> jax.Array:
        x, y = promote(x, y)
        ip = jnp.sum(x * y, axis=-1)
        return (self._gamma(x) * ip + self._offset(ip)) ** self.degree

    def matrix(self, x, y) -> jax.Array:
        ip = matmul(x, y.T)
        return (self._gamma(x) * ip + self._offset(ip)) ** self.degree


@_record
class SumKernel(Kernel):
    r"""Sum :math:`\sum_r k_r(x, y)` of kernels (e.g. RBFs over several bandwidths)."""

    kernels: tuple = ()

    @property
    def radial(self) -> bool:  # type: ignore[override]
        return all(k.radial for k in self.kernels)

    @property
    def translation_invariant(self) -> bool:  # type: ignore[override]
        return all(k.translation_invariant for k in self.kernels)

    @property
    def smooth(self) -> bool:
        return all(getattr(k, "smooth", True) for k in self.kernels)

    def phi(self, r2) -> jax.Array:
        return sum(k.phi(r2) for k in self.kernels)

    def __call__(self, x, y) -> jax.Array:
        return sum(k(x, y) for k in self.kernels)

    def matrix(self, x, y) -> jax.Array:
        if self.radial:
            return self.phi(squared_distances(x, y))
        return sum(k.matrix(x, y) for k in self.kernels)


# ---------------------------------------------------------------------------- constructors
def rbf(*, bandwidth: ArrayLike | Sequence[ArrayLike] = 1.0) -> RBF | SumKernel:
    r"""Gaussian (RBF) kernel :math:`\exp(-\|x - y\|^2 / (2h^2))`; several bandwidths sum.

    Args:
      bandwidth: :math:`h > 0`; a sequence gives :func:`sum_kernels` of one RBF per bandwidth.

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.divergences import kernels
      >>> round(float(kernels.rbf(bandwidth=2.0)(jnp.zeros(2), jnp.ones(2))), 6)
      0.778801
    """
    if isinstance(bandwidth, (list, tuple)):
        return sum_kernels(*[rbf(bandwidth=h) for h in bandwidth])
    _check_param("rbf", "bandwidth", bandwidth, _gt0, "positive")
    return RBF(bandwidth)


def imq(*, bandwidth: ArrayLike = 1.0, exponent: ArrayLike = -0.5) -> IMQ:
    r"""Inverse multiquadric kernel :math:`(1 + \|x - y\|^2/h^2)^\beta`, :math:`-1 < \beta < 0`.

    The default of kernel Stein discrepancies (it detects non-convergence; Gorham and Mackey 2017
    [@gorham2017measuring]).

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.divergences import kernels
      >>> round(float(kernels.imq()(jnp.zeros(1), jnp.ones(1))), 6)
      0.707107
    """
    _check_param("imq", "bandwidth", bandwidth, _gt0, "positive")
    _check_param("imq", "exponent", exponent, _lt0, "negative")
    return IMQ(bandwidth, exponent)


def laplace(*, bandwidth: ArrayLike = 1.0) -> Laplace:
    r"""Laplace kernel :math:`\exp(-\|x - y\| / h)`.

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.divergences import kernels
      >>> round(float(kernels.laplace(bandwidth=1.0)(jnp.zeros(2), jnp.array([3.0, 4.0]))), 6)
      0.006738
    """
    _check_param("laplace", "bandwidth", bandwidth, _gt0, "positive")
    return Laplace(bandwidth)


def rational_quadratic(*, bandwidth: ArrayLike = 1.0, alpha: ArrayLike = 1.0) -> RationalQuadratic:
    r"""Rational quadratic kernel :math:`(1 + \|x - y\|^2 / (2\alpha h^2))^{-\alpha}`.

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.divergences import kernels
      >>> round(float(kernels.rational_quadratic(alpha=1.0)(jnp.zeros(1), jnp.ones(1))), 6)
      0.666667
    """
    _check_param("rational_quadratic", "bandwidth", bandwidth, _gt0, "positive")
    _check_param("rational_quadratic", "alpha", alpha, _gt0, "positive")
    return RationalQuadratic(bandwidth, alpha)


def linear() -> Linear:
    r"""Linear kernel :math:`x \cdot y` (its MMD is the squared distance of the means).

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.divergences import kernels
      >>> float(kernels.linear()(jnp.array([1.0, 2.0]), jnp.array([3.0, 4.0])))
      11.0
    """
    return Linear()


def polynomial(*, degree: int = 3, scale=None, offset: ArrayLike = 1.0) -> Polynomial:
    r"""Polynomial kernel :math:`(\gamma\, x\cdot y + c)^p`; ``scale=None`` is :math:`1/d`.

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.divergences import kernels
      >>> float(kernels.polynomial()(jnp.array([1.0, 1.0]), jnp.array([1.0, 1.0])))
      8.0
    """
    if int(degree) != degree or degree < 1:
        raise ValueError(f"polynomial: degree must be a positive integer, got {degree}.")
    _check_param("polynomial", "scale", scale, _gt0, "positive")
    _check_param("polynomial", "offset", offset, _ge0, "nonnegative")
    return Polynomial(scale, offset, int(degree))


def sum_kernels(*kernels: Kernel) -> SumKernel:
    r"""The kernel :math:`\sum_r k_r`.

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.divergences import kernels
      >>> k = kernels.sum_kernels(kernels.rbf(bandwidth=1.0), kernels.rbf(bandwidth=2.0))
      >>> round(float(k(jnp.zeros(1), jnp.zeros(1))), 6)
      2.0
    """
    if not kernels:
        raise ValueError("sum_kernels: need at least one kernel.")
    return SumKernel(tuple(kernels))


def median_heuristic(x, y=None) -> jax.Array:
    r"""Median heuristic bandwidth: the median of :math:`\|z_i - z_j\|`, :math:`i < j`.

    Over the pooled sample ``z`` of ``x`` and ``y`` (Gretton et al. 2012). Materialises the
    pairwise distances: subsample large inputs first. Use as ``rbf(bandwidth=median_heuristic(x,
    y))``.

    Args:
      x: ``[n, d]`` points. y: optional ``[m, d]`` points pooled with ``x``.

    Returns:
      Scalar bandwidth (not differentiated: wrapped in ``stop_gradient``).

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.divergences import kernels
      >>> float(kernels.median_heuristic(jnp.array([[0.0], [1.0], [3.0]])))
      2.0
    """
    z = jnp.asarray(x)
    if z.ndim == 1:
        z = z[:, None]
    if y is not None:
        y = jnp.asarray(y)
        z, y = promote(z, y.reshape(y.shape[0], -1) if y.ndim == 1 else y)
        z = jnp.concatenate([z, y], axis=0)
    (z,) = promote(z)
    d2 = point_cloud(lax.stop_gradient(z)).cost_matrix()
    iu = jnp.triu_indices(z.shape[0], k=1)
    return jnp.median(jnp.sqrt(d2[iu]))
