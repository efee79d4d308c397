"""Where-safe elementary functions: zero (not NaN) gradients at the boundary."""

from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = ["safe_norm", "safe_sqrt", "standardize", "where_safe"]


@jax.custom_jvp
def safe_sqrt(x):
    r"""Square root with a zero derivative at 0 (instead of ``inf``, which becomes NaN in chains).

    Examples:
      >>> import jax
      >>> float(jax.grad(safe_sqrt)(0.0))
      0.0
    """
    return jnp.sqrt(x)


@safe_sqrt.defjvp
def _safe_sqrt_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    y = jnp.sqrt(x)
    positive = y > 0
    return y, jnp.where(positive, dx / (2 * jnp.where(positive, y, 1)), 0)


def safe_norm(x, axis=-1, keepdims=False):
    r"""Euclidean norm :math:`\|x\|_2` along ``axis`` with zero gradient at ``x = 0``.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> jax.grad(safe_norm)(jnp.zeros(3)).tolist()
      [0.0, 0.0, 0.0]
    """
    x = jnp.asarray(x)
    sq = jnp.sum(x * x, axis=axis, keepdims=keepdims)
    return safe_sqrt(sq)


def where_safe(condition, fn, x, safe_value):
    r"""``where(condition, fn(x), 0)`` with ``fn`` evaluated only at safe points (double-where).

    The classic double-``where``: values of ``x`` where ``condition`` is false are replaced by
    ``safe_value`` before calling ``fn``, so neither the value nor the gradient there is NaN.
    Callers then select the out-of-condition value themselves.
    """
    return fn(jnp.where(condition, x, safe_value))


@jax.custom_jvp
def standardize(x, loc, scale):
    r""":math:`z = (x - \mu)/\sigma` with derivatives that never overflow, and none at infinite x.

    The tangent is :math:`(\dot x - \dot\mu - z\,\dot\sigma)/\sigma`: for :math:`\sigma = 10^{-30}`
    in float32 the usual rule :math:`-(x - \mu)\,\dot\sigma/\sigma^2` overflows
    :math:`\sigma^{-2}` (NaN at :math:`x = \mu`), while :math:`z/\sigma` stays finite. Where
    :math:`z` is infinite (:math:`x = \pm\infty`) the tangent is 0: the functions of ``z`` then
    take their limits (a CDF 0 or 1), constants in every parameter, whose derivatives would
    otherwise be :math:`\infty \cdot 0`.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> float(jax.grad(standardize, argnums=2)(jnp.float32(0), jnp.float32(0), jnp.float32(1e-30)))
      -0.0
      >>> float(jax.grad(standardize, argnums=2)(jnp.inf, 0.0, 2.0))
      0.0
    """
    return (x - loc) / scale


@standardize.defjvp
def _standardize_jvp(primals, tangents):
    x, loc, scale = primals
    dx, dloc, dscale = tangents
    z = (x - loc) / scale
    finite = ~jnp.isinf(z)  # a NaN z (a NaN parameter) keeps its NaN tangent
    z_safe = jnp.where(finite, z, 0.0)
    # each term scaled on its own, so that reverse mode never forms (cotangent / scale) * z
    dz = (dx - dloc) / scale - (z_safe / scale) * dscale
    return z, jnp.where(finite, dz, 0.0)
