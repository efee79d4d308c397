r"""Variational lower bounds on divergences, from critic outputs on samples.

Each function takes the critic :math:`T` evaluated on draws of p (``critic_p``) and of q
(``critic_q``), sample axis first, and returns the sample version of a bound
:math:`D(p \| q) \ge E_p[T] - \Phi_q(T)`, maximised by gradient ascent in the critic's
parameters. At the optimal critic (a function of the log density ratio
:math:`\log p/q`, stated per bound) the bound equals the divergence.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from gmath._numerics import logsumexp, promote
from gmath.divergences._generators import Generator

__all__ = ["donsker_varadhan", "fgan_bound", "infonce", "nwj"]


def _check(name, critic_p, critic_q):
    tp, tq = promote(critic_p, critic_q)
    if tp.ndim == 0 or tq.ndim == 0:
        raise ValueError(
            f"{name}: critic values need a leading sample axis, got shapes {tp.shape}, {tq.shape}."
        )
    return tp, tq


def donsker_varadhan(critic_p, critic_q) -> jax.Array:
    r"""Donsker–Varadhan lower bound on :math:`KL(p \| q)`.

    .. math::
        KL(p \| q) \ge E_p[T] - \log E_q[e^{T}],

    tight at :math:`T = \log(p/q) + c` for any constant c. The sample version
    :math:`\bar T_p - (\operatorname{logsumexp}(T_q) - \log m)` is consistent but biased
    (the log of a mean; Belghazi et al. 2018, MINE).

    Args:
      critic_p: :math:`T(x_i)`, :math:`x_i \sim p`, shape ``[n, ...]``.
      critic_q: :math:`T(y_j)`, :math:`y_j \sim q`, shape ``[m, ...]``.

    Returns:
      The bound, shape ``broadcast(critic_p.shape[1:], critic_q.shape[1:])``.

    References:
      Donsker and Varadhan (1983). Asymptotic evaluation of certain Markov process
      expectations for large time IV [@donsker1983asymptotic]; Belghazi et al. (2018).
      Mutual information neural estimation [@belghazi2018mine].

    Examples:
      >>> import jax.numpy as jnp
      >>> round(float(donsker_varadhan(jnp.array([1.0, 1.0]), jnp.array([0.0, 0.0]))), 6)
      1.0
    """
    tp, tq = _check("donsker_varadhan", critic_p, critic_q)
    return jnp.mean(tp, 0) - (logsumexp(tq, axis=0) - math.log(tq.shape[0]))


def nwj(critic_p, critic_q) -> jax.Array:
    r"""Nguyen–Wainwright–Jordan lower bound on :math:`KL(p \| q)` (the f-GAN KL bound).

    .. math::
        KL(p \| q) \ge E_p[T] - E_q[e^{T - 1}],

    tight at :math:`T = 1 + \log(p/q)`. Unbiased sample version (means of both terms).

    Args:
      critic_p: :math:`T(x_i)`, :math:`x_i \sim p`, shape ``[n, ...]``.
      critic_q: :math:`T(y_j)`, :math:`y_j \sim q`, shape ``[m, ...]``.

    Returns:
      The bound, shape ``broadcast(critic_p.shape[1:], critic_q.shape[1:])``.

    References:
      Nguyen, Wainwright and Jordan (2010). Estimating divergence functionals and the
      likelihood ratio by convex risk minimization. IEEE Trans. Inf. Theory 56(11)
      [@nguyen2010estimating].

    Examples:
      >>> import jax.numpy as jnp
      >>> round(float(nwj(jnp.array([1.0]), jnp.array([1.0]))), 6)
      0.0
    """
    tp, tq = _check("nwj", critic_p, critic_q)
    return jnp.mean(tp, 0) - jnp.mean(jnp.exp(tq - 1), 0)


def infonce(scores) -> jax.Array:
    r"""InfoNCE lower bound on the mutual information :math:`I(X; Y)`.

    With ``scores[i, j]`` :math:`= T(x_i, y_j)` for a batch of B pairs
    :math:`(x_i, y_i) \sim p(x, y)` (positives on the diagonal),

    .. math::
        I(X; Y) \ge \frac1B\sum_i \left[T(x_i, y_i) - \log\frac1B\sum_j e^{T(x_i, y_j)}\right],

    which never exceeds :math:`\log B`. The optimal critic is the pointwise mutual information
    up to a function of x, :math:`T = \log\frac{p(y \mid x)}{p(y)} + c(x)` (for instance
    :math:`\log p(x \mid y)`); there the bound is close to the mutual information when
    :math:`I \ll \log B` (Poole et al. 2019).

    Args:
      scores: ``[..., B, B]`` critic matrix.

    Returns:
      The bound, shape ``scores.shape[:-2]``.

    References:
      van den Oord, Li and Vinyals (2018). Representation learning with contrastive predictive
      coding [@oord2018cpc]; Poole, Ozair, van den Oord, Alemi and Tucker (2019). On variational
      bounds of mutual information [@poole2019variational].

    Examples:
      >>> import jax.numpy as jnp
      >>> round(float(infonce(jnp.eye(2) * 100.0)), 6)  # saturates at log B
      0.693147
    """
    (s,) = promote(scores)
    if s.ndim < 2 or s.shape[-1] != s.shape[-2]:
        raise ValueError(f"infonce: scores must be [..., B, B], got shape {s.shape}.")
    b = s.shape[-1]
    positives = jnp.diagonal(s, axis1=-2, axis2=-1)
    return jnp.mean(positives - logsumexp(s, axis=-1), -1) + math.log(b)


def fgan_bound(critic_p, critic_q, generator: Generator) -> jax.Array:
    r"""The f-GAN (variational f-divergence) lower bound.

    .. math::
        D_f(p \| q) \ge E_p[T] - E_q[f^*(T)],

    with :math:`f^*` the Fenchel conjugate of the generator, tight at
    :math:`T = f'(p/q)`. ``critic_p`` and ``critic_q`` are the critic values in the domain of
    :math:`f^*`: apply the generator's output activation ``generator.activation`` to raw
    network outputs (Nowozin et al.'s Table 2 at this generator's scale; the generators with
    one are ``generators.FGAN_GENERATORS``);
    :math:`f^*(T) = +\infty` outside it, and the bound is then :math:`-\infty`.

    Args:
      critic_p: :math:`T(x_i)`, :math:`x_i \sim p`, shape ``[n, ...]``.
      critic_q: :math:`T(y_j)`, :math:`y_j \sim q`, shape ``[m, ...]``.
      generator: a generator with a conjugate (kl_forward, kl_reverse, jensen_shannon,
        total_variation, squared_hellinger, pearson, neyman, gan).

    Returns:
      The bound, shape ``broadcast(critic_p.shape[1:], critic_q.shape[1:])``.

    References:
      Nowozin, Cseke and Tomioka (2016). f-GAN: training generative neural samplers using
      variational divergence minimization [@nowozin2016fgan].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.divergences import generators
      >>> round(float(fgan_bound(jnp.array([1.0]), jnp.array([1.0]), generators.kl_forward)), 6)
      0.0
    """
    if not isinstance(generator, Generator) or generator.conjugate is None:
        raise ValueError(
            f"fgan_bound: {generator!r} has no Fenchel conjugate; use one of kl_forward, "
            "kl_reverse, jensen_shannon, total_variation, squared_hellinger, pearson, neyman, gan."
        )
    tp, tq = _check("fgan_bound", critic_p, critic_q)
    return jnp.mean(tp, 0) - jnp.mean(generator.conjugate(tq), 0)
