r"""Sliced Wasserstein distance."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from gmath._jit import cached
from gmath._numerics import check_key, matmul, promote
from gmath._numerics._geometry import centring_shift
from gmath.divergences._samples import as_arrays, check_points, check_weights, precheck_weights
from gmath.divergences._wasserstein import (
    _check_p,
    power_of_two_scale,
    root,
    wasserstein_1d_power,
)

__all__ = ["MaxSlicedResult", "max_sliced_wasserstein", "sliced_wasserstein"]


def sliced_wasserstein(
    key, x, y, *, num_projections: int = 100, p: float = 2, a=None, b=None, projections=None
) -> jax.Array:
    r"""Sliced Wasserstein-:math:`p` distance: 1-D optimal transport along random directions.

    .. math::
        SW_p(\mu, \nu) = \Bigl(\mathbb E_{\theta \sim \mathcal U(S^{d-1})}
        W_p^p(\theta_\# \mu, \theta_\# \nu)\Bigr)^{1/p},

    estimated with ``num_projections`` directions; all projections are one matrix product
    ``x @ theta`` (``precision=HIGHEST``), then a sort per direction. For isotropic Gaussians
    :math:`SW_2^2 = \|m_1 - m_2\|^2/d + (s_1 - s_2)^2`; in general :math:`SW_2^2 \le W_2^2/d`.

    Args:
      key: a ``jax.random`` key for the directions (ignored when ``projections`` is given).
      x: ``[n, d]`` samples. y: ``[m, d]`` samples. A point with an infinite coordinate makes
        :math:`SW_p` infinite (unless the other sample has the same atoms at infinity).
      num_projections: number of directions :math:`L`.
      p: order :math:`p \ge 1`.
      a: ``[n]`` probability weights (nonnegative, summing to one; default uniform).
      b: ``[m]`` probability weights.
      projections: optional ``[d, L]`` matrix of unit directions to use instead of random ones.

    Returns:
      Scalar :math:`SW_p` (the distance, not its :math:`p`-th power).

    References:
      Bonneel et al. (2015). Sliced and Radon Wasserstein barycenters of measures. J. Math.
      Imaging Vis. [@bonneel2015sliced].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from gmath.divergences import sliced_wasserstein
      >>> x = jnp.zeros((4, 2)); y = x + jnp.array([3.0, 4.0])
      >>> round(float(sliced_wasserstein(None, x, y, projections=jnp.eye(2))), 6)
      3.535534
    """
    p = _check_p(p, "sliced_wasserstein")
    x, y, a, b, projections = as_arrays(x, y, a, b, projections)
    precheck_weights("sliced_wasserstein", x, y, a, b)
    if projections is None:
        check_key(key, where="sliced_wasserstein")
        if int(num_projections) < 1:
            raise ValueError(
                f"sliced_wasserstein: num_projections must be >= 1, got {num_projections}."
            )
        num_projections = int(num_projections)
    else:
        key = None  # ignored
    return _sliced(key, x, y, a, b, projections, num_projections=num_projections, p=p)


@cached(static_argnames=("num_projections", "p"))
def _sliced(key, x, y, a, b, projections, *, num_projections, p):
    x, y = check_points(x, y, "sliced_wasserstein")
    x, y, a, b = promote(x, y, a, b)
    d = x.shape[1]
    if projections is None:
        check_key(key, where="sliced_wasserstein")
        if int(num_projections) < 1:
            raise ValueError(
                f"sliced_wasserstein: num_projections must be >= 1, got {num_projections}."
            )
        theta = jax.random.normal(key, (d, int(num_projections)), x.dtype)
        theta = theta / jnp.linalg.norm(theta, axis=0, keepdims=True)
    else:
        theta = jnp.asarray(projections, x.dtype)
        if theta.ndim != 2 or theta.shape[0] != d:
            raise ValueError(
                f"sliced_wasserstein: projections must have shape [{d}, L], got {theta.shape}."
            )
    if a is not None:
        a = check_weights(a, x.shape[0], "sliced_wasserstein", "a", x.dtype)
    if b is not None:
        b = check_weights(b, y.shape[0], "sliced_wasserstein", "b", x.dtype)
    shift = centring_shift(x, y)
    shift = jnp.where(jnp.isfinite(shift), shift, 0)  # infinite points stay infinite, not NaN
    px = matmul(x - shift, theta).T
    py = matmul(y - shift, theta).T
    scale = power_of_two_scale(px, py)  # SW_p is 1-homogeneous: no overflow of |.|^p
    return scale * root(jnp.mean(wasserstein_1d_power(px / scale, py / scale, p, a, b)), p)


class MaxSlicedResult(NamedTuple):
    r"""What :func:`max_sliced_wasserstein` returns (a pytree).

    Attributes:
      value: :math:`\max_\theta W_p(\theta_\#\mu, \theta_\#\nu)` over the directions searched
        (scalar, a distance); differentiable in the samples and weights with the direction held
        fixed (Danskin's theorem).
      direction: ``[d]`` the unit direction attaining it.
    """

    value: Any
    direction: Any


def max_sliced_wasserstein(
    key, x, y, *, p: float = 2, a=None, b=None, num_starts: int = 8, num_steps: int = 100
) -> MaxSlicedResult:
    r"""Max-sliced Wasserstein-:math:`p` distance: 1-D transport along the most separating
    direction (Deshpande et al. 2019),

    .. math::
        \max\text{-}SW_p(\mu, \nu) = \max_{\|\theta\| = 1} W_p(\theta_\#\mu, \theta_\#\nu),

    between :math:`SW_p` (the average over directions) and :math:`W_p` (projections are
    1-Lipschitz). The maximum is sought by ascent on the sphere from ``num_starts`` directions
    (the normalised difference of the means, then random ones): each step turns
    :math:`\theta` towards the Riemannian gradient of :math:`W_p^p` by an angle that shrinks
    geometrically from 0.5 to 1e-3 radians, and is kept only where it increases the
    objective. The problem is not concave: the value is a lower bound of the maximum, exact
    where the ascent finds the global maximiser.

    Args:
      key: a ``jax.random`` key for the random starts.
      x: ``[n, d]`` samples. y: ``[m, d]`` samples.
      p: order :math:`p \ge 1`.
      a: ``[n]`` probability weights (default uniform). b: ``[m]`` probability weights.
      num_starts: number of starting directions (at least 1).
      num_steps: ascent steps per start.

    Returns:
      A :class:`MaxSlicedResult`.

    References:
      Deshpande et al. (2019). Max-sliced Wasserstein distance and its use for GANs. CVPR
      [@deshpande2019max].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from gmath.divergences import max_sliced_wasserstein
      >>> x = jax.random.normal(jax.random.key(0), (500, 3))
      >>> out = max_sliced_wasserstein(jax.random.key(1), x, x * jnp.array([3.0, 1.0, 1.0]))
      >>> bool(jnp.abs(out.direction[0]) > 0.999)
      True
    """
    p = _check_p(p, "max_sliced_wasserstein")
    x, y, a, b = as_arrays(x, y, a, b)
    precheck_weights("max_sliced_wasserstein", x, y, a, b)
    check_key(key, where="max_sliced_wasserstein")
    if int(num_starts) < 1 or int(num_steps) < 0:
        raise ValueError(
            "max_sliced_wasserstein: num_starts must be >= 1 and num_steps >= 0, got "
            f"{num_starts} and {num_steps}."
        )
    return _max_sliced(key, x, y, a, b, p=p, num_starts=int(num_starts), num_steps=int(num_steps))


@cached(static_argnames=("p", "num_starts", "num_steps"))
def _max_sliced(key, x, y, a, b, *, p, num_starts, num_steps):
    owner = "max_sliced_wasserstein"
    x, y = check_points(x, y, owner)
    x, y, a, b = promote(x, y, a, b)
    if a is not None:
        a = check_weights(a, x.shape[0], owner, "a", x.dtype)
    if b is not None:
        b = check_weights(b, y.shape[0], owner, "b", x.dtype)
    d = x.shape[1]
    shift = centring_shift(x, y)
    shift = jnp.where(jnp.isfinite(shift), shift, 0)
    xs, ys = lax.stop_gradient(x - shift), lax.stop_gradient(y - shift)
    scale = power_of_two_scale(xs, ys)
    xs, ys = xs / scale, ys / scale
    sa = None if a is None else lax.stop_gradient(a)
    sb = None if b is None else lax.stop_gradient(b)

    def objective(theta):
        return wasserstein_1d_power(matmul(xs, theta), matmul(ys, theta), p, sa, sb)

    grad = jax.grad(objective)
    mean_x = xs.mean(0) if sa is None else matmul(sa, xs)
    mean_y = ys.mean(0) if sb is None else matmul(sb, ys)
    diff = mean_y - mean_x
    starts = jax.random.normal(key, (num_starts, d), x.dtype)
    norm = jnp.linalg.norm(diff)
    starts = starts.at[0].set(jnp.where(norm > 0, diff / jnp.where(norm > 0, norm, 1), starts[0]))
    starts = starts / jnp.linalg.norm(starts, axis=1, keepdims=True)
    decay = (1e-3 / 0.5) ** (1 / max(num_steps, 1))

    def ascend(theta):
        def step(carry, t):
            theta, val = carry
            g = grad(theta)
            g = g - jnp.dot(g, theta) * theta  # tangent to the sphere
            gn = jnp.linalg.norm(g)
            u = jnp.where(gn > 0, g / jnp.where(gn > 0, gn, 1), 0)
            angle = 0.5 * decay**t
            cand = jnp.cos(angle) * theta + jnp.sin(angle) * u
            cand = cand / jnp.linalg.norm(cand)
            cand_val = objective(cand)
            better = cand_val > val
            return (jnp.where(better, cand, theta), jnp.where(better, cand_val, val)), None

        init = (theta, objective(theta))
        steps = jnp.arange(num_steps, dtype=x.dtype)
        (theta, val), _ = lax.scan(step, init, steps)
        return theta, val

    thetas, vals = jax.vmap(ascend)(starts)
    best = jnp.argmax(vals)
    theta = lax.stop_gradient(thetas[best])
    # the sliced distance along the fixed direction: Danskin's theorem gives its gradient in
    # x, y, a, b
    value = _sliced(None, x, y, a, b, theta[:, None], num_projections=1, p=p)
    return MaxSlicedResult(value, theta)
