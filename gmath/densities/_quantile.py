r"""Quantile functions defined implicitly by :math:`F(x; \theta) = u`, with exact derivatives.

The root is found by :func:`gmath._numerics.invert_cdf` (no gradient flows through the
iteration); the derivatives come from the implicit function theorem,

.. math::
    \frac{\partial x}{\partial u} = \frac{1}{f(x;\theta)}, \qquad
    \frac{\partial x}{\partial \theta} = -\frac{\partial F(x;\theta)/\partial\theta}{f(x;\theta)},

installed with :func:`jax.custom_jvp` (so ``grad``, ``jvp``, ``vmap`` and reverse mode all work).
Tangents that are symbolically zero are skipped, so a CDF that is only differentiable in some
parameters still gives derivatives with respect to ``u`` and those parameters.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero

__all__ = ["implicit_quantile"]


def implicit_quantile(solve: Callable, cdf: Callable, pdf: Callable) -> Callable:
    """Wrap ``solve(u, *params) -> x`` with the implicit-function-theorem derivative.

    Args:
      solve: returns :math:`x` with :math:`F(x; \\theta) = u` (its own gradient is ignored).
      cdf: ``cdf(x, *params)``, differentiable in the parameters one wants derivatives for.
      pdf: ``pdf(x, *params)`` = :math:`\\partial F/\\partial x`.

    Returns:
      ``quantile(u, *params)`` with a custom JVP.
    """

    @jax.custom_jvp
    def quantile(u, *params):
        return solve(u, *params)

    def rule(primals, tangents):
        u, *params = primals
        du, *dparams = tangents
        x = quantile(u, *params)
        density = pdf(x, *params)
        numerator = jnp.zeros_like(x) if isinstance(du, SymbolicZero) else du
        live = [i for i, t in enumerate(dparams) if not isinstance(t, SymbolicZero)]
        if live:

            def cdf_live(*values):
                full = list(params)
                for i, v in zip(live, values, strict=True):
                    full[i] = v
                return cdf(x, *full)

            _, dcdf = jax.jvp(
                cdf_live, tuple(params[i] for i in live), tuple(dparams[i] for i in live)
            )
            numerator = numerator - dcdf
        # Where the density vanishes (u in {0, 1}) the quantile sits at an end of the support.
        safe = jnp.where(density > 0, density, 1.0)
        return x, jnp.where(density > 0, numerator / safe, 0.0)

    quantile.defjvp(rule, symbolic_zeros=True)
    return quantile
