r"""f-divergences between distribution records: exact sums (:func:`f_divergence`) or Monte
Carlo with an error bar (:func:`f_divergence_estimate`)."""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

import gmath.densities as gd
from gmath._estimate import Estimate, mean_and_stderr
from gmath._numerics import check_key, gammaln
from gmath.densities import Distribution
from gmath.divergences._generators import Generator
from gmath.divergences._params import (
    bernoulli_log_probs,
    categorical_log_probs,
    check_pair,
    check_same_categories,
    common_dtype,
    finish,
    params,
)
from gmath.divergences._registry import Registry

__all__ = ["F_DIVERGENCE", "f_divergence", "f_divergence_estimate"]

# pair of classes -> ``fn(p, q, generator)``: the exact sum, or ``None`` where the concrete
# parameters leave the summation window (or a Binomial count is traced)
F_DIVERGENCE = Registry("f_divergence")


_LOG_RATIO_ASYMPTOTE = 700.0  # u = p/q > e^700: q f(u) = p f(u)/u taken as p f'(inf) (finite)


def _terms(lp, lq, g: Generator):
    r""":math:`q f(p/q)` with the limits :math:`q f(0)` (p = 0) and :math:`p f'(\infty)` (q = 0).

    Where :math:`\log(p/q) > 700` and :math:`f'(\infty)` is finite the term is
    :math:`p f'(\infty)` (the asymptote; :math:`f(u)` itself may overflow there). With
    :math:`f'(\infty) = \infty` such a term overflows (``inf`` or NaN): e.g. KL between laws whose
    mass ratio exceeds :math:`e^{709}` somewhere.
    """
    p_zero, q_zero = jnp.isneginf(lp), jnp.isneginf(lq)
    both = ~p_zero & ~q_zero
    asymptote = both & (jnp.where(both, lp - lq, 0.0) > _LOG_RATIO_ASYMPTOTE)
    if math.isinf(g.at_infinity):
        asymptote = jnp.zeros_like(both)
    regular_at = both & ~asymptote
    lu = jnp.where(regular_at, lp - lq, 0.0)
    regular = jnp.exp(jnp.where(regular_at, lq, 0.0)) * g.fn(lu)

    def limit(mass_log, value):
        if value == 0:
            return jnp.zeros_like(mass_log)
        if math.isinf(value):  # +-inf wherever used (mass > 0); a constant: no 0 * inf gradient
            return jnp.full_like(mass_log, value)
        m = jnp.exp(jnp.where(jnp.isneginf(mass_log), 0.0, mass_log))
        return m * value

    only_p = (~p_zero & q_zero) | asymptote
    only_q = p_zero & ~q_zero
    return jnp.where(
        regular_at,
        regular,
        jnp.where(only_p, limit(lp, g.at_infinity), jnp.where(only_q, limit(lq, g.at_zero), 0.0)),
    )


def _binomial_log_pmf(n, lp1, lp0, k):
    valid = k <= n
    ks = jnp.where(valid, k, 0.0)
    # k log p with 0 log 0 = 0: a point mass (p = 0 or 1) has log-probability 0 at its atom
    succ = jnp.where(ks == 0, 0.0, ks * jnp.where(ks == 0, 0.0, lp1))
    fail = jnp.where(n - ks == 0, 0.0, (n - ks) * jnp.where(n - ks == 0, 0.0, lp0))
    out = gammaln(n + 1) - gammaln(ks + 1) - gammaln(n - ks + 1) + succ + fail
    return jnp.where(valid, out, -jnp.inf)


# --------------------------------------------------------- infinite supports {0, 1, 2, ...}
_POISSON_WINDOW = 1024  # terms per Poisson record, from floor(rate) - _POISSON_BELOW
_POISSON_BELOW = 480
_GEOMETRIC_WINDOW = 4096  # terms per Geometric record, from 0
_LOG_NEGLIGIBLE = math.log(1e-30)  # inside the windows: both masses below this count as truncated
_LOG_TAIL = math.log(5e-19)  # each omitted tail of each record: mass below 5e-19


def _window(d, dt, shape):
    r"""``(start, length, ok)``: the window ``start + [0, length)`` of ``d``'s support and where
    (elementwise) the mass of ``d`` outside it is provably below :math:`10^{-18}`."""
    if isinstance(d, gd.Poisson):
        rate = jnp.broadcast_to(params(dt, d.rate), shape)
        start = jax.lax.stop_gradient(jnp.maximum(jnp.floor(rate) - _POISSON_BELOW, 0.0))

        def bernstein_log(t):  # log P(X - rate >= t), likewise P(rate - X >= t), t > 0
            return -(t * t) / (2 * (rate + t / 3))

        below = jnp.where(start > 0, bernstein_log(rate - start + 1), -jnp.inf)
        above = bernstein_log(start + _POISSON_WINDOW - rate)
        ok = (below <= _LOG_TAIL) & (above <= _LOG_TAIL) & (rate >= 0)
        return start, _POISSON_WINDOW, ok
    _, lp0 = bernoulli_log_probs(d, dt)  # Geometric: P(X >= n) = (1 - p)^n exactly
    ok = jnp.broadcast_to(_GEOMETRIC_WINDOW * lp0 <= _LOG_TAIL, shape)
    return jnp.zeros(shape, dt), _GEOMETRIC_WINDOW, ok


def _exact_counts(p, q, g):
    """Poisson / Geometric pairs: sums over the union of a window around each record's mass."""
    dt = common_dtype(p, q)
    shape = jnp.broadcast_shapes(tuple(p.batch_shape), tuple(q.batch_shape))
    ok = _window(q, dt, shape)[2] & _window(p, dt, shape)[2]
    try:
        concrete_ok = bool(np.all(np.asarray(ok)))
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
        concrete_ok = True  # traced: NaN where the window does not suffice (documented)
    if not concrete_ok:
        return None  # concrete parameters beyond the windows: Monte Carlo
    return _windowed_sum(p, q, g)


@functools.partial(jax.jit, static_argnums=2)
def _windowed_sum(p, q, g):
    dt = common_dtype(p, q)
    shape = jnp.broadcast_shapes(tuple(p.batch_shape), tuple(q.batch_shape))
    start_q, len_q, ok_q = _window(q, dt, shape)
    start_p, len_p, ok_p = _window(p, dt, shape)
    expand = (slice(None),) + (None,) * len(shape)
    k_q = start_q + jnp.arange(len_q, dtype=dt)[expand]
    k_p = start_p + jnp.arange(len_p, dtype=dt)[expand]
    new = (k_p < start_q) | (k_p >= start_q + len_q)  # the p-window without the q-window

    def summed(k, keep=None):
        lp, lq = jnp.broadcast_arrays(p.log_prob(k), q.log_prob(k))
        # points where both masses are below 1e-30 count as truncated (u := 1, f(1) = 0)
        tiny = jnp.maximum(lp, lq) < _LOG_NEGLIGIBLE
        t = _terms(jnp.where(tiny, 0.0, lp), jnp.where(tiny, 0.0, lq), g)
        return jnp.sum(t if keep is None else jnp.where(keep, t, 0.0), 0)

    total = summed(k_q) + summed(k_p, new)
    return jnp.where(ok_p & ok_q, total, jnp.nan)


def _categorical(p, q, g):
    check_same_categories("f_divergence", p.num_categories, q.num_categories)
    dt = common_dtype(p, q)
    lp, lq = jnp.broadcast_arrays(categorical_log_probs(p, dt), categorical_log_probs(q, dt))
    return jnp.sum(_terms(lp, lq, g), -1)


def _bernoulli(p, q, g):
    dt = common_dtype(p, q)
    lp1, lp0 = bernoulli_log_probs(p, dt)
    lq1, lq0 = bernoulli_log_probs(q, dt)
    return _terms(lp1, lq1, g) + _terms(lp0, lq0, g)


def _binomial(p, q, g):
    dt = common_dtype(p, q)
    try:
        counts = np.concatenate(
            [np.ravel(np.asarray(p.total_count)), np.ravel(np.asarray(q.total_count))]
        )
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
        return None  # traced counts: the support is not static
    top = int(counts.max())
    n_p, n_q = params(dt, p.total_count, q.total_count)
    lp1, lp0 = bernoulli_log_probs(p, dt)
    lq1, lq0 = bernoulli_log_probs(q, dt)
    shape = jnp.broadcast_shapes(jnp.shape(lp1), jnp.shape(lq1), jnp.shape(n_p), jnp.shape(n_q))
    k = jnp.arange(top + 1, dtype=dt).reshape((top + 1,) + (1,) * len(shape))
    lp = _binomial_log_pmf(n_p, lp1, lp0, k)
    lq = _binomial_log_pmf(n_q, lq1, lq0, k)
    return jnp.sum(_terms(*jnp.broadcast_arrays(lp, lq), g), 0)


F_DIVERGENCE.register(gd.Categorical, gd.Categorical)(_categorical)
F_DIVERGENCE.register(gd.Bernoulli, gd.Bernoulli)(_bernoulli)
F_DIVERGENCE.register(gd.Binomial, gd.Binomial)(_binomial)
for _a in (gd.Poisson, gd.Geometric):
    for _b in (gd.Poisson, gd.Geometric):
        F_DIVERGENCE.register(_a, _b)(_exact_counts)


def _check_generator(where, generator):
    if not isinstance(generator, Generator):
        raise TypeError(
            f"{where}: generator must be a gmath.divergences.generators.Generator, got "
            f"{generator!r}."
        )


def f_divergence(p: Distribution, q: Distribution, generator: Generator) -> jax.Array:
    r"""f-divergence :math:`D_f(p \| q) = E_q[f(p(X)/q(X))]`, summed exactly.

    The generator is evaluated on log-ratios :math:`\log p - \log q` (see
    :mod:`gmath.divergences.generators`). Categorical, Bernoulli and Binomial pairs (concrete
    ``total_count``) are summed exactly over the support, with the limits :math:`q f(0)` where
    :math:`p = 0` and :math:`p \lim_{u\to\infty} f(u)/u` where :math:`q = 0`; the result is an
    array.

    Poisson and Geometric records (either against either) have infinite support; they are
    summed over a static window, the union of one window per record: 1024 integers from
    :math:`\max(0, \lfloor\lambda\rfloor - 480)` for a Poisson, :math:`\{0, \dots, 4095\}` for
    a Geometric. The window is used (elementwise) only where the mass each record puts outside
    its own window is provably below :math:`10^{-18}`: for a Poisson by Bernstein's inequality
    :math:`P(\pm(X - \lambda) \ge t) \le \exp(-t^2 / (2(\lambda + t/3)))`, each tail at most
    :math:`5\cdot10^{-19}` (this holds for :math:`\lambda < 2585`); for a Geometric
    exactly, :math:`P(X \ge 4096) = (1 - p)^{4096} \le 5\cdot10^{-19}`
    (:math:`p \ge 0.0102`, mean :math:`\lesssim 97`). Inside the union, points where both
    masses are below :math:`10^{-30}` are dropped too (at most 5120 points). The neglected mass
    of each law is then :math:`P_{out}, Q_{out} < 1.01\cdot10^{-18}`. What this guarantees:

    - for a generator with finite :math:`f(0)` and :math:`f'(\infty) = \lim f(u)/u` (total
      variation, Jensen–Shannon, squared Hellinger, triangular, ...), convexity gives
      :math:`|f(u)| \le M(1 + u)` with :math:`M = \max(|f(0)|, |f'(\infty)|)`, so the neglected
      sum is at most :math:`M(P_{out} + Q_{out}) < 2.02 M\cdot10^{-18}`: the result is exact
      to rounding. (Where :math:`\log(p/q) > 700`, the term is its asymptote
      :math:`p f'(\infty)`, off by far less than rounding for these generators.)
    - for a generator unbounded at 0 or infinity (KL either way, Jeffreys, Pearson, Neyman,
      Amari :math:`\alpha`, ...) no bound on :math:`f` is used: the result is exact **up to the
      truncation of mass below** :math:`1.01\cdot10^{-18}` of both laws. For logarithmic growth
      (KL, Jeffreys) the log-ratio is affine in :math:`k` for these families and the neglected
      part is of the order of the truncated mass times :math:`|\log(p/q)|` there; for power growth (e.g. Pearson,
      :math:`\sum_k p(k)^2/q(k)`) the summand can peak where neither law has mass (Poisson:
      near :math:`\lambda_p^2/\lambda_q`) and the truncated sum is then too small, even
      finite where the divergence is infinite (:math:`\chi^2` of a Geometric against a
      Poisson). Check such cases against a closed form (:func:`chi_squared`, :func:`renyi`).
      And where :math:`\log(p/q)` exceeds about 709 at a point the laws still weigh
      (:math:`f(u)` overflows; e.g. KL(Poisson(1500) \| Poisson(3))) the result is ``inf`` or
      NaN: use :func:`kl` there.

    Where the parameters are concrete and some element's laws are too wide for the windows,
    ``NotImplementedError`` is raised (use :func:`f_divergence_estimate`); under ``jit``
    (traced parameters) such elements are NaN.
    Rounding: the sum of up to 5120 terms has an absolute error of a few ulps of
    :math:`E_q|f(p/q)|`, so a divergence much smaller than that loses relative accuracy.

    Exact sums are found by the classes of ``p`` and ``q`` (subclasses included). Any other
    pair raises ``NotImplementedError``: :func:`f_divergence_estimate` is the Monte Carlo
    counterpart, returning an :class:`~gmath.Estimate`.

    Args:
      p, q: distribution records.
      generator: a :class:`~gmath.divergences.generators.Generator`, e.g.
        ``gv.generators.jensen_shannon``.

    Returns:
      Array of the broadcast batch shape.

    Raises:
      NotImplementedError: no exact sum for the pair (or, concretely, laws too wide for the
        windows, or a traced Binomial ``total_count``); the message names
        :func:`f_divergence_estimate`.

    References:
      Csiszár (1967). Information-type measures of difference of probability distributions
      [@csiszar1967information]; Ali and Silvey (1966) [@ali1966general].

    Examples:
      >>> import gmath.divergences as gv
      >>> from gmath.densities import Poisson
      >>> kl = gv.f_divergence(Poisson(3.0), Poisson(5.0), gv.generators.kl_forward)
      >>> round(float(kl), 6)  # 3 log(3/5) + 2, exact (windowed sum)
      0.467523
    """
    _check_generator("f_divergence", generator)
    shape = check_pair("f_divergence", p, q)
    fn = F_DIVERGENCE.lookup(p, q)
    exact = None if fn is None else fn(p, q, generator)
    if exact is None:
        why = (
            "no exact sum is registered for the pair"
            if fn is None
            else "the laws are too wide for the summation window (or a Binomial total_count "
            "is traced)"
        )
        raise NotImplementedError(
            f"f_divergence: ({type(p).__qualname__}, {type(q).__qualname__}): {why}. Use "
            "gmath.divergences.f_divergence_estimate(key, p, q, generator, num_samples) for a "
            "Monte Carlo estimate with its standard error."
        )
    return finish(p, q, exact, shape)


def f_divergence_estimate(
    key: jax.Array, p: Distribution, q: Distribution, generator: Generator, num_samples: int
) -> Estimate:
    r"""Monte Carlo estimate of :math:`D_f(p \| q) = E_q[f(p(X)/q(X))]` with its standard error.

    The mean of :math:`f(p(X_i)/q(X_i))` over ``num_samples`` draws :math:`X_i \sim q`, the
    generator evaluated on :math:`\log p - \log q` (its limit :math:`f(0)` where
    :math:`p(X_i) = 0`); unbiased for every pair of records with ``sample`` and ``log_prob``.
    Gradients flow pathwise through ``q.sample`` (continuous families). :func:`f_divergence` is
    the exact counterpart (discrete families).

    Args:
      key: PRNG key.
      p, q: distribution records; batch shapes broadcast.
      generator: a :class:`~gmath.divergences.generators.Generator`.
      num_samples: number of draws from ``q``.

    Returns:
      ``Estimate(value, stderr)`` of the broadcast batch shape; ``stderr`` is the sample
      standard deviation of the terms over :math:`\sqrt n` (NaN for ``num_samples < 2``, see
      :func:`gmath.mean_and_stderr`).

    Raises:
      TypeError: ``generator`` not a Generator, ``key`` not a PRNG key, or ``p``, ``q`` not
        gmath distributions.

    Examples:
      >>> import jax
      >>> from gmath.densities import Normal
      >>> import gmath.divergences as gv
      >>> est = gv.f_divergence_estimate(jax.random.key(0), Normal(0.0, 1.0), Normal(0.0, 1.0),
      ...                                gv.generators.pearson, 100)
      >>> float(est.value), float(est.stderr)
      (0.0, 0.0)
    """
    _check_generator("f_divergence_estimate", generator)
    check_pair("f_divergence_estimate", p, q)
    check_key(key, where="f_divergence_estimate")
    x = q.sample(key, (int(num_samples),))
    lu = p.log_prob(x) - q.log_prob(x)
    p_zero = jnp.isneginf(lu)  # x ~ q, so q(x) > 0: only p(x) = 0 needs its limit f(0)
    terms = jnp.where(p_zero, generator.at_zero, generator.fn(jnp.where(p_zero, 0.0, lu)))
    return mean_and_stderr(terms)
