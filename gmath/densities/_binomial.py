"""The binomial distribution."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from gmath._numerics import log1pexp, not_subnormal, stirlerr
from gmath._numerics._discrete_numerics import (
    deviance,
    lattice_entropy_series,
    reciprocal,
    with_boundary_slope,
)
from gmath.densities._base import Distribution, distribution
from gmath.densities._discrete import (
    SuccessProbability,
    check_logits_or_probs,
    is_integer,
    lattice_entropy,
    promote_value,
    stirlerr_at_integers,
    undefined_score,
)

__all__ = ["Binomial"]

_LOG_2PI = math.log(2 * math.pi)
_LOG_2 = math.log(2)


def _p_q(param, from_logits: bool):
    """``(p, 1 - p, log p, log(1 - p))``, each computed directly; NaN for probs outside [0, 1].

    The logarithms are ``-inf`` at ``p = 0`` (``q = 0``) with a zero gradient there: the argument
    of ``log`` is sanitised before the call, so that no ``0 * inf`` reaches the gradient.
    Logits of ``-inf`` and ``+inf`` are the limits ``p = 0`` and ``p = 1``.
    """
    if from_logits:
        return (
            jax.nn.sigmoid(param),
            jax.nn.sigmoid(-param),
            -log1pexp(-param),
            -log1pexp(param),
        )
    valid = (param >= 0) & (param <= 1)
    p = jnp.where(valid, param, jnp.nan)
    # log p of a subnormal p is -inf, as XLA flushes subnormal operands to zero (inconsistently:
    # a comparison may see one that a logarithm flushes)
    pos = p >= jnp.finfo(p.dtype).tiny
    log_p = jnp.where(pos, jnp.log(jnp.where(pos, p, 1.0)), -jnp.inf)
    log_q = jnp.where(p < 1, jnp.log1p(-jnp.where(p < 1, p, 0.0)), -jnp.inf)
    return p, 1 - p, jnp.where(valid, log_p, jnp.nan), jnp.where(valid, log_q, jnp.nan)


def _loader(x, n, p, q, log_p, log_q, *, integers: bool):
    r"""Loader's saddle-point form of :math:`\log p(x)` for ``0 <= x <= n``, NaN for invalid
    parameters, ``-inf`` elsewhere.

    With ``integers`` (``log_prob``) ``x`` off the integers is outside the support and the
    Stirling remainders are read from their table; without, real ``x`` interpolate
    (``entropy``'s quadrature). The terms in ``n`` and ``p`` alone are computed once per
    distribution: the mean :math:`np` and its reciprocal for :func:`deviance`, or, where
    :math:`np < 1`, :math:`\log(x/(np))` as :math:`\log x - \log(np)` (no cancellation for
    :math:`x \ge 1`; :math:`\log(np)` from :math:`\log n + \log p` where :math:`np` is not a
    normal number and :math:`x/(np)` would overflow). Where :math:`p \in \{0, 1\}` (a point
    mass) every branch is evaluated at :math:`p = 1/2` and masked, so gradients are finite:
    ``-inf`` values (no mass) have a zero gradient, the mass at the support point its one-sided
    derivative.
    """
    dtype = x.dtype
    tiny = jnp.finfo(dtype).tiny
    ok = is_integer(n) & (n >= 0) & ~jnp.isnan(p)
    has_p = log_p > -jnp.inf
    has_q = log_q > -jnp.inf
    both = has_p & has_q & ok
    # per distribution, sanitised: the interior is only used where 0 < p < 1
    ns = jnp.where(n >= 2, n, 2.0)  # n < 2 has no interior points
    inv_n = 1 / ns

    def mean_terms(prob, log_prob):
        prob = jnp.where(both, prob, 0.5)
        log_prob = jnp.where(both, log_prob, -_LOG_2)
        m = ns * prob
        normal = m >= tiny
        inv_m = reciprocal(jnp.where(normal, m, 1.0))
        # m < 1 (x >= 1 > m): log(x / m) = log x - log m, two nonnegative terms, and the
        # derivative in m is -1/m itself (through x / m it would pass through the product of a
        # small cotangent and m, which underflows); log m from log n + log p where m is not a
        # normal number (a subnormal p from logits, whose ratio x / m would overflow)
        log_m = jnp.where(normal, jnp.log(jnp.where(normal, m, 1.0)), jnp.log(ns) + log_prob)
        below_one = m < 1
        scale = jnp.where(below_one, 1.0, inv_m)
        shift = jnp.where(below_one, -log_m, 0.0)
        return m, inv_m, scale, shift

    if integers:
        interior = is_integer(x) & (x > 0) & (x < n)
        delta = stirlerr_at_integers
    else:
        interior = (x > 0) & (x < n)
        delta = stirlerr
    xi = jnp.where(interior, x, 1.0)
    yi = jnp.where(interior, n - x, 1.0)
    lc = (
        delta(ns)
        - delta(xi)
        - delta(yi)
        - deviance(xi, *mean_terms(p, log_p))
        - deviance(yi, *mean_terms(q, log_q))
    )
    # one log for 2 pi k (n - k) / n (its argument is >= 1/2 inside: rounding costs < 2 ulps
    # absolute), with (n - k) / n first so that the product cannot overflow
    lf = _LOG_2PI + jnp.log(xi * (yi * inv_n))
    lp_s = jnp.where(has_p, log_p, 0.0)
    lq_s = jnp.where(has_q, log_q, 0.0)
    at_zero = jnp.where(n == 0, 0.0, jnp.where(has_q, n * lq_s, -jnp.inf))
    at_n = jnp.where(n == 0, 0.0, jnp.where(has_p, n * lp_s, -jnp.inf))
    ends = jnp.where(x == 0, at_zero, jnp.where(x == n, at_n, -jnp.inf))
    out = jnp.where(interior & both, lc - 0.5 * lf, jnp.where(interior, -jnp.inf, ends))
    return jnp.where(ok, out, jnp.nan)


@jax.jit
def _log_prob(x, n, p, q, log_p, log_q):
    return _loader(x, n, p, q, log_p, log_q, integers=True)


# variance from which the entropy is its asymptotic series (error O(variance^-3) < 1e-13)
_SERIES_VARIANCE = 1e4


@jax.jit
def _entropy(n, p, q, log_p, log_q):
    n, p, q, log_p, log_q = jnp.broadcast_arrays(n, p, q, log_p, log_q)
    ok = is_integer(n) & (n >= 0) & ~jnp.isnan(p)
    # H(n, p) = H(n, 1 - p): sum over the failures where p > 1/2, so that the window of the sum
    # lies near 0, where every integer is a float (near n = 1e9 float32 holds multiples of 64)
    swap = p > q
    p, q = jnp.where(swap, q, p), jnp.where(swap, p, q)
    log_p, log_q = jnp.where(swap, log_q, log_p), jnp.where(swap, log_p, log_q)
    var = n * p * q
    big = var >= _SERIES_VARIANCE
    # the lattice sum / quadrature at moderate variance (parameters moved where unused)
    nm = jnp.where(big, 0.0, n)
    e = [v[..., None] for v in (nm, p, q, log_p, log_q)]
    varm = jnp.where(big, 0.0, var)
    h = lattice_entropy(
        lambda k: _loader(k, *e, integers=False),
        nm * p,
        jnp.sqrt(varm),
        jnp.zeros_like(n),
        nm,
    )
    # the Edgeworth series at large variance: gamma_1^2 = (q - p)^2 / npq,
    # gamma_2 = (1 - 6pq) / npq
    vs = jnp.where(big, var, 1.0)
    series = lattice_entropy_series(vs, (q - p) ** 2 / vs, (1 - 6 * p * q) / vs)
    return jnp.where(ok, jnp.where(big, series, h), jnp.nan)


_PROBS_MESSAGE = "probs must lie in [0, 1] (a subnormal probability is not supported)."


@distribution
class Binomial(SuccessProbability, Distribution):
    r"""Binomial distribution: successes in :math:`n` Bernoulli(:math:`p`) trials.

    .. math::
        \log p(k) = \log\binom{n}{k} + k\log p + (n - k)\log(1 - p), \qquad k = 0, \dots, n,

    evaluated in Loader's saddle-point form (as R's ``dbinom``),
    :math:`\delta(n) - \delta(k) - \delta(n-k) - D(k, np) - D(n-k, nq)
    - \tfrac12\log\bigl(2\pi k (n-k)/n\bigr)` with the Stirling remainder :math:`\delta` and the
    deviance :math:`D(x, m) = x\log(x/m) + m - x` computed without cancellation, so it stays
    accurate for large :math:`n`. Mean :math:`np`, variance :math:`np(1-p)`, mode
    :math:`\min(\lfloor (n+1)p \rfloor, n)`. The entropy is an exact sum over a window of the
    support (omitted mass below :math:`10^{-19}`), or for :math:`196 \le np(1-p) < 10^4` a
    Gauss–Legendre integral of the interpolated summand
    (``gmath.densities._discrete.lattice_entropy``), accurate to about 1e-13 relative, or for
    :math:`\sigma^2 = np(1-p) \ge 10^4` the Edgeworth series
    :math:`\tfrac12\log(2\pi e\sigma^2) - \gamma_1^2/12 - \gamma_2^2/48 - 7\gamma_1^4/48
    + \gamma_1^2\gamma_2/8` with :math:`\gamma_1^2 = (1-2p)^2/\sigma^2`,
    :math:`\gamma_2 = (1 - 6p(1-p))/\sigma^2` (error :math:`O(\sigma^{-6})`, below 1e-13; a
    sum or a quadrature in the nodes :math:`np \pm 14\sigma` would lose the digits that float32
    cannot hold at large :math:`np`).

    **Edges.** :math:`p \in \{0, 1\}` (``probs``, or ``logits`` of :math:`\mp\infty`) is a point
    mass at 0 or :math:`n`: ``log_prob`` is 0 there and ``-inf`` elsewhere, the entropy 0.
    Gradients are finite at every parameter: a value of ``-inf`` (a point outside the support,
    or of no mass) has gradient 0, the log-mass of a support point at :math:`p = 0` or 1 its
    one-sided derivative (:math:`-n` with respect to ``probs`` for ``log_prob(0)`` at
    :math:`p = 0`), the entropy's slope in ``probs`` that of :math:`-p\log p`
    (:math:`+\infty` at :math:`p = 0`, :math:`-\infty` at 1), and float32 gradients with
    respect to saturated logits (:math:`|\ell|` up to ``inf``) are :math:`x - np` to rounding.
    ``total_count`` negative or non-integer, ``probs`` outside :math:`[0, 1]` or NaN ``logits``
    give NaN from every method, samples included.

    Pass exactly one of ``logits`` or ``probs``; both are pytree fields, the one not given is
    ``None``. ``total_count`` is a data field too (an array that broadcasts, possibly traced); it
    may be an integer or floating array. ``log_prob`` accepts integer or integer-valued floating
    ``x`` and is ``-inf`` for non-integer, negative or greater-than-``total_count`` values.
    ``sample`` (:func:`jax.random.binomial`) returns integer values in the floating dtype.
    ``score`` raises ``TypeError``: :math:`\nabla_x \log p(x)` is undefined for a discrete ``x``.

    Args:
      total_count: number of trials :math:`n \in \{0, 1, \dots\}`, any shape.
      logits: log-odds of success.
      probs: success probability :math:`p \in [0, 1]`.

    References:
      Loader, C. (2000). Fast and accurate computation of binomial probabilities
      [@loader2000binomial]. Johnson, Kemp and Kotz (2005). Univariate Discrete Distributions,
      3rd ed., ch. 3 [@johnson2005univariate].

    Examples:
      >>> from gmath.densities import Binomial
      >>> p = Binomial(10, probs=0.3)
      >>> round(float(p.log_prob(3)), 6)
      -1.32115
      >>> round(float(p.mean()), 6), round(float(p.entropy()), 6)
      (3.0, 1.779079)
    """

    total_count: Any = 1
    logits: Any = None
    probs: Any = None

    _param_event_ndims = {"total_count": 0, "logits": 0, "probs": 0}

    def __post_init__(self) -> None:
        check_logits_or_probs(self)
        super().__post_init__()

    def _constraints(self):
        n = jnp.asarray(self.total_count)
        if jnp.issubdtype(n.dtype, jnp.inexact):
            integral = jnp.isfinite(n) & (n == jnp.floor(n))
        else:
            integral = jnp.ones(n.shape, bool)
        out = [((n >= 0) & integral, "total_count must be a finite nonnegative integer.")]
        if self.probs is not None:
            probs = jnp.asarray(self.probs)
            out.append(((probs >= 0) & (probs <= 1) & not_subnormal(probs), _PROBS_MESSAGE))
        else:
            out.append((~jnp.isnan(jnp.asarray(self.logits)), "logits must not be NaN."))
        return out

    def _param(self):
        return self.logits if self.probs is None else self.probs

    def _promoted(self, x=None):
        """``(n, p, q, log p, log q[, x])`` in the common floating dtype."""
        if x is None:
            n, param = promote_value(self._param(), self.total_count)
            return (n, *_p_q(param, self.probs is None))
        n, param, x = promote_value(x, self.total_count, self._param())
        return (n, *_p_q(param, self.probs is None), x)

    def log_prob(self, x) -> jax.Array:
        *params, x = self._promoted(self._check_value(x))
        return _log_prob(x, *params)

    def score(self, x) -> jax.Array:
        """Undefined for a discrete ``x``: raises ``TypeError``."""
        undefined_score(self)

    def sample(self, key, sample_shape=()) -> jax.Array:
        n, p, *_ = self._promoted()
        shape = self._sample_shape(sample_shape)
        ok = is_integer(n) & (n >= 0) & ~jnp.isnan(p)
        draws = jax.random.binomial(
            key, jnp.where(ok, n, 0.0), jnp.where(ok, p, 0.5), shape, dtype=n.dtype
        )
        return jnp.where(ok, draws, jnp.nan)  # invalid parameters: NaN, never a count

    def entropy(self) -> jax.Array:
        r""":math:`-\sum_k p(k)\log p(k)`, summed or integrated as described above."""
        if self.probs is None:  # dH/dl = p(1 - p) dH/dp -> 0 at l = +-inf: autodiff is exact
            return jnp.broadcast_to(_entropy(*self._promoted()), self.batch_shape)
        n, probs = promote_value(self.probs, self.total_count)
        n, probs = jnp.broadcast_arrays(n, probs)

        def entropy(p):
            return _entropy(n, *_p_q(p, False))

        def point_mass(p):  # dH/dp = +inf at p = 0 and -inf at p = 1 (n >= 1): -np log p
            mask = ((p == 0) | (p == 1)) & (n >= 1)
            return mask, jnp.where(p == 0, jnp.inf, -jnp.inf), jnp.where(mask, 0.5, p)

        return jnp.broadcast_to(with_boundary_slope(entropy, point_mass, probs), self.batch_shape)

    def mean(self) -> jax.Array:
        r""":math:`np`."""
        n, p, *_ = self._promoted()
        return jnp.broadcast_to(n * p, self.batch_shape)

    def variance(self) -> jax.Array:
        r""":math:`np(1 - p)`."""
        n, p, q, *_ = self._promoted()
        return jnp.broadcast_to(n * p * q, self.batch_shape)

    def mode(self) -> jax.Array:
        r""":math:`\min(\lfloor (n + 1)p\rfloor, n)`."""
        n, p, *_ = self._promoted()
        return jnp.broadcast_to(jnp.minimum(jnp.floor((n + 1) * p), n), self.batch_shape)
