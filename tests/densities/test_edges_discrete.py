"""Edge grid for the discrete families (Bernoulli, Binomial, Categorical, Poisson, Geometric):
parameters at the ends of their ranges (probs 0, 1, 1e-30, 1 - 2^-24; logits +-1e4, +-88,
+-inf; rates 0, 1e-300, 1e12, 1e30, inf; total_count 0 and 1e9), values at the support's ends,
off the support and at +-inf, values and gradients of ``log_prob``, entropies, moments, sample
validity, and invalid parameters (NaN). Oracles: mpmath at 40 digits (log-gamma, exact sums of
-p log p), the closed forms of the moments and of the derivatives of ``log_prob``, and, for the
entropy at variance >= 1e4, its asymptotic series (truncation below 1e-20 there).

Conventions the oracles encode: a log-mass of ``-inf`` (a point off the support or without
mass) has gradient 0; logits of ``-inf`` / ``+inf`` are the limits p = 0 / p = 1 (except the
Geometric, for which p = 0 is no distribution: NaN).

Parameters used in both dtypes are float32 numbers (``_f32``), so that both dtypes evaluate the
same law and share one oracle.
"""

import functools
import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest

from gmath.densities import Bernoulli, Binomial, Categorical, Geometric, Poisson

from _edges import EdgeGroup, assert_edges

NAN = math.nan
INF = math.inf
F32_MAX = float(np.finfo(np.float32).max)
F64_MAX = float(np.finfo(np.float64).max)
mp.mp.dps = 40


def _f32(v):
    return float(np.float32(v))


P_TINY = _f32(1e-30)  # a normal float32 number
P_ALMOST_ONE = 1 - 2.0**-24  # the float32 number below 1
KEY = jax.random.key(7)
BOTH = ("float64", "float32")


def _rtol(f64=1e-13, f32=2e-6):
    return {"float64": f64, "float32": f32}


def _mpf(v):
    return mp.mpf(v) if math.isfinite(v) else (mp.inf if v > 0 else mp.ninf)


def _log(v):
    return -INF if v == 0 else float(mp.log(v))


def _is_count(x):
    return math.isfinite(x) and x == math.floor(x) and x >= 0


# --- oracles ----------------------------------------------------------------------------------


class _Oracle(Sequence):
    """Oracle values ``fn(*case)`` computed on first use, not at collection (the exact entropy
    sums take seconds in mpmath)."""

    def __init__(self, fn, cases):
        self._fn, self._cases = fn, tuple(cases)

    def __len__(self):
        return len(self._cases)

    @functools.cached_property
    def _values(self):
        return [self._fn(*case) for case in self._cases]

    def __getitem__(self, i):
        return self._values[i]


def _log_sigmoid(lg):
    """log(1 / (1 + e^-l)) at 40 digits, exact at +-inf."""
    if lg == INF:
        return 0.0
    if lg == -INF:
        return -INF
    return -mp.log1p(mp.exp(-mp.mpf(lg)))


def _sigmoid(lg):
    if math.isinf(lg):
        return 1.0 if lg > 0 else 0.0
    return 1 / (1 + mp.exp(-mp.mpf(lg)))


def _bernoulli_log_prob(log_p, log_q, x):
    return float(log_p) if x == 1 else float(log_q) if x == 0 else -INF


@mp.workdps(80)  # n log p - log n! cancels 12 digits and more at n = 1e12
def _binomial_log_prob(n, p, x):
    if not (_is_count(x) and x <= n):
        return -INF
    if p == 0:
        return 0.0 if x == 0 else -INF
    if p == 1:
        return 0.0 if x == n else -INF
    n_, p_, x_ = mp.mpf(n), mp.mpf(p), mp.mpf(x)
    return float(
        mp.loggamma(n_ + 1)
        - mp.loggamma(x_ + 1)
        - mp.loggamma(n_ - x_ + 1)
        + x_ * mp.log(p_)
        + (n_ - x_) * mp.log1p(-p_)
    )


@mp.workdps(80)  # x log rate - log x! cancels 31 digits at rate = x = 1e30
def _poisson_log_prob(rate, x):
    if not _is_count(x) or rate == INF:
        return -INF
    if rate == 0:
        return 0.0 if x == 0 else -INF
    lam, k = mp.mpf(rate), mp.mpf(x)
    return float(k * mp.log(lam) - lam - mp.loggamma(k + 1))


def _geometric_log_prob(p, x):
    if not _is_count(x):
        return -INF
    if p == 1:
        return 0.0 if x == 0 else -INF
    return float(mp.mpf(x) * mp.log1p(-mp.mpf(p)) + mp.log(p))


def _entropy_sum(log_first, log_ratio, lo, hi):
    """-sum_{k=lo}^{hi} p(k) log p(k) in mpmath, with log p(lo) = ``log_first`` and the
    recurrence log p(k + 1) = log p(k) + ``log_ratio(k)``."""
    total = mp.mpf(0)
    lp = log_first
    for k in range(lo, hi + 1):
        total -= mp.exp(lp) * lp
        lp += log_ratio(k)
    return total


def _window(mean, sd, lo, hi):
    """mean +- 15 sd (+-20), clipped: the mass outside is below 1e-40 for these laws."""
    return int(max(lo, mean - 15 * sd - 20)), int(min(hi, mean + 15 * sd + 20))


def _binomial_entropy(n, p):
    if p in (0.0, 1.0) or n == 0:
        return 0.0
    q = 1 - mp.mpf(p)
    var = n * mp.mpf(p) * q
    if var >= 1e4:  # Edgeworth to var^-2 (Comon 1994): the rest is O(var^-3) < 1e-12 * 1e-8
        g1, g2 = (q - p) ** 2 / var, (1 - 6 * p * q) / var
        return float(
            mp.log(2 * mp.pi * mp.e * var) / 2
            - (g1 / 12 + g2**2 / 48 + 7 * g1**2 / 48 - g1 * g2 / 8)
        )
    lo, hi = _window(n * mp.mpf(p), mp.sqrt(var), 0, n)
    n_, log_odds = mp.mpf(n), mp.log(p) - mp.log(q)
    first = (
        mp.loggamma(n_ + 1)
        - mp.loggamma(lo + 1)
        - mp.loggamma(n_ - lo + 1)
        + lo * mp.log(p)
        + (n_ - lo) * mp.log(q)
    )
    return float(_entropy_sum(first, lambda k: mp.log((n_ - k) / (k + 1)) + log_odds, lo, hi))


def _poisson_entropy(rate):
    if rate == 0:
        return 0.0
    if rate == INF:
        return INF
    lam = mp.mpf(rate)
    if rate >= 1e5:  # Evans et al. (1988): the next term is O(rate^-4) < 1e-20
        return float(mp.log(2 * mp.pi * mp.e * lam) / 2 - 1 / (12 * lam) - 1 / (24 * lam**2))
    lo, hi = _window(rate, math.sqrt(rate), 0, INF)
    hi = max(hi, 8)  # tiny rates: the terms beyond k = 8 are below rate^9
    log_lam = mp.log(lam)
    first = lo * log_lam - lam - mp.loggamma(lo + 1)
    return float(_entropy_sum(first, lambda k: log_lam - mp.log(k + 1), lo, hi))


def _geometric_entropy_logits(lg):
    if lg == INF:
        return 0.0
    if lg == -INF:
        return NAN
    lg = mp.mpf(lg)  # -log p = log1p(e^-l), q/p = e^-l, log q = -log1p(e^l)
    return float(mp.log1p(mp.exp(-lg)) + mp.exp(-lg) * mp.log1p(mp.exp(lg)))


def _geometric_entropy_probs(p):
    if not 0 < p <= 1:
        return NAN
    if p == 1:
        return 0.0
    p = mp.mpf(p)
    return float(-mp.log(p) - (1 - p) / p * mp.log1p(-p))


# --- groups -----------------------------------------------------------------------------------

X_BERNOULLI = (0.0, 1.0, -1.0, 0.5, 2.0, INF, -INF)
PROBS = (0.0, 1.0, P_TINY, _f32(1e-5), 0.25, 0.5, P_ALMOST_ONE)
BAD_PROBS = (-0.5, 1.5, NAN)
LOGITS = (-INF, -1e4, -88.0, -30.0, -1.0, 0.0, 1.0, 30.0, 88.0, 1e4, INF)


def _bernoulli_groups():
    args = [(p, x) for p in PROBS + BAD_PROBS for x in X_BERNOULLI]
    lp = []
    grad = []
    for p, x in args:
        if math.isnan(p) or not 0 <= p <= 1:
            lp.append(NAN)
            grad.append(NAN)
            continue
        log_p, log_q = _log(p), float(mp.log1p(-mp.mpf(p)))
        lp.append(_bernoulli_log_prob(log_p, log_q, x))
        # d/dp: 1/p at x = 1, -1/(1 - p) at x = 0; 0 where the value is -inf
        if x == 1:
            grad.append(1 / p if p > 0 else 0.0)
        elif x == 0:
            grad.append(-1 / (1 - p) if p < 1 else 0.0)
        else:
            grad.append(0.0)
    largs = [(lg, x) for lg in LOGITS + (NAN,) for x in X_BERNOULLI]
    llp, lgrad = [], []
    for lg, x in largs:
        if math.isnan(lg):
            llp.append(NAN)
            lgrad.append(NAN)
            continue
        llp.append(_bernoulli_log_prob(_log_sigmoid(lg), _log_sigmoid(-lg), x))
        # d/dl log sigma(l) = sigma(-l); d/dl log sigma(-l) = -sigma(l)
        lgrad.append(float(_sigmoid(-lg)) if x == 1 else -float(_sigmoid(lg)) if x == 0 else 0.0)
    ent_args = [(p,) for p in PROBS + BAD_PROBS]
    ent = [
        NAN
        if math.isnan(p) or not 0 <= p <= 1
        else float(-p * mp.log(p) - (1 - mp.mpf(p)) * mp.log1p(-mp.mpf(p)))
        if 0 < p < 1
        else 0.0
        for (p,) in ent_args
    ]
    lent_args = [(lg,) for lg in LOGITS + (NAN,)]
    lent = []
    for (lg,) in lent_args:
        if math.isnan(lg):
            lent.append(NAN)
        elif math.isinf(lg):
            lent.append(0.0)
        else:  # H = softplus(-|l|) + |l| sigma(-|l|)
            a = abs(mp.mpf(lg))
            lent.append(float(mp.log1p(mp.exp(-a)) + a / (1 + mp.exp(a))))
    moments = [
        (NAN, NAN) if math.isnan(p) or not 0 <= p <= 1 else (p, float(mp.mpf(p) * (1 - mp.mpf(p))))
        for (p,) in ent_args
    ]
    lmoments = [
        (NAN, NAN) if math.isnan(lg) else (float(_sigmoid(lg)), float(_sigmoid(lg) * _sigmoid(-lg)))
        for (lg,) in lent_args
    ]
    tiny = {"float64": 1e-300, "float32": 1e-37}
    return [
        EdgeGroup(
            "bernoulli_log_prob_probs",
            lambda p, x: Bernoulli(probs=p).log_prob(x),
            args,
            lp,
            _rtol(1e-14, 4e-7),
        ),
        EdgeGroup(
            "bernoulli_grad_log_prob_probs",
            jax.grad(lambda p, x: Bernoulli(probs=p).log_prob(x)),
            *_valid_only(args, grad),
            _rtol(1e-14, 4e-7),
        ),
        EdgeGroup(
            "bernoulli_log_prob_logits",
            lambda lg, x: Bernoulli(logits=lg).log_prob(x),
            largs,
            llp,
            _rtol(1e-14, 4e-7),
            tiny,
        ),
        EdgeGroup(
            "bernoulli_grad_log_prob_logits",
            jax.grad(lambda lg, x: Bernoulli(logits=lg).log_prob(x)),
            *_valid_only(largs, lgrad),
            _rtol(1e-14, 4e-7),
            tiny,
        ),
        EdgeGroup(
            "bernoulli_entropy_probs",
            lambda p: Bernoulli(probs=p).entropy(),
            ent_args,
            ent,
            _rtol(1e-14, 4e-7),
        ),
        EdgeGroup(
            "bernoulli_entropy_logits",
            lambda lg: Bernoulli(logits=lg).entropy(),
            lent_args,
            lent,
            _rtol(1e-14, 4e-7),
            # float32 at |l| = 88: H = 5.4e-37 from e^-88 = 6e-39, which XLA flushes to zero
            {"float64": 1e-300, "float32": 1e-36},
        ),
        EdgeGroup(
            "bernoulli_mean_probs",
            lambda p: Bernoulli(probs=p).mean(),
            ent_args,
            [m for m, _ in moments],
            _rtol(0.0, 0.0),
        ),
        EdgeGroup(
            "bernoulli_variance_probs",
            lambda p: Bernoulli(probs=p).variance(),
            ent_args,
            [v for _, v in moments],
            _rtol(1e-15, 1.2e-7),
        ),
        EdgeGroup(
            "bernoulli_mean_logits",
            lambda lg: Bernoulli(logits=lg).mean(),
            lent_args,
            [m for m, _ in lmoments],
            _rtol(1e-15, 2.4e-7),
            tiny,
        ),
        EdgeGroup(
            "bernoulli_variance_logits",
            lambda lg: Bernoulli(logits=lg).variance(),
            lent_args,
            [v for _, v in lmoments],
            _rtol(1e-15, 4e-7),
            tiny,
        ),
        EdgeGroup(
            "bernoulli_sample_in_support_probs",
            lambda p: _fraction_in(Bernoulli(probs=p).sample(KEY, (64,)), 0.0, 1.0),
            ent_args,
            [NAN if math.isnan(m) else 1.0 for m, _ in moments],
            _rtol(0.0, 0.0),
        ),
        EdgeGroup(
            "bernoulli_sample_point_masses",  # p = 0 and 1 (probs and logits +-inf): the atom
            lambda p, lg, atom: jnp.mean(
                (Bernoulli(probs=p).sample(KEY, (64,)) == atom)
                & (Bernoulli(logits=lg).sample(KEY, (64,)) == atom)
            ).astype(p.dtype),
            [(0.0, -INF, 0.0), (1.0, INF, 1.0)],
            [1.0, 1.0],
            _rtol(0.0, 0.0),
        ),
    ]


def _valid_only(args, expected):
    """The cases of a gradient group at valid parameters (invalid ones are checked by value:
    their gradient is that of a masked NaN, not a number to assert)."""
    keep = [(a, e) for a, e in zip(args, expected, strict=True) if not math.isnan(e)]
    return [a for a, _ in keep], [e for _, e in keep]


def _fraction_in(draws, lo, hi):
    """Fraction of draws that are integers in [lo, hi]; NaN if every draw is NaN."""
    ok = (draws >= lo) & (draws <= hi) & (draws == jnp.floor(draws))
    frac = jnp.mean(ok.astype(draws.dtype))
    return jnp.where(jnp.all(jnp.isnan(draws)), jnp.nan, frac)


N_BOTH = (0.0, 1.0, 10.0, 1e9)
X_OFF = (-1.0, 0.5, INF, -INF)


def _binomial_x(n):
    xs = {0.0, n, 2 * n + 1, math.floor(n / 4), math.floor(n / 2)} | set(X_OFF)
    if n >= 2:
        xs |= {1.0, 3.0} if n < 1e9 else set()
    return sorted(xs, key=lambda v: (math.isnan(v), v))


def _binomial_groups():
    args, lp = [], []
    for n in N_BOTH:
        for p in PROBS:
            for x in _binomial_x(n):
                args.append((n, p, x))
                lp.append(_binomial_log_prob(n, p, x))
    # f64 only: neighbours of the ends at n = 1e9 (not float32 numbers), tiny probs
    args64, lp64 = [], []
    for n in (1e9, 1e12):
        for p in (1e-300, 1e-30, 1e-9, 0.25, 1 - 1e-12):
            for x in (1.0, 2.0, n - 1, n - 2, math.floor(n * p), math.floor(n * p) + 1):
                args64.append((n, p, x))
                lp64.append(_binomial_log_prob(n, p, x))
    # invalid parameters: NaN for every x
    bad = [
        (n, p, x) for n, p in ((-1.0, 0.5), (2.5, 0.5), (NAN, 0.5), (INF, 0.5)) for x in (0.0, 1.0)
    ]
    bad += [(10.0, p, x) for p in BAD_PROBS for x in (0.0, 3.0, -1.0)]
    # gradients in logits: d/dl log p(k) = k - n sigma(l) (0 where the value is -inf)
    gl_args, gl = [], []
    for lg in LOGITS + (-104.0, -50.0, -10.0, 10.0, 50.0, 104.0):
        for x in (0.0, 3.0, 10.0, 11.0, 0.5):
            gl_args.append((lg, x))
            dead = (
                (lg == -INF and x != 0) or (lg == INF and x != 10) or not (_is_count(x) and x <= 10)
            )
            gl.append(0.0 if dead else float(x - 10 * _sigmoid(lg)))
    # gradients in probs: d/dp log p(k) = k/p - (n - k)/(1 - p)
    gp_args, gp = [], []
    for p in PROBS:
        for x in (0.0, 3.0, 10.0, -1.0, 0.5):
            gp_args.append((p, x))
            value = _binomial_log_prob(10.0, p, x)
            if value == -INF:
                gp.append(0.0)
            else:
                gp.append(
                    float(
                        (x / mp.mpf(p) if x else 0) - ((10 - x) / (1 - mp.mpf(p)) if x < 10 else 0)
                    )
                )
    # entropy, moments
    e_args = [(n, p) for n in N_BOTH + (1000.0,) for p in PROBS]
    e_args += [
        (n, p)
        for n, p in ((-1.0, 0.5), (2.5, 0.5), (INF, 0.5), (10.0, -0.5), (10.0, 1.5), (10.0, NAN))
    ]
    ent = _Oracle(
        lambda n, p: _binomial_entropy(n, p) if _is_count(n) and 0 <= p <= 1 else NAN, e_args
    )
    mean, var = [], []
    for n, p in e_args:
        if not (_is_count(n) and 0 <= p <= 1):
            mean.append(NAN)
            var.append(NAN)
            continue
        mean.append(float(n * mp.mpf(p)))
        var.append(float(n * mp.mpf(p) * (1 - mp.mpf(p))))
    el_args = [(n, lg) for n in (10.0, 1e9) for lg in LOGITS]
    # saturated logits: the entropy tends to 0 (|l| >= 88 in float32 rounds p to 0 or 1 exactly)
    el_args = [a for a in el_args if abs(a[1]) < 30]
    el_args += [(n, lg) for n in (10.0, 1e9) for lg in (-INF, -1e4, 1e4, INF)]
    el = _Oracle(
        lambda n, lg: 0.0 if abs(lg) > 30 else _binomial_entropy(n, float(_sigmoid(lg))), el_args
    )
    return [
        EdgeGroup(
            "binomial_log_prob",
            lambda n, p, x: Binomial(n, probs=p).log_prob(x),
            args,
            lp,
            _rtol(1e-13, 2e-6),
            {"float64": 1e-13, "float32": 2e-6},
        ),
        EdgeGroup(
            "binomial_prob",
            lambda n, p, x: Binomial(n, probs=p).prob(x),
            args,
            [math.exp(v) for v in lp],
            # exp turns the absolute error of log p (a few ulps of |log p| <= 87) relative
            _rtol(1e-13, 1e-5),
            {"float64": 1e-300, "float32": 1e-37},
        ),
        EdgeGroup(
            "binomial_log_prob_float64_large_counts",
            lambda n, p, x: Binomial(n, probs=p).log_prob(x),
            args64,
            lp64,
            {"float64": 1e-13},
            {"float64": 1e-13},
        ),
        EdgeGroup(
            "binomial_invalid_log_prob",
            lambda n, p, x: Binomial(n, probs=p).log_prob(x),
            bad,
            [NAN] * len(bad),
            _rtol(),
        ),
        EdgeGroup(
            "binomial_grad_log_prob_logits",
            jax.grad(lambda lg, x: Binomial(10.0, logits=lg).log_prob(x)),
            gl_args,
            gl,
            _rtol(1e-12, 1e-6),
            {"float64": 1e-12, "float32": 2e-6},
        ),
        EdgeGroup(
            "binomial_grad_log_prob_probs",
            jax.grad(lambda p, x: Binomial(10.0, probs=p).log_prob(x)),
            gp_args,
            gp,
            _rtol(1e-12, 2e-6),
        ),
        EdgeGroup(
            "binomial_entropy",
            lambda n, p: Binomial(n, probs=p).entropy(),
            e_args,
            ent,
            _rtol(1e-12, 2e-5),
            {"float64": 1e-14, "float32": 1e-36},
        ),
        EdgeGroup(
            "binomial_entropy_logits",
            lambda n, lg: Binomial(n, logits=lg).entropy(),
            el_args,
            el,
            _rtol(1e-12, 2e-5),
            {"float64": 1e-14, "float32": 1e-30},
        ),
        EdgeGroup(
            "binomial_mean",
            lambda n, p: Binomial(n, probs=p).mean(),
            e_args,
            mean,
            _rtol(1e-15, 1.2e-7),
        ),
        EdgeGroup(
            "binomial_variance",
            lambda n, p: Binomial(n, probs=p).variance(),
            e_args,
            var,
            _rtol(1e-15, 2.4e-7),
        ),
        EdgeGroup(
            "binomial_sample_in_support",  # point masses (p = 0, 1) exactly at their atom
            lambda n, p: _fraction_in(
                Binomial(n, probs=p).sample(KEY, (32,)),
                jnp.where(p == 1, n, 0.0),
                jnp.where(p == 0, 0.0, n),
            ),
            e_args,
            [NAN if math.isnan(m) else 1.0 for m in mean],
            _rtol(0.0, 0.0),
        ),
    ]


RATES = (0.0, P_TINY, _f32(1e-5), 0.5, 1.0, 10.0, 1e4, _f32(1e12), _f32(1e30), INF)


def _poisson_groups():
    args, lp = [], []
    for rate in RATES:
        xs = {0.0, 1.0, 5.0, math.floor(rate) if math.isfinite(rate) else 7.0, 16777216.0}
        xs |= set(X_OFF)
        if math.isfinite(rate) and rate >= 1:
            xs.add(_f32(math.floor(rate + math.sqrt(rate))))
        for x in sorted(xs):
            args.append((rate, x))
            lp.append(_poisson_log_prob(rate, x))
    args += [(r, x) for r in (-1.0, NAN) for x in (0.0, 1.0, -1.0)]
    lp += [NAN] * 6
    args64, lp64 = [], []
    for rate in (1e-300, 1e-155, 1e-30):
        for x in (0.0, 1.0, 2.0, 1e9, 1e300):
            args64.append((rate, x))
            lp64.append(_poisson_log_prob(rate, x))
    # a subnormal rate is invalid (NaN): XLA flushes subnormal operands to zero, so no method
    # can compute with it, and rate 0 in its place would give log p(1) = -inf, not -744.4
    args64 += [(5e-324, 0.0), (5e-324, 1.0), (2.3e-308, 1.0)]
    lp64 += [NAN, NAN, _poisson_log_prob(2.3e-308, 1.0)]
    # d/drate log p(k) = k / rate - 1 (0 where the value is -inf)
    g_args, g = [], []
    # (a subnormal rate is invalid: its values are NaN, asserted above)
    for rate in (0.0, 2.3e-308, 1e-300, 1e-155, 1e-30, P_TINY, 0.5, 10.0, _f32(1e12), _f32(1e30)):
        for x in (0.0, 1.0, 5.0, -1.0, 0.5):
            g_args.append((rate, x))
            if _poisson_log_prob(rate, x) == -INF:
                g.append(0.0)
            else:
                g.append(float(mp.mpf(x) / mp.mpf(rate) - 1) if x else -1.0)
    g32 = [
        (a, v)
        for a, v in zip(g_args, g, strict=True)
        if a[0] in (0.0, P_TINY, 0.5, 10.0, _f32(1e12), _f32(1e30))
    ]
    e_args = [(r,) for r in RATES + (1e-300, 1e-155, 99.0, 9999.0, 1e6, -1.0, NAN)]

    def entropy(r):
        return _poisson_entropy(r) if not (math.isnan(r) or r < 0) else NAN

    ent = _Oracle(entropy, e_args)
    e32_args = [a for a in e_args if a[0] not in (1e-300, 1e-155)]
    mom = [r if not (math.isnan(r) or r < 0) else NAN for (r,) in e_args]
    return [
        EdgeGroup(
            "poisson_log_prob",
            lambda r, x: Poisson(r).log_prob(x),
            args,
            lp,
            _rtol(1e-13, 2e-6),
            {"float64": 1e-14, "float32": 1e-6},
        ),
        EdgeGroup(
            "poisson_prob",
            lambda r, x: Poisson(r).prob(x),
            args,
            [math.exp(v) if not math.isnan(v) else NAN for v in lp],
            # exp turns the absolute error of log p (a few ulps of |log p| <= 87) relative
            _rtol(1e-13, 1e-5),
            {"float64": 1e-300, "float32": 1e-37},
        ),
        EdgeGroup(
            "poisson_log_prob_float64_tiny_rates",
            lambda r, x: Poisson(r).log_prob(x),
            args64,
            lp64,
            {"float64": 1e-13},
            {"float64": 1e-300},
        ),
        EdgeGroup(
            "poisson_grad_log_prob_float64",
            jax.grad(lambda r, x: Poisson(r).log_prob(x)),
            g_args,
            g,
            {"float64": 1e-13},
        ),
        EdgeGroup(
            "poisson_grad_log_prob_float32",
            jax.grad(lambda r, x: Poisson(r).log_prob(x)),
            [a for a, _ in g32],
            [v for _, v in g32],
            {"float32": 2e-6},
        ),
        EdgeGroup(
            "poisson_entropy_float64",
            lambda r: Poisson(r).entropy(),
            e_args,
            ent,
            {"float64": 1e-12},
            {"float64": 1e-300},
        ),
        EdgeGroup(
            "poisson_entropy_float32",
            lambda r: Poisson(r).entropy(),
            e32_args,
            _Oracle(entropy, e32_args),
            {"float32": 2e-6},
            {"float32": 1e-35},
        ),
        EdgeGroup(
            "poisson_mean_float64", lambda r: Poisson(r).mean(), e_args, mom, {"float64": 0.0}
        ),
        EdgeGroup(
            "poisson_variance_float64",
            lambda r: Poisson(r).variance(),
            e_args,
            mom,
            {"float64": 0.0},
        ),
        EdgeGroup(
            "poisson_mean_float32",
            lambda r: Poisson(r).mean(),
            *zip(
                *[(a, m) for a, m in zip(e_args, mom, strict=True) if a[0] not in (1e-300, 1e-155)],
                strict=True,
            ),
            {"float32": 0.0},
        ),
        EdgeGroup(
            "poisson_variance_float32",
            lambda r: Poisson(r).variance(),
            *zip(
                *[(a, m) for a, m in zip(e_args, mom, strict=True) if a[0] not in (1e-300, 1e-155)],
                strict=True,
            ),
            {"float32": 0.0},
        ),
        EdgeGroup(
            "poisson_sample_in_support",  # rate 0: all 0; rate inf: all inf
            lambda r: _fraction_in(
                Poisson(r).sample(KEY, (32,)),
                jnp.where(r == jnp.inf, jnp.inf, 0.0),
                jnp.where(r == 0, 0.0, jnp.inf),
            ),
            e_args,
            [NAN if math.isnan(m) else 1.0 for m in mom],
            _rtol(0.0, 0.0),
        ),
    ]


GEOMETRIC_PROBS = (1.0, 0.5, 0.25, P_TINY, _f32(1e-5), P_ALMOST_ONE)


def _geometric_groups():
    x_all = (0.0, 1.0, 10.0, 1e6) + X_OFF
    args = [(p, x) for p in GEOMETRIC_PROBS + (0.0,) + BAD_PROBS for x in x_all]
    lp, grad = [], []
    for p, x in args:
        if math.isnan(p) or not 0 < p <= 1:
            lp.append(NAN)
            grad.append(NAN)
            continue
        value = _geometric_log_prob(p, x)
        lp.append(value)
        # d/dp [k log(1 - p) + log p] = 1/p - k/(1 - p)
        grad.append(
            0.0 if value == -INF else float(1 / mp.mpf(p) - (x / (1 - mp.mpf(p)) if x else 0))
        )
    largs = [(lg, x) for lg in LOGITS + (NAN,) for x in (0.0, 1.0, 10.0, -1.0, 0.5)]
    llp, lgrad = [], []
    for lg, x in largs:
        if math.isnan(lg) or lg == -INF:
            llp.append(NAN)
            lgrad.append(NAN)
            continue
        if not _is_count(x):
            llp.append(-INF)
            lgrad.append(0.0)
            continue
        # log p(k) = k log sigma(-l) + log sigma(l); d/dl = -k sigma(l) + sigma(-l)
        if lg == INF and x > 0:
            llp.append(-INF)
            lgrad.append(0.0)
            continue
        llp.append(float((x * _log_sigmoid(-lg) if x else 0) + _log_sigmoid(lg)))
        lgrad.append(float(-x * _sigmoid(lg) + _sigmoid(-lg)))
    e_args = [(lg,) for lg in LOGITS + (NAN,)]
    ent = [_geometric_entropy_logits(lg) if not math.isnan(lg) else NAN for (lg,) in e_args]

    def moments(lg, dtype_max):
        if math.isnan(lg) or lg == -INF:
            return NAN, NAN
        if lg == INF:
            return 0.0, 0.0
        e = mp.exp(-mp.mpf(lg))
        m, v = e, e + e * e
        return tuple(float(t) if t <= dtype_max else INF for t in (m, v))

    mom64 = [moments(lg, F64_MAX) for (lg,) in e_args]
    mom32 = [moments(lg, F32_MAX) for (lg,) in e_args]
    pe_args = [(p,) for p in GEOMETRIC_PROBS + (0.0,) + BAD_PROBS]
    pent = [_geometric_entropy_probs(p) if not math.isnan(p) else NAN for (p,) in pe_args]
    pmean = [float((1 - mp.mpf(p)) / p) if 0 < p <= 1 else NAN for (p,) in pe_args]
    pvar = [float((1 - mp.mpf(p)) / mp.mpf(p) ** 2) if 0 < p <= 1 else NAN for (p,) in pe_args]
    pvar32 = [v if not (v > F32_MAX) else INF for v in pvar]
    return [
        EdgeGroup(
            "geometric_log_prob_probs",
            lambda p, x: Geometric(probs=p).log_prob(x),
            args,
            lp,
            _rtol(1e-14, 4e-7),
        ),
        EdgeGroup(
            "geometric_grad_log_prob_probs",
            jax.grad(lambda p, x: Geometric(probs=p).log_prob(x)),
            *_valid_only(args, grad),
            _rtol(1e-14, 4e-7),
        ),
        EdgeGroup(
            "geometric_log_prob_logits",
            lambda lg, x: Geometric(logits=lg).log_prob(x),
            largs,
            llp,
            _rtol(1e-14, 4e-7),
            {"float64": 1e-300, "float32": 1e-37},
        ),
        EdgeGroup(
            "geometric_grad_log_prob_logits",
            jax.grad(lambda lg, x: Geometric(logits=lg).log_prob(x)),
            *_valid_only(largs, lgrad),
            _rtol(1e-14, 4e-7),
            {"float64": 1e-300, "float32": 1e-37},
        ),
        EdgeGroup(
            "geometric_entropy_logits",
            lambda lg: Geometric(logits=lg).entropy(),
            e_args,
            ent,
            _rtol(1e-14, 4e-7),
            {"float64": 1e-300, "float32": 1e-36},
        ),
        EdgeGroup(
            "geometric_mean_logits_float64",
            lambda lg: Geometric(logits=lg).mean(),
            e_args,
            [m for m, _ in mom64],
            {"float64": 1e-14},
        ),
        EdgeGroup(
            "geometric_variance_logits_float64",
            lambda lg: Geometric(logits=lg).variance(),
            e_args,
            [v for _, v in mom64],
            {"float64": 1e-14},
        ),
        EdgeGroup(
            "geometric_mean_logits_float32",
            lambda lg: Geometric(logits=lg).mean(),
            e_args,
            [m for m, _ in mom32],
            {"float32": 4e-6},
            {"float32": 1e-38},  # e^-88 = 6e-39 is subnormal: XLA flushes it to zero
        ),
        EdgeGroup(
            "geometric_variance_logits_float32",
            lambda lg: Geometric(logits=lg).variance(),
            e_args,
            [v for _, v in mom32],
            {"float32": 4e-6},
            {"float32": 1e-38},
        ),
        EdgeGroup(
            "geometric_entropy_probs",
            lambda p: Geometric(probs=p).entropy(),
            pe_args,
            pent,
            _rtol(1e-14, 4e-7),
        ),
        EdgeGroup(
            "geometric_mean_probs",
            lambda p: Geometric(probs=p).mean(),
            pe_args,
            pmean,
            _rtol(1e-15, 2.4e-7),
        ),
        EdgeGroup(
            "geometric_variance_probs_float64",
            lambda p: Geometric(probs=p).variance(),
            pe_args,
            pvar,
            {"float64": 1e-15},
        ),
        EdgeGroup(
            "geometric_variance_probs_float32",
            lambda p: Geometric(probs=p).variance(),
            pe_args,
            pvar32,
            {"float32": 4e-7},
        ),
        EdgeGroup(
            "geometric_sample_in_support",
            lambda p: _fraction_in(Geometric(probs=p).sample(KEY, (32,)), 0.0, jnp.inf),
            pe_args,
            [NAN if math.isnan(m) else 1.0 for m in pmean],
            _rtol(0.0, 0.0),
        ),
    ]


@mp.workdps(80)  # logsumexp of logits 88, 0, -88 needs 1e-77 of 88
def _categorical_groups():
    # three categories, probs (a, b, c) or logits (a, b, c); x an index (or off the support)
    probs = [
        (0.5, 0.5, 0.0),
        (1.0, 0.0, 0.0),
        (P_TINY, 0.5, 0.5 - P_TINY),
        (0.25, 0.25, 0.5),
    ]
    bad_probs = [(-0.5, 1.0, 0.5), (NAN, 0.5, 0.5), (0.5, 0.5, 0.5)]  # negative, NaN, sum 1.5
    xs = (0.0, 1.0, 2.0, 3.0, -1.0, 0.5, INF)
    args, lp = [], []
    for pr in probs:
        s = mp.fsum([mp.mpf(v) for v in pr])
        for x in xs:
            args.append((*pr, x))
            ok = _is_count(x) and x <= 2
            lp.append(_log(float(mp.mpf(pr[int(x)]) / s)) if ok else -INF)
    for pr in bad_probs:
        for x in (0.0, 1.0):
            args.append((*pr, x))
            lp.append(NAN)
    # gradient of log_prob(x) with respect to probs component i:
    # d log(pi_x / sum pi) / d pi_i = [i = x] / pi_x - 1 / sum pi (0 where the value is -inf)
    g_args, g = [], []
    for pr in probs:
        s = mp.fsum([mp.mpf(v) for v in pr])
        for x in (0.0, 1.0, 2.0, 3.0):
            for i in (0.0, 1.0, 2.0):
                g_args.append((*pr, x, i))
                if not x <= 2 or pr[int(x)] == 0:
                    g.append(0.0)
                else:
                    g.append(float((1 / mp.mpf(pr[int(x)]) if i == x else 0) - 1 / s))
    logits = [
        (0.0, 0.0, -INF),
        (1e4, 0.0, -1e4),
        (88.0, 0.0, -88.0),
        (-1e4, -1e4, -1e4),
        (30.0, -30.0, 0.0),
    ]
    bad_logits = [(INF, 0.0, 0.0), (NAN, 0.0, 0.0), (-INF, -INF, -INF)]
    largs, llp, lg_args, lg = [], [], [], []
    for lgs in logits:
        lse = mp.log(mp.fsum([mp.exp(_mpf(v)) for v in lgs]))
        pis = [mp.exp(_mpf(v) - lse) for v in lgs]
        for x in xs:
            largs.append((*lgs, x))
            ok = _is_count(x) and x <= 2
            llp.append(float(_mpf(lgs[int(x)]) - lse) if ok else -INF)
        for x in (0.0, 1.0, 2.0):
            for i in (0.0, 1.0, 2.0):
                # d/dl_i (l_x - logsumexp l) = [i = x] - pi_i, finite even at a -inf logit
                lg_args.append((*lgs, x, i))
                lg.append(float((1 if i == x else 0) - pis[int(i)]))
    for lgs in bad_logits:
        for x in (0.0, 1.0):
            largs.append((*lgs, x))
            llp.append(NAN)
    e_args = [pr for pr in probs] + bad_probs
    ent, mean, var = [], [], []
    for pr in e_args:
        if any(math.isnan(v) or v < 0 for v in pr) or abs(sum(pr) - 1) > 1e-6:
            ent.append(NAN)
            mean.append(NAN)
            var.append(NAN)
            continue
        pis = [mp.mpf(v) for v in pr]
        ent.append(float(-mp.fsum([v * mp.log(v) for v in pis if v > 0])))
        m = mp.fsum([k * v for k, v in enumerate(pis)])
        mean.append(float(m))
        var.append(float(mp.fsum([(k - m) ** 2 * v for k, v in enumerate(pis)])))
    le_args = list(logits) + bad_logits
    lent = []
    for lgs in le_args:
        if any(math.isnan(v) for v in lgs) or INF in lgs or all(v == -INF for v in lgs):
            lent.append(NAN)
            continue
        lse = mp.log(mp.fsum([mp.exp(_mpf(v)) for v in lgs]))
        lps = [_mpf(v) - lse for v in lgs]
        lent.append(float(-mp.fsum([mp.exp(v) * v for v in lps if v != mp.ninf])))

    def cat_probs(a, b, c):
        return Categorical(probs=jnp.stack([a, b, c]))

    def cat_logits(a, b, c):
        return Categorical(logits=jnp.stack([a, b, c]))

    def grad_probs(a, b, c, x, i):
        gr = jax.grad(lambda v: cat_probs(*v).log_prob(x))(jnp.stack([a, b, c]))
        return jnp.take(gr, i.astype(jnp.int32))

    def grad_logits(a, b, c, x, i):
        gr = jax.grad(lambda v: cat_logits(*v).log_prob(x))(jnp.stack([a, b, c]))
        return jnp.take(gr, i.astype(jnp.int32))

    def sample_ok(a, b, c):
        # a valid law: draws in {0, 1, 2} of positive probability; invalid: every draw -1
        d = cat_probs(a, b, c).sample(KEY, (64,))
        pr = jnp.stack([a, b, c])
        ok = (d >= 0) & (d <= 2) & (jnp.take(pr, jnp.clip(d, 0, 2)) > 0)
        return jnp.where(jnp.all(d == -1), jnp.nan, jnp.mean(ok.astype(a.dtype)))

    s_expected = [NAN if math.isnan(e) else 1.0 for e in ent]
    return [
        EdgeGroup(
            "categorical_log_prob_probs",
            lambda a, b, c, x: cat_probs(a, b, c).log_prob(x),
            args,
            lp,
            _rtol(1e-14, 4e-7),
        ),
        EdgeGroup("categorical_grad_log_prob_probs", grad_probs, g_args, g, _rtol(1e-14, 4e-7)),
        EdgeGroup(
            "categorical_log_prob_logits",
            lambda a, b, c, x: cat_logits(a, b, c).log_prob(x),
            largs,
            llp,
            _rtol(1e-14, 4e-7),
            {"float64": 1e-300, "float32": 1e-37},
        ),
        EdgeGroup(
            "categorical_grad_log_prob_logits",
            grad_logits,
            lg_args,
            lg,
            _rtol(1e-14, 4e-7),
            {"float64": 1e-300, "float32": 1e-37},
        ),
        EdgeGroup(
            "categorical_entropy_probs",
            lambda a, b, c: cat_probs(a, b, c).entropy(),
            e_args,
            ent,
            _rtol(1e-14, 4e-7),
        ),
        EdgeGroup(
            "categorical_entropy_logits",
            lambda a, b, c: cat_logits(a, b, c).entropy(),
            le_args,
            lent,
            _rtol(1e-13, 1e-6),
            {"float64": 1e-300, "float32": 1e-35},
        ),
        EdgeGroup(
            "categorical_mean_probs",
            lambda a, b, c: cat_probs(a, b, c).mean(),
            e_args,
            mean,
            _rtol(1e-15, 2.4e-7),
        ),
        EdgeGroup(
            "categorical_variance_probs",
            lambda a, b, c: cat_probs(a, b, c).variance(),
            e_args,
            var,
            _rtol(1e-15, 4e-7),
        ),
        EdgeGroup("categorical_sample_support", sample_ok, e_args, s_expected, _rtol(0.0, 0.0)),
    ]


def _entropy_gradient_groups():
    """Gradients of the entropies in probs / rate: -p log p has slope +inf at p = 0, so every
    point mass has an infinite slope towards the interior (+inf at p = 0, -inf at p = 1)."""
    # Bernoulli: dH/dp = log((1 - p) / p)
    bp = [0.0, 1.0, P_TINY, 0.25, 0.5, P_ALMOST_ONE]
    bern = [INF if p == 0 else -INF if p == 1 else float(mp.log((1 - mp.mpf(p)) / p)) for p in bp]
    # Geometric: dH/dp = log(1 - p) / p^2
    gp = [1.0, 0.5, 0.25, _f32(1e-5), P_ALMOST_ONE]
    geom = [-INF if p == 1 else float(mp.log1p(-mp.mpf(p)) / mp.mpf(p) ** 2) for p in gp]

    # Binomial(10, p): dH/dp = -sum_k P(k) (k / p - (10 - k) / q) log P(k)
    def binom(p):
        if p in (0.0, 1.0):
            return INF if p == 0 else -INF
        p_ = mp.mpf(p)
        total = mp.mpf(0)
        for k in range(11):
            lp = mp.log(mp.binomial(10, k)) + k * mp.log(p_) + (10 - k) * mp.log1p(-p_)
            total -= mp.exp(lp) * (k / p_ - (10 - k) / (1 - p_)) * lp
        return float(total)

    np_ = [0.0, 1.0, P_TINY, 0.25, 0.5]

    # Poisson: dH/drate = sum_k P(k) log((k + 1) / rate) = E log(X + 1) - log rate
    def pois(rate):
        if rate == 0:
            return INF
        lam = mp.mpf(rate)
        hi = int(rate + 40 * math.sqrt(rate) + 40)
        return float(
            mp.fsum(
                mp.exp(k * mp.log(lam) - lam - mp.loggamma(k + 1)) * mp.log((k + 1) / lam)
                for k in range(hi)
            )
        )

    pr = [0.0, P_TINY, 0.5, 1.0, 10.0, 100.0]
    pr64 = [1e-300, 1e-155]

    # Categorical: dH/dpi_i = (-log r_i - H) / sum pi, +inf for a zero probability
    def cat(pis, i):
        s = mp.fsum([mp.mpf(v) for v in pis])
        r = [mp.mpf(v) / s for v in pis]
        h = -mp.fsum([v * mp.log(v) for v in r if v > 0])
        return INF if r[i] == 0 else float((-mp.log(r[i]) - h) / s)

    cp = [(0.5, 0.5, 0.0), (1.0, 0.0, 0.0), (0.25, 0.25, 0.5), (P_TINY, 0.5, 0.5 - P_TINY)]
    c_args = [(*pis, float(i)) for pis in cp for i in range(3)]

    def cat_grad(a, b, c, i):
        gr = jax.grad(lambda v: Categorical(probs=v).entropy())(jnp.stack([a, b, c]))
        return jnp.take(gr, i.astype(jnp.int32))

    return [
        EdgeGroup(
            "bernoulli_grad_entropy_probs",
            jax.grad(lambda p: Bernoulli(probs=p).entropy()),
            [(p,) for p in bp],
            bern,
            _rtol(1e-13, 1e-6),
        ),
        EdgeGroup(
            "geometric_grad_entropy_probs",
            jax.grad(lambda p: Geometric(probs=p).entropy()),
            [(p,) for p in gp],
            geom,
            _rtol(1e-12, 2e-5),
        ),
        EdgeGroup(
            "binomial_grad_entropy_probs",  # float64 only: the float32 trace costs 30 s
            jax.grad(lambda p: Binomial(10.0, probs=p).entropy()),
            [(p,) for p in np_],
            _Oracle(binom, [(p,) for p in np_]),
            {"float64": 1e-12},
            {"float64": 1e-14},
        ),
        EdgeGroup(
            "poisson_grad_entropy",
            jax.grad(lambda r: Poisson(r).entropy()),
            [(r,) for r in pr],
            _Oracle(pois, [(r,) for r in pr]),
            _rtol(1e-12, 2e-5),
            {"float64": 1e-14, "float32": 1e-5},
        ),
        EdgeGroup(
            "poisson_grad_entropy_float64_tiny_rates",
            jax.grad(lambda r: Poisson(r).entropy()),
            [(r,) for r in pr64],
            _Oracle(pois, [(r,) for r in pr64]),
            {"float64": 1e-12},
        ),
        EdgeGroup(
            "categorical_grad_entropy_probs",
            cat_grad,
            c_args,
            [cat(a[:3], int(a[3])) for a in c_args],
            _rtol(1e-13, 1e-6),
            # -log r_i - H cancels to 7e-29 at r = (1e-30, 1/2, 1/2): rounding of O(1) terms
            {"float64": 1e-15, "float32": 1e-7},
        ),
    ]


EDGE_GROUPS = (
    _bernoulli_groups()
    + _binomial_groups()
    + _poisson_groups()
    + _geometric_groups()
    + _categorical_groups()
    + _entropy_gradient_groups()
)


@pytest.mark.parametrize(
    ("group", "dtype"),
    [pytest.param(g, d, id=f"{g.name}-{d}") for g in EDGE_GROUPS for d in g.rtol],
)
def test_edges(group, dtype):
    assert_edges(group, dtype)
