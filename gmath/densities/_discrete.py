r"""Shared machinery of the discrete families (Bernoulli, Categorical, Binomial, Poisson, Geometric).

- exactly one of ``logits=`` / ``probs=`` (both are stored as pytree fields, the other ``None``);
- integer-valued ``x`` (integer, boolean or floating arrays) cast explicitly to the parameters'
  floating dtype, so that strict dtype promotion accepts integer data;
- ``log_prob`` is ``-inf`` off the support (non-integer, negative, above ``total_count``);
- ``score`` is undefined: ``x`` lives on a lattice, there is no gradient with respect to it.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any, NoReturn

import jax
import jax.numpy as jnp
import numpy as np

from gmath._numerics import float_dtype, promote

__all__ = [
    "SuccessProbability",
    "check_logits_or_probs",
    "is_integer",
    "lattice_entropy",
    "promote_value",
    "stirlerr_at_integers",
    "undefined_score",
]


def check_logits_or_probs(record) -> None:
    """Raise ``ValueError`` unless exactly one of ``logits`` and ``probs`` is given."""
    given = [name for name in ("logits", "probs") if getattr(record, name) is not None]
    if len(given) != 1:
        raise ValueError(
            f"{type(record).__name__}: pass exactly one of logits= or probs=, got "
            f"{'both' if given else 'neither'}."
        )


class SuccessProbability:
    r"""The two parameterisations of a success probability, for the families with one
    (Bernoulli, Binomial, Geometric): a record with fields ``logits`` and ``probs``, exactly one
    of them ``None``."""

    if TYPE_CHECKING:  # what the record provides (its fields, Distribution); no dataclass fields
        logits: Any
        probs: Any

        @property
        def batch_shape(self) -> tuple[int, ...]: ...

    def logits_parameter(self) -> jax.Array:
        r"""Log-odds :math:`\ell = \log p - \log(1 - p)`, broadcast to ``batch_shape``."""
        if self.probs is None:
            (logits,) = promote(self.logits)
        else:
            (probs,) = promote(self.probs)
            logits = jnp.log(probs) - jnp.log1p(-probs)
        return jnp.broadcast_to(logits, self.batch_shape)

    def probs_parameter(self) -> jax.Array:
        r"""Success probability :math:`p = \sigma(\ell)`, broadcast to ``batch_shape``."""
        if self.probs is None:
            (logits,) = promote(self.logits)
            probs = jax.nn.sigmoid(logits)
        else:
            (probs,) = promote(self.probs)
        return jnp.broadcast_to(probs, self.batch_shape)


def promote_value(x, *params) -> tuple[jax.Array, ...]:
    """Promote parameters and a value ``x`` to their common floating dtype.

    Integer and boolean arrays (counts, category indices, an integer ``total_count``) take the
    floating dtype of the other arguments, since strict promotion refuses to mix integer and
    floating arrays implicitly. Returns ``(*params, x)``.
    """
    args = (*params, jnp.asarray(x))

    def integral(a):
        return hasattr(a, "dtype") and not jnp.issubdtype(a.dtype, jnp.inexact)

    dtype = float_dtype(*[a for a in args if not integral(a)])
    return tuple(jnp.asarray(a, dtype) for a in args)


def is_integer(x) -> jax.Array:
    """Elementwise: ``x`` is a finite integer value (``x`` floating)."""
    return jnp.isfinite(x) & (x == jnp.floor(x))


@functools.cache
def _stirlerr_table(count: int) -> np.ndarray:
    r""":math:`\delta(k)` for :math:`k = 0, \dots, count - 1` (``inf`` at 0), correctly rounded
    to float64: :math:`\log k! - (k + \tfrac12)\log k + k - \tfrac12\log 2\pi` in 50-digit decimal
    arithmetic (the cancellation of the float64 formula cannot reach it)."""
    from decimal import Decimal, localcontext

    pi = Decimal("3.14159265358979323846264338327950288419716939937510582097494459")
    out = [np.inf]
    with localcontext() as ctx:
        ctx.prec = 50
        half_log_2pi = (2 * pi).ln() / 2
        for k in range(1, count):
            d = Decimal(math.factorial(k)).ln() - (k + Decimal("0.5")) * Decimal(k).ln()
            out.append(float(d + k - half_log_2pi))
    return np.asarray(out, dtype=np.float64)


_TABLE_SIZE = 32  # the table is built on first trace, not at import


def stirlerr_at_integers(k) -> jax.Array:
    r"""The Stirling remainder :math:`\delta(k) = \log k! - (k + \tfrac12)\log k + k
    - \tfrac12\log 2\pi` at integer-valued ``k >= 0`` (floating), as Loader (2000) and R do it:
    a table of correctly rounded values for :math:`k < 32` and Stirling's series
    :math:`\frac{1}{12k} - \frac{1}{360k^3} + \frac{1}{1260k^5} - \frac{1}{1680k^7}
    + \frac{1}{1188k^9}` above (truncation below 1e-16 relative). Exact to rounding in every
    dtype, and one gather and a short polynomial per point: the general :func:`stirlerr` climbs
    to its series by recurrence in low precision, several times the work. Non-integer ``k`` below
    32 read the table at :math:`\lfloor k\rfloor` (callers mask them).

    References:
      Loader, C. (2000). Fast and accurate computation of binomial probabilities
      [@loader2000binomial].

    Examples:
      >>> import jax.numpy as jnp
      >>> round(float(stirlerr_at_integers(jnp.asarray(1.0))), 6)  # 1 - log(sqrt(2 pi))
      0.081061
    """
    small = k < _TABLE_SIZE
    index = jnp.where(small, k, 0.0).astype(jnp.int32)  # NaN and negatives: masked by callers
    table = jnp.asarray(_stirlerr_table(_TABLE_SIZE), k.dtype)
    at_table = jnp.take(table, index, mode="clip")
    r = 1 / jnp.where(small, float(_TABLE_SIZE), k)  # one division per point, then Horner
    r2 = r * r
    series = (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - r2 / 1188) * r2) * r2) * r2) * r
    return jnp.where(small, at_table, series)


def undefined_score(record) -> NoReturn:
    name = type(record).__name__
    raise TypeError(
        f"{name}.score: the score grad_x log p(x) is undefined for the discrete distribution "
        f"{name}: x takes integer values, so log_prob has no gradient with respect to x. "
        "Differentiate log_prob with respect to the parameters instead (e.g. jax.grad over the "
        "record, which is a pytree)."
    )


# ------------------------------------------------------------------------------- lattice entropy
_WINDOW_BELOW = 150
_WINDOW = 320
_QUAD_HALF_WIDTH = 14.0


def _composite_gauss_legendre(num_nodes: int, num_panels: int):
    """Nodes and weights of composite Gauss–Legendre quadrature on [-1, 1]."""
    t, w = np.polynomial.legendre.leggauss(num_nodes)
    edges = np.linspace(-1.0, 1.0, num_panels + 1)
    nodes = [(a + b) / 2 + (b - a) / 2 * t for a, b in zip(edges[:-1], edges[1:], strict=True)]
    weights = [(b - a) / 2 * w for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return np.concatenate(nodes), np.concatenate(weights)


_GL_NODES, _GL_WEIGHTS = _composite_gauss_legendre(32, 4)


def lattice_entropy(log_pmf, mean, sd, lower, upper) -> jax.Array:
    r"""Entropy :math:`-\sum_k p(k)\log p(k)` of a unimodal law on the integers in
    ``[lower, upper]``.

    Two evaluations, selected elementwise:

    - **exact sum** over the 320 integers from :math:`\max(\text{lower}, \lfloor\mu\rfloor - 150)`
      when :math:`\sigma < 14` (always the case when the law is near an end of its support).
      Bernstein's inequality :math:`P(|X - \mu| \ge t) \le 2\exp(-t^2 / (2(\sigma^2 + t/3)))`
      (Poisson and binomial laws) bounds the omitted mass by :math:`10^{-19}`;
    - **Gauss–Legendre quadrature** (4 panels of 32 nodes) of the smooth interpolant
      :math:`-p(x)\log p(x)` over :math:`\mu \pm 14\sigma` when :math:`\sigma \ge 14` and that
      window lies inside the support. By the Poisson summation formula the lattice sum of an
      analytic function of width :math:`\sigma` differs from its integral by
      :math:`O(e^{-2\pi^2\sigma^2})`, negligible here; mass beyond :math:`14\sigma` is below
      :math:`10^{-30}`.

    ``log_pmf`` maps a floating array of points with a trailing window axis to log-masses (the
    caller expands its parameters with ``[..., None]``); ``mean``, ``sd``, ``lower``, ``upper``
    broadcast to the batch shape.
    """
    dtype = mean.dtype
    mean, sd, lower, upper = jnp.broadcast_arrays(mean, sd, lower, upper)
    use_quad = (
        (sd >= _QUAD_HALF_WIDTH)
        & (mean - _QUAD_HALF_WIDTH * sd >= lower)
        & (mean + _QUAD_HALF_WIDTH * sd <= upper)
    )
    # exact sum
    start = jax.lax.stop_gradient(jnp.maximum(lower, jnp.floor(mean) - _WINDOW_BELOW))
    k = start[..., None] + jnp.arange(_WINDOW, dtype=dtype)
    inside = k <= upper[..., None]
    lp = log_pmf(jnp.where(inside, k, start[..., None]))
    p = jnp.exp(lp)
    terms = jnp.where(inside & (p > 0), -p * jnp.where(p > 0, lp, 0.0), 0.0)
    exact = jnp.sum(terms, axis=-1)
    # quadrature of the interpolant (points moved to the mode where unused: no NaN, no grad)
    half = _QUAD_HALF_WIDTH * jnp.where(use_quad, sd, 1.0)
    centre = jnp.where(use_quad, mean, jnp.maximum(jnp.floor(mean), lower))
    x = centre[..., None] + jnp.where(use_quad, half, 0.0)[..., None] * jnp.asarray(
        _GL_NODES, dtype
    )
    lq = log_pmf(x)
    quad = half * jnp.sum(jnp.asarray(_GL_WEIGHTS, dtype) * (-jnp.exp(lq) * lq), axis=-1)
    return jnp.where(use_quad, quad, exact)
