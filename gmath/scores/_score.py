r"""The score of a log-density."""

from __future__ import annotations

from collections.abc import Callable

import jax

__all__ = ["score"]


def score(log_prob_fn: Callable) -> Callable:
    r"""The score function :math:`x \mapsto \nabla_x \log p(x)` of an unnormalised log-density.

    Further positional and keyword arguments are passed through to ``log_prob_fn`` and not
    differentiated (``score(f)(x, t)`` is :math:`\nabla_x f(x, t)`). ``log_prob_fn`` must return a
    scalar for one point; ``vmap`` the result for a batch.

    Args:
      log_prob_fn: ``x -> log p(x)`` (normalising constants do not matter).

    Returns:
      ``x, *args -> grad_x log_prob_fn(x, *args)``, shaped like ``x`` with its dtype.

    References:
      Hyvärinen (2005). Estimation of non-normalized statistical models by score matching. JMLR
      (the score :math:`\psi(x) = \nabla_x\log p(x)` is independent of the normaliser)
      [@hyvarinen2005].

    Examples:
      >>> import jax.numpy as jnp
      >>> s = score(lambda x: -0.5 * jnp.sum(x**2))
      >>> s(jnp.array([1.0, -2.0])).tolist()
      [-1.0, 2.0]
    """
    if not callable(log_prob_fn):
        raise TypeError(f"score: log_prob_fn must be callable, got {type(log_prob_fn).__name__}.")
    return jax.grad(log_prob_fn, argnums=0)
