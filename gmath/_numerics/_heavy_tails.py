"""Kernels of the Cauchy and Student t laws, accurate for every finite argument."""

from __future__ import annotations

import jax.numpy as jnp

__all__ = ["log1p_square", "z_over_1p_square"]


def log1p_square(z):
    r""":math:`\log(1 + z^2)` without overflow, with one logarithm per point: ``log1p(z**2)``
    for :math:`|z| \le 1/\varepsilon` (computed directly it is accurate: the relative condition
    number of :math:`\log(1 + y)` is below 1), and :math:`2\log|z| \approx 2\,\mathrm{log1p}(|z|)`
    above, where both omitted terms, :math:`\log(1 + z^{-2})` and
    :math:`\log(1 + |z|^{-1}) < \varepsilon`, are below a 30th of an ulp of the result
    (:math:`2\log|z| > 31`). Both branches share one ``log1p``; :math:`z^2` is taken of
    :math:`\min(|z|, 1/\varepsilon)`, so neither it nor its derivative overflows."""
    a = jnp.abs(z)
    top = 1.0 / jnp.finfo(a.dtype).eps
    big = a > top
    a_small = jnp.minimum(a, top)
    log_term = jnp.log1p(jnp.where(big, a, a_small * a_small))
    return jnp.where(big, 2.0 * log_term, log_term)


def z_over_1p_square(z):
    r""":math:`z/(1 + z^2)`, as :math:`1/(z + 1/z)` for :math:`|z| > 1`."""
    big = jnp.abs(z) > 1
    z_big = jnp.where(big, z, 2.0)
    z_small = jnp.where(big, 0.0, z)
    return jnp.where(big, 1.0 / (z_big + 1.0 / z_big), z_small / (1.0 + z_small * z_small))
