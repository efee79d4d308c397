"""Parameters of distribution records, read through their public attributes and methods.

Families accept alternative spellings (``logits=`` or ``probs=``; a covariance, its Cholesky
factor or its precision); the helpers here turn any spelling into the one a formula needs, in the
promoted dtype of everything involved. Log-probabilities and log-odds come from the density
classes' own methods (``logits_parameter``, ``log_prob``), cast to that dtype first.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gmath._config import error_if_not
from gmath._numerics import float_dtype
from gmath.densities import Bernoulli, Distribution

__all__ = [
    "as_dtype",
    "bernoulli_log_probs",
    "bernoulli_logits",
    "categorical_log_probs",
    "check_alpha",
    "check_distribution",
    "check_pair",
    "check_same_categories",
    "common_dtype",
    "expm1_minus",
    "finish",
    "identical",
    "invalid_mask",
    "lgamma_bregman",
    "log1p_minus",
    "log1p_rel",
    "log_cosh",
    "log_ratio",
    "nonnegative",
    "params",
    "raw_log_weights",
    "vanish",
]


def _leaves(d):
    return [v for v in jax.tree_util.tree_leaves(d) if v is not None]


def common_dtype(*records) -> np.dtype:
    """The floating dtype all parameters of ``records`` promote to."""
    leaves = []
    for r in records:
        leaves.extend(_leaves(r))
    return float_dtype(*leaves)


def params(dtype, *values) -> Any:
    """``values`` as arrays of ``dtype`` (``None`` passes through)."""
    out = tuple(None if v is None else jnp.asarray(v, dtype) for v in values)
    return out if len(out) > 1 else out[0]


def as_dtype(d, dtype) -> Any:
    """The record ``d`` with every parameter cast to ``dtype``, so its methods compute in it."""
    return jax.tree_util.tree_map(lambda v: jnp.asarray(v, dtype), d)


def bernoulli_logits(d, dtype) -> jax.Array:
    r"""Log-odds :math:`\log p - \log(1 - p)` of a Bernoulli, Binomial or Geometric record."""
    return as_dtype(d, dtype).logits_parameter()


def bernoulli_log_probs(d, dtype) -> tuple[jax.Array, jax.Array]:
    r""":math:`(\log p, \log(1 - p))` of a Bernoulli, Binomial or Geometric record.

    The log-probabilities of one trial, by :meth:`gmath.densities.Bernoulli.log_prob` (from
    whichever of ``logits`` and ``probs`` the record holds).
    """
    coin = as_dtype(Bernoulli(logits=d.logits, probs=d.probs), dtype)
    return coin.log_prob(1.0), coin.log_prob(0.0)


def categorical_log_probs(d, dtype) -> jax.Array:
    """Normalised log-probabilities (last axis) of a Categorical record (``logits_parameter``)."""
    return as_dtype(d, dtype).logits_parameter()


def expm1_minus(t) -> jax.Array:
    r""":math:`e^t - 1 - t \ge 0`, to a few ulps also near 0 (where it is :math:`t^2/2`).

    Below :math:`|t| = 1/2` a Horner-evaluated Taylor series (17 terms in float64, truncation
    below :math:`10^{-19}` relative; 10 in lower precisions, below :math:`10^{-10}`); above,
    ``expm1(t) - t`` (no significant cancellation there).
    """
    t = jnp.asarray(t)
    small = jnp.abs(t) < 0.5
    ts = jnp.where(small, t, 0.0)
    acc = jnp.ones_like(ts)
    # the term after the last kept one is 2 (t/2)^n / (n + 2)! relative: n = 16 and n = 9
    top = 18 if jnp.dtype(ts.dtype) == jnp.float64 else 11
    for k in range(top, 2, -1):  # 1 + t/3 (1 + t/4 (1 + ...))
        acc = 1 + ts / k * acc
    series = 0.5 * ts * ts * acc
    tl = jnp.where(small, 1.0, t)
    return jnp.where(small, series, jnp.expm1(tl) - tl)


def log_cosh(x) -> jax.Array:
    r""":math:`\log\cosh x`, accurate near 0 and without overflow for large :math:`|x|`."""
    x = jnp.abs(jnp.asarray(x))
    small = x < 1
    xs = jnp.where(small, x, 0.0)
    xl = jnp.where(small, 1.0, x)
    return jnp.where(
        small,
        jnp.log1p(2 * jnp.sinh(0.5 * xs) ** 2),
        xl + jnp.log1p(jnp.exp(-2 * xl)) - math.log(2.0),
    )


# ---------------------------------------------------------------------------- argument checks
def check_distribution(where: str, d: object, name: str = "p") -> None:
    """A ``TypeError`` naming the foreign type when ``d`` is not a gmath distribution record
    (an instance of :class:`gmath.densities.Distribution`)."""
    if not isinstance(d, Distribution):
        cls = type(d)
        raise TypeError(
            f"{where}: {name} is a {cls.__module__}.{cls.__qualname__}, which is not a gmath "
            "distribution; convert it with the gmath.densities family of the same parameters "
            "(for example gmath.densities.Normal(loc, scale))"
            + (
                f", or register a closed form for its pair with gmath.divergences.register_{where}."
                if where in ("kl", "renyi", "total_variation")
                else "."
            )
        )


def _batch(d) -> tuple[int, ...]:
    return tuple(getattr(d, "batch_shape", ()))


def check_pair(where: str, p, q, *, foreign: bool = False) -> tuple[int, ...]:
    """The broadcast batch shape of ``p`` and ``q``, or a ``ValueError`` naming ``where``,
    both families and their batch shapes; a ``TypeError`` (:func:`check_distribution`) when
    either is not a gmath distribution, unless ``foreign``."""
    if not foreign:
        check_distribution(where, p, "p")
        check_distribution(where, q, "q")
    try:
        return tuple(jnp.broadcast_shapes(_batch(p), _batch(q)))
    except ValueError:
        raise ValueError(
            f"{where}: the batch shapes of p ({type(p).__name__}, batch_shape {_batch(p)}) and q "
            f"({type(q).__name__}, batch_shape {_batch(q)}) do not broadcast."
        ) from None


def check_same_categories(where: str, kp: int, kq: int) -> None:
    """``ValueError`` unless two categorical laws have the same number of categories."""
    if kp != kq:
        raise ValueError(
            f"{where}: Categoricals over {kp} and {kq} categories (p and q must have the same "
            "number of categories)."
        )


def check_alpha(where: str, alpha, dtype) -> jax.Array:
    r"""The order :math:`\alpha` as an array of ``dtype``; NaN where it is not in
    :math:`[0, \infty)` (``InvalidParameterError`` in checks mode, also when traced)."""
    alpha = jnp.asarray(alpha, dtype)
    ok = (alpha >= 0) & (alpha < jnp.inf)
    error_if_not(ok, f"{where}: alpha must be finite and nonnegative.")
    return jnp.where(ok, alpha, jnp.nan)


def invalid_mask(*records) -> jax.Array | None:
    """Boolean array (broadcasting to the batch) true where some record has invalid parameters
    (the records' own constraints), or ``None`` when no record reports any."""
    bad = None
    for d in records:
        valid = getattr(d, "_valid", None)
        ok = valid() if callable(valid) else None
        if ok is None:
            continue
        b = ~jnp.asarray(ok, bool)
        bad = b if bad is None else bad | b
    return bad


def identical(p, q) -> jax.Array | bool:
    """Boolean array of the broadcast batch shape: true where ``p`` and ``q`` are the same law
    because every parameter is equal (same family, same spelling); ``False`` otherwise."""
    if type(p) is not type(q):
        return False
    names = getattr(type(p), "_param_event_ndims", None)
    if not names:
        return False
    out: jax.Array | bool = True
    for name, k in names.items():
        a, b = getattr(p, name, None), getattr(q, name, None)
        if (a is None) != (b is None):
            return False
        if a is None:
            continue
        a, b = jnp.asarray(a), jnp.asarray(b)
        try:
            a, b = jnp.broadcast_arrays(a, b)
        except ValueError:
            return False
        eq = a == b
        if k:
            eq = jnp.all(eq, axis=tuple(range(eq.ndim - k, eq.ndim)))
        out = out & eq
    return out


# ---------------------------------------------------------------------------- accurate pieces
def log1p_minus(x) -> jax.Array:
    r""":math:`\log(1 + x) - x \le 0`, accurate near 0 (where it is :math:`-x^2/2`):
    :math:`-(e^t - 1 - t)` at :math:`t = \log(1 + x)`."""
    return -expm1_minus(jnp.log1p(x))


def log1p_rel(x, dx, y=None) -> jax.Array:
    r""":math:`\log((x + dx)/x)` for :math:`x > 0`, :math:`x + dx > 0`: ``log1p(dx/x)`` where
    :math:`|dx| \le x/2` (relative accuracy for nearby values), else a difference of logs, of
    ``y`` (:math:`= x + dx`, when the caller has it exactly) or of :math:`x + dx`.

    The quotient's derivative is :math:`(d(dx) - (dx/x)\,dx')/x`, without the
    :math:`0 \cdot \infty` of :math:`dx/x^2` when :math:`x^2` underflows."""
    x, dx = jnp.asarray(x), jnp.asarray(dx)
    near = (jnp.abs(dx) <= 0.5 * x) & (x > 0) & (x < jnp.inf)
    xn = jnp.where(near, x, 1.0)
    dn = jnp.where(near, dx, 0.0)
    xf = jnp.where(near, 1.0, x)
    yf = jnp.where(near, 1.0, x + dx if y is None else y)
    return jnp.where(near, jnp.log1p(_ratio(dn, xn)), jnp.log(yf) - jnp.log(xf))


@jax.custom_jvp
def _ratio(d, x):
    """``d / x`` with the derivative ``(dd - (d/x) dx) / x`` (no ``x**2``)."""
    return d / x


@_ratio.defjvp
def _ratio_jvp(primals, tangents):
    d, x = primals
    dd, dx = tangents
    r = d / x
    return r, (dd - r * dx) / x


def log_ratio(x, y) -> jax.Array:
    r""":math:`\log(y/x)` for positive ``x``, ``y``, relatively accurate when :math:`y \approx x`
    (the difference :math:`y - x` is exact there)."""
    x, y = jnp.asarray(x), jnp.asarray(y)
    # equal zeros or infinities: 0 (the same law). Equal finite values go through the formula,
    # which gives exactly 0 there with the right derivatives (1/y, -1/x, and higher ones).
    same = (x == y) & ((x == 0) | jnp.isinf(x))
    xs, ys = jnp.where(same, 1.0, x), jnp.where(same, 1.0, y)
    return jnp.where(same, 0.0, log1p_rel(xs, ys - xs, ys))


# Binet's function mu(x) = lgamma(x) - (x - 1/2) log x + x - log(2 pi)/2 ~ sum_k c_k x^(1 - 2k),
# c_k = B_2k / (2k (2k - 1)) (DLMF 5.11.1); six terms at x >= 16 leave less than 1e-17 relative
# in the Bregman divergence below.
_BINET = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360)
_SHIFT = 16


def _binet_bregman(a, d):
    r""":math:`\mu(a + d) - \mu(a) - d\mu'(a)` for :math:`a, a + d \ge 16` (term by term:
    :math:`a^{-m}[(1 + s)^{-m} - 1 + ms]`, :math:`s = d/a`, written without cancellation)."""
    s = d / a
    near = s > -0.5
    ss = jnp.where(near, s, 0.0)
    ell = jnp.log1p(ss)
    e = expm1_minus(ell)  # s - log1p(s) >= 0
    af = jnp.where(near, 1.0, a)
    df = jnp.where(near, 0.0, d)
    dt = jnp.result_type(a, d)
    m = jnp.arange(1, 2 * len(_BINET), 2, dtype=dt)
    c = jnp.asarray(_BINET, dt)
    a_, af_, df_ = a[..., None], af[..., None], df[..., None]
    close = a_ ** (-m) * (expm1_minus(-m * ell[..., None]) + m * e[..., None])
    far = (af_ + df_) ** (-m) - af_ ** (-m) + m * df_ * af_ ** (-m - 1)
    return jnp.sum(c * jnp.where(near[..., None], close, far), -1)


def lgamma_bregman(a, d) -> jax.Array:
    r""":math:`G(a, d) = \log\Gamma(a + d) - \log\Gamma(a) - d\,\psi(a) \ge 0` for :math:`a > 0`,
    :math:`a + d > 0`, to a few ulps relative also for :math:`|d| \ll a` (where it is
    :math:`\psi'(a) d^2/2`).

    The recurrence :math:`\log\Gamma(a) = \log\Gamma(a + n) - \sum_{k<n}\log(a + k)` moves the
    argument to :math:`A = a + 16`, each step adding :math:`s_k - \log(1 + s_k) \ge 0`,
    :math:`s_k = d/(a + k)`; at :math:`A` Stirling's series (DLMF 5.11.1) gives
    :math:`G(A, d) = A[(1 + s)\log(1 + s) - s] + \tfrac12[s - \log(1 + s)] + B_\mu(A, d)`,
    :math:`s = d/A`, with the Bregman divergence :math:`B_\mu \ge 0` of Binet's function. Every
    term is nonnegative: nothing cancels.
    """
    a, d = jnp.asarray(a), jnp.asarray(d)
    k = jnp.arange(_SHIFT, dtype=jnp.result_type(a, d))
    out = jnp.sum(expm1_minus(jnp.log1p(_ratio(d[..., None], a[..., None] + k))), -1)
    big = a + _SHIFT
    s = d / big
    ell = jnp.log1p(s)
    e = expm1_minus(ell)  # s - log1p(s)
    out = out + big * (s * ell - e) + 0.5 * e
    return out + _binet_bregman(big, d)


def raw_log_weights(d, dtype) -> jax.Array:
    r"""Unnormalised log-probabilities (last axis) of a Categorical record: its ``logits`` as
    given (so that differences of nearby logits are exact), else :math:`\log` of its ``probs``."""
    if getattr(d, "logits", None) is not None:
        logits = jnp.asarray(d.logits, dtype)
    else:
        logits = jnp.log(jnp.asarray(d.probs, dtype))
    return jnp.broadcast_to(logits, tuple(d.batch_shape) + logits.shape[-1:])


def _np_all(x) -> bool | None:
    try:
        return bool(np.all(np.asarray(x)))
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
        return None


def nonnegative(value) -> jax.Array:
    """``value`` with rounding below 0 clipped to 0: a ``where``, not ``jnp.maximum``, whose
    derivative is halved at the tie ``value = 0`` (identical laws, where the Hessian of a
    divergence is the Fisher information)."""
    return jnp.where(value < 0, jnp.zeros((), value.dtype), value)


def vanish(same, value) -> jax.Array:
    r"""``value`` where ``same`` is false, and exactly 0 where it is true, derivatives kept.

    Between identical laws a divergence is at its minimum, 0. There it is set to exactly 0 as
    :math:`v - \operatorname{stop\_gradient}(v)` (where the formula is finite) rather than
    replaced by a constant, so that derivatives of every order still come from the formula:
    the gradient is the formula's (0 up to rounding) and the Hessian is the Fisher information
    metric, :math:`\nabla^2_{\theta'} \mathrm{KL}(p_\theta \| p_{\theta'})|_{\theta' = \theta}
    = F(\theta)` (Amari, *Information Geometry and Its Applications*, 2016, sec. 3.2), which
    natural-gradient code computes as ``jax.hessian`` of the KL at identical laws."""
    zero = jnp.where(jnp.isfinite(value), value - jax.lax.stop_gradient(value), 0.0)
    return jnp.where(same, zero, value)


def finish(p, q, value, shape) -> jax.Array:
    """Broadcast ``value`` to ``shape``; exactly 0 between identical records; NaN where either
    record has invalid parameters (shared by the closed-form divergences)."""
    value = jnp.broadcast_to(value, jnp.broadcast_shapes(value.shape, shape))
    same = identical(p, q)
    if same is not False:
        value = vanish(same, value)
    bad = invalid_mask(p, q)
    if bad is not None:
        value = jnp.where(bad, jnp.nan, value)
    return value
