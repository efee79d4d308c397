r"""f-divergences between distribution records: exact sums or Monte Carlo with an error bar."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from gmath._estimate import Estimate
from gmath._numerics import gammaln
from gmath.divergences._generators import Generator
from gmath.divergences._params import (
    bernoulli_log_probs,
    categorical_log_probs,
    common_dtype,
    params,
)

__all__ = ["f_divergence", "mean_and_stderr"]


def mean_and_stderr(terms, axis: int = 0) -> Estimate:
    r"""``Estimate(mean, s / sqrt(n))`` of i.i.d. ``terms`` along ``axis`` (``s``: ddof = 1)."""
    n = terms.shape[axis]
    mean = jnp.mean(terms, axis)
    if n < 2:
        return Estimate(mean, jnp.full_like(mean, jnp.inf))
    std = jnp.std(terms, axis, ddof=1)
    return Estimate(mean, std / math.sqrt(n))


def _terms(lp, lq, g: Generator):
    r""":math:`q f(p/q)` with the limits :math:`q f(0)` (p = 0) and :math:`p f'(\infty)` (q = 0)."""
    p_zero, q_zero = jnp.isneginf(lp), jnp.isneginf(lq)
    both = ~p_zero & ~q_zero
    lu = jnp.where(both, lp - lq, 0.0)
    regular = jnp.exp(jnp.where(both, lq, 0.0)) * g.fn(lu)

    def limit(mass_log, value):
        if value == 0:
            return jnp.zeros_like(mass_log)
        m = jnp.exp(jnp.where(jnp.isneginf(mass_log), 0.0, mass_log))
        return m * value

    only_p = ~p_zero & q_zero
    only_q = p_zero & ~q_zero
    return jnp.where(
        both,
        regular,
        jnp.where(only_p, limit(lp, g.at_infinity), jnp.where(only_q, limit(lq, g.at_zero), 0.0)),
    )


def _binomial_log_pmf(n, lp1, lp0, k):
    valid = k <= n
    ks = jnp.where(valid, k, 0.0)
    out = gammaln(n + 1) - gammaln(ks + 1) - gammaln(n - ks + 1) + ks * lp1 + (n - ks) * lp0
    return jnp.where(valid, out, -jnp.inf)


def _exact(p, q, g):
    name = type(p).__name__
    if name != type(q).__name__:
        return None
    dt = common_dtype(p, q)
    if name == "Categorical":
        lp, lq = jnp.broadcast_arrays(categorical_log_probs(p, dt), categorical_log_probs(q, dt))
        return jnp.sum(_terms(lp, lq, g), -1)
    if name == "Bernoulli":
        lp1, lp0 = bernoulli_log_probs(p, dt)
        lq1, lq0 = bernoulli_log_probs(q, dt)
        return _terms(lp1, lq1, g) + _terms(lp0, lq0, g)
    if name == "Binomial":
        try:
            counts = np.concatenate(
                [np.ravel(np.asarray(p.total_count)), np.ravel(np.asarray(q.total_count))]
            )
        except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
            return None  # traced counts: fall back to Monte Carlo
        top = int(counts.max())
        n_p, n_q = params(dt, p.total_count, q.total_count)
        lp1, lp0 = bernoulli_log_probs(p, dt)
        lq1, lq0 = bernoulli_log_probs(q, dt)
        shape = jnp.broadcast_shapes(jnp.shape(lp1), jnp.shape(lq1), jnp.shape(n_p), jnp.shape(n_q))
        k = jnp.arange(top + 1, dtype=dt).reshape((top + 1,) + (1,) * len(shape))
        lp = _binomial_log_pmf(n_p, lp1, lp0, k)
        lq = _binomial_log_pmf(n_q, lq1, lq0, k)
        return jnp.sum(_terms(*jnp.broadcast_arrays(lp, lq), g), 0)
    return None


def f_divergence(p, q, generator: Generator, *, key=None, num_samples: int | None = None):
    r"""f-divergence :math:`D_f(p \| q) = E_q[f(p(X)/q(X))]`, exact or by Monte Carlo.

    The generator is evaluated on log-ratios :math:`\log p - \log q` (see
    :mod:`gmath.divergences.generators`). Categorical, Bernoulli and Binomial pairs (concrete
    ``total_count``) are summed exactly over the support, with the limits :math:`q f(0)` where
    :math:`p = 0` and :math:`p \lim_{u\to\infty} f(u)/u` where :math:`q = 0`; the result is an
    array. Any other pair is estimated from ``num_samples`` draws of ``q``; the result is an
    :class:`~gmath.divergences.Estimate` whose ``stderr`` is the sample standard deviation of
    the terms over :math:`\sqrt n`. Gradients flow pathwise through ``q.sample`` (continuous
    families).

    Args:
      p, q: distribution records.
      generator: a :class:`~gmath.divergences.generators.Generator`, e.g.
        ``gv.generators.jensen_shannon``.
      key: PRNG key, required for the Monte Carlo route.
      num_samples: number of draws from ``q`` (Monte Carlo route).

    Returns:
      Array of the broadcast batch shape (exact), or ``Estimate(value, stderr)`` (Monte Carlo).

    References:
      Csiszár (1967). Information-type measures of difference of probability distributions
      [@csiszar1967information]; Ali and Silvey (1966) [@ali1966general].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.densities import Normal
      >>> import gmath.divergences as gv
      >>> import jax
      >>> est = gv.f_divergence(Normal(0.0, 1.0), Normal(0.0, 1.0), gv.generators.pearson,
      ...                       key=jax.random.key(0), num_samples=100)
      >>> float(est.value), float(est.stderr)
      (0.0, 0.0)
    """
    if not isinstance(generator, Generator):
        raise TypeError(
            f"f_divergence: generator must be a gmath.divergences.generators.Generator, got "
            f"{generator!r}."
        )
    exact = _exact(p, q, generator)
    if exact is not None:
        shape = jnp.broadcast_shapes(tuple(p.batch_shape), tuple(q.batch_shape))
        return jnp.broadcast_to(exact, jnp.broadcast_shapes(exact.shape, shape))
    if key is None or num_samples is None:
        raise ValueError(
            f"f_divergence: no exact sum for ({type(p).__name__}, {type(q).__name__}); pass "
            "key= and num_samples= for a Monte Carlo estimate."
        )
    x = q.sample(key, (int(num_samples),))
    lu = p.log_prob(x) - q.log_prob(x)
    p_zero = jnp.isneginf(lu)  # x ~ q, so q(x) > 0: only p(x) = 0 needs its limit f(0)
    terms = jnp.where(p_zero, generator.at_zero, generator.fn(jnp.where(p_zero, 0.0, lu)))
    return mean_and_stderr(terms)
