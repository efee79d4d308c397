"""Jitted method bundles shared by the univariate density tests (``tests/densities``).

One ``jax.jit`` serves every family: each record class has its own tree structure
(``gmath._pytree.register_record``), so a trace is never reused for another class, and a class
tested in several files compiles each bundle once per shape.
"""

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["flush_subnormals", "icdf_round_trip", "log_prob", "methods", "score_and_grad"]


def flush_subnormals(x):
    """``x`` with subnormal entries set to 0: XLA on CPU flushes them; scipy keeps them, and
    Hypothesis draws them."""
    return np.where(np.abs(x) < np.finfo(np.asarray(x).dtype).tiny, 0.0, x)


#: ``(p, x) -> (log_prob, cdf, log_cdf, log_survival, entropy, mean, variance, mode)``.
methods = jax.jit(
    lambda p, x: (
        p.log_prob(x),
        p.cdf(x),
        p.log_cdf(x),
        p.log_survival(x),
        p.entropy(),
        p.mean(),
        p.variance(),
        p.mode(),
    )
)

#: ``(p, x) -> log_prob``.
log_prob = jax.jit(lambda p, x: p.log_prob(x))

#: ``(p, x) -> (score, grad of sum(log_prob))``: the closed-form score and autodiff's.
score_and_grad = jax.jit(lambda p, x: (p.score(x), jax.grad(lambda v: jnp.sum(p.log_prob(v)))(x)))

#: ``(p, u) -> (icdf(u), cdf(icdf(u)))``.
icdf_round_trip = jax.jit(lambda p, u: (p.icdf(u), p.cdf(p.icdf(u))))
