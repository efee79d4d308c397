r"""Kernel Stein discrepancy of a sample against a score function."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from gmath._jit import cached
from gmath._numerics import matmul, promote
from gmath._numerics._geometry import point_cloud
from gmath._numerics._pairwise import squared_distances
from gmath.divergences._kernels import Kernel, imq
from gmath.divergences._samples import as_arrays, check_points, check_weights, precheck_weights

__all__ = ["ksd_squared", "stein_kernel"]


def _derivatives(kernel, r2):
    """phi, phi', phi'' at r2 (elementwise, forward mode)."""
    ones = jnp.ones_like(r2)

    def d1(r):
        return jax.jvp(kernel.phi, (r,), (ones,))

    (phi, dphi), (_, d2phi) = jax.jvp(d1, (r2,), (ones,))
    return phi, dphi, d2phi


def stein_kernel(kernel, x, sx, y, sy) -> jax.Array:
    r"""Langevin Stein kernel matrix :math:`u_p(x_i, y_j)` for a radial kernel.

    .. math::
        u_p(x, y) = s(x)\cdot s(y)\,k + s(x)\cdot\nabla_y k + s(y)\cdot\nabla_x k
        + \operatorname{tr}\nabla_x\nabla_y k,

    with :math:`k = \phi(r^2)`, :math:`r = x - y`: :math:`\nabla_x k = 2\phi' r`,
    :math:`\operatorname{tr}\nabla_x\nabla_y k = -2d\phi' - 4\phi'' \|r\|^2`. Computed from
    matrix products (no ``[n, m, d]`` intermediate).

    Args:
      kernel: a radial kernel. x: ``[n, d]``. sx: ``[n, d]`` scores at ``x``. y, sy: ``[m, d]``.

    Returns:
      ``[n, m]``.
    """
    return _stein_from_r2(kernel, squared_distances(x, y), x, sx, y, sy)


def _stein_from_r2(kernel, r2, x, sx, y, sy):
    """:func:`stein_kernel` given the squared distances ``r2`` (a block of the geometry)."""
    d = x.shape[-1]
    phi, dphi, d2phi = _derivatives(kernel, r2)
    ss = matmul(sx, sy.T)
    # s(x).r = s(x).x - s(x).y ; s(y).r = s(y).x - s(y).y
    sx_r = jnp.sum(sx * x, -1)[:, None] - matmul(sx, y.T)
    sy_r = matmul(x, sy.T) - jnp.sum(sy * y, -1)[None, :]
    return ss * phi - 2 * dphi * sx_r + 2 * dphi * sy_r - 2 * d * dphi - 4 * d2phi * r2


def _stein_block(kernel, r2, xs, ys):
    x, sx = xs
    y, sy, w = ys
    return _stein_from_r2(kernel, r2, x, sx, y, sy) * w[None, :]


def ksd_squared(
    x,
    score,
    *,
    kernel: Kernel | None = None,
    estimator: str = "unbiased",
    a=None,
    block_size: int | None = None,
    materialize: bool | None = None,
) -> jax.Array:
    r"""Squared kernel Stein discrepancy of samples ``x`` against a model with score :math:`s_p`.

    .. math::
        \mathrm{KSD}^2(q, p) = \mathbb E_{x, x' \sim q}\, u_p(x, x'),

    with the Langevin Stein kernel :math:`u_p` of :func:`stein_kernel`. ``"unbiased"`` is the
    U-statistic :math:`\frac{1}{n(n-1)}\sum_{i \ne j} u_p(x_i, x_j)`; ``"biased"`` the
    V-statistic :math:`\sum_{ij} a_i a_j u_p(x_i, x_j)` (:math:`\ge 0`; accepts weights, e.g.
    quadrature nodes). Needs only the score, not the normalising constant. Tiled engine: memory
    linear in ``n``.

    Args:
      x: ``[n, d]`` samples (``[n]`` is read as ``[n, 1]``).
      score: a function ``[d] -> [d]`` (applied with ``vmap``) or precomputed ``[n, d]`` scores.
      kernel: a smooth radial kernel (default :func:`~gmath.divergences.kernels.imq`).
      estimator: ``"unbiased"`` or ``"biased"``.
      a: ``[n]`` probability weights, nonnegative and summing to one (biased only; not
        normalised: weights off the simplex raise ``ValueError`` when concrete, give NaN when
        traced, and raise ``InvalidParameterError`` in checks mode).
      block_size: tile edge. materialize: force or forbid the materialised path.

    Returns:
      Scalar :math:`\widehat{\mathrm{KSD}}^2`.

    References:
      Liu, Lee and Jordan (2016). A kernelized Stein discrepancy for goodness-of-fit tests. ICML
      [@liu2016kernelized]. Gorham and Mackey (2017). Measuring sample quality with kernels. ICML
      [@gorham2017measuring].

    Examples:
      Points at the mean of :math:`\mathcal N(0, I_2)` (score :math:`-x`), Gaussian kernel of
      bandwidth 1: the score vanishes there and :math:`\mathrm{KSD}^2 = -2d\phi'(0) = d = 2`.

      >>> import jax.numpy as jnp
      >>> from gmath.divergences import kernels, ksd_squared
      >>> x = jnp.zeros((3, 2))
      >>> float(ksd_squared(x, lambda v: -v, kernel=kernels.rbf(bandwidth=1.0)))
      2.0
    """
    kernel = imq() if kernel is None else kernel
    if not isinstance(kernel, Kernel) or not kernel.radial or not getattr(kernel, "smooth", True):
        raise ValueError(
            "ksd_squared: kernel must be a smooth radial kernel (rbf, imq, rational_quadratic or "
            f"their sums), got {type(kernel).__name__}."
        )
    if estimator not in ("unbiased", "biased"):
        raise ValueError(
            f"ksd_squared: estimator must be 'unbiased' or 'biased', got {estimator!r}."
        )
    x, a = as_arrays(x, a)
    score_fn, score_values = (score, None) if callable(score) else (None, as_arrays(score)[0])
    if estimator == "biased" and a is not None:
        precheck_weights("ksd_squared", x, x, a, None)
    return _ksd_squared(
        x,
        score_values,
        a,
        kernel,
        score_fn=score_fn,
        estimator=estimator,
        block_size=block_size,
        materialize=materialize,
    )


@cached(static_argnames=("score_fn", "estimator", "block_size", "materialize"))
def _ksd_squared(x, score, a, kernel, *, score_fn, estimator, block_size, materialize):
    if score_fn is not None:
        score = score_fn
    if x.ndim == 1:
        x = x[:, None]
    if callable(score):
        (x,) = promote(x)
        check_points(x, x, "ksd_squared", names=("x", "x"))
        d = x.shape[1]
        out = jax.eval_shape(score, jax.ShapeDtypeStruct((d,), x.dtype))
        shape = getattr(out, "shape", None)
        if shape not in ((d,), ()) or (shape == () and d != 1):
            raise ValueError(
                f"ksd_squared: score must map a point of shape ({d},) to its score, of shape "
                f"({d},); the score function returned "
                + (f"shape {shape}" if shape is not None else f"a {type(out).__name__}")
                + f" (x has shape {x.shape})."
            )
        s = jax.vmap(score)(x).reshape(x.shape)
    else:
        s = jnp.asarray(score)
        if s.ndim == 1:
            s = s[:, None]
        x, s = check_points(x, s, "ksd_squared", names=("x", "score"))
        if s.shape != x.shape:
            raise ValueError(
                f"ksd_squared: score values must have the shape of x {x.shape}, got {s.shape}."
            )
    x, s, a = promote(x, s, a)
    n = x.shape[0]
    if estimator == "unbiased":
        if a is not None:
            raise ValueError("ksd_squared: weights need estimator='biased'.")
        if n < 2:
            raise ValueError(f"ksd_squared: the unbiased estimator needs n >= 2, got {n}.")
    a = check_weights(a, n, "ksd_squared", "a", x.dtype)
    geom = point_cloud(x, materialize=materialize, block_size=block_size)
    rows = geom.row_sum(_stein_block, kernel, (s,), (s, a))
    total = jnp.sum(a * rows)
    if estimator == "biased":
        return total
    # diagonal: u_p(x, x) = |s|^2 phi(0) - 2 d phi'(0)
    phi0, dphi0, _ = _derivatives(kernel, jnp.zeros((), x.dtype))
    diag = jnp.sum(s * s, -1) * phi0 - 2 * x.shape[1] * dphi0
    return (total - jnp.mean(diag) / n) * (n / (n - 1))
