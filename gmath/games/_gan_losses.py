r"""GAN objectives from discriminator logits, each returning ``(d_loss, g_loss)``.

Conventions: ``real_logits`` are the discriminator's raw outputs :math:`C(x)` on data, and
``fake_logits`` on generated samples; :math:`D = \sigma(C)` where a probability is meant. Both
losses are *minimised* (the discriminator by its parameters, the generator by its own), and are
(weighted) means over the batch. No factor 1/2 unless stated.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from gmath._config import error_if_not
from gmath._numerics import promote
from gmath.divergences._generators import FGAN_GENERATORS, Generator

__all__ = [
    "f_gan_loss",
    "hinge_loss",
    "least_squares_loss",
    "minimax_loss",
    "non_saturating_loss",
    "optimal_discriminator",
    "relativistic_loss",
    "wasserstein_loss",
]


def _mean(values, weights):
    if weights is None:
        return jnp.mean(values)
    (w,) = promote(weights)
    w = w.astype(values.dtype)
    if w.shape != values.shape:
        raise ValueError(f"weights of shape {w.shape} do not match logits of shape {values.shape}.")
    # weights are normalised by their sum; a negative weight (or a zero sum) is invalid: NaN
    ok = jnp.all(w >= 0) & (jnp.sum(w) > 0)
    error_if_not(ok, "GAN loss weights must be non-negative with a positive sum.")
    safe = jnp.where(ok, w, jnp.ones_like(w))
    return jnp.where(ok, jnp.sum(safe * values) / jnp.sum(safe), jnp.nan)


def _prepare(name, real_logits, fake_logits, real_weights=None, fake_weights=None):
    real, fake = promote(real_logits, fake_logits)
    if real.ndim == 0 or fake.ndim == 0:
        raise ValueError(
            f"{name}: logits must have a batch axis; got real {real.shape}, fake {fake.shape}."
        )
    return real, fake


def _bce_real(logits, smoothing):
    # -[(1 - s) log sigma(l) + s log(1 - sigma(l))]
    if smoothing == 0:
        return jax.nn.softplus(-logits)
    return (1.0 - smoothing) * jax.nn.softplus(-logits) + smoothing * jax.nn.softplus(logits)


def _check_smoothing(name, s):
    if not 0 <= s < 1:
        raise ValueError(f"{name}: label_smoothing must lie in [0, 1), got {s!r}.")


def minimax_loss(
    real_logits,
    fake_logits,
    *,
    label_smoothing: float = 0.0,
    real_weights=None,
    fake_weights=None,
) -> tuple[jax.Array, jax.Array]:
    r"""The original (saturating) GAN game of Goodfellow et al. (2014).

    .. math::
        V(D, G) = \mathbb E_p \log D(x) + \mathbb E_q \log(1 - D(x)), \quad
        d\_loss = -V = \mathbb E_p \operatorname{softplus}(-C) + \mathbb E_q
        \operatorname{softplus}(C), \quad g\_loss = V\text{'s fake part} =
        -\mathbb E_q \operatorname{softplus}(C).

    At the optimal discriminator :math:`D^\star = p/(p+q)`,
    :math:`V = 2\,\mathrm{JS}(p, q) - \log 4`. ``label_smoothing`` :math:`s` (one-sided,
    Salimans et al. 2016) replaces the real target 1 by :math:`1 - s` in ``d_loss``.

    Args:
      real_logits: ``[batch]`` logits on data. fake_logits: ``[batch']`` logits on samples.
      label_smoothing: one-sided smoothing :math:`s \in [0, 1)`.
      real_weights, fake_weights: optional non-negative weights with a positive sum (weighted
        means, normalised by the sum); invalid weights give NaN (an error in checks mode).

    Returns:
      ``(d_loss, g_loss)`` scalars.

    References:
      Goodfellow, Pouget-Abadie, Mirza et al. (2014). Generative adversarial nets. NeurIPS
      [@goodfellow2014generative].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath import games as gg
      >>> d, g = gg.minimax_loss(jnp.array([0.0]), jnp.array([0.0]))
      >>> round(float(d), 6), round(float(g), 6)
      (1.386294, -0.693147)
    """
    _check_smoothing("minimax_loss", label_smoothing)
    real, fake = _prepare("minimax_loss", real_logits, fake_logits)
    d_loss = _mean(_bce_real(real, label_smoothing), real_weights) + _mean(
        jax.nn.softplus(fake), fake_weights
    )
    g_loss = -_mean(jax.nn.softplus(fake), fake_weights)
    return d_loss, g_loss


def non_saturating_loss(
    real_logits,
    fake_logits,
    *,
    label_smoothing: float = 0.0,
    real_weights=None,
    fake_weights=None,
) -> tuple[jax.Array, jax.Array]:
    r"""Non-saturating GAN: the minimax discriminator loss, generator loss :math:`-\mathbb E_q\log D`.

    .. math::
        d\_loss = \mathbb E_p \operatorname{softplus}(-C) + \mathbb E_q \operatorname{softplus}(C),
        \qquad g\_loss = \mathbb E_q \operatorname{softplus}(-C).

    Args:
      real_logits, fake_logits, label_smoothing, real_weights, fake_weights: as in
        :func:`minimax_loss`.

    Returns:
      ``(d_loss, g_loss)`` scalars.

    References:
      Goodfellow et al. (2014) [@goodfellow2014generative].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath import games as gg
      >>> real = jnp.array([-5.0, 1.4, 12.5, 2.7]); fake = jnp.array([10.0, 4.4, -5.5, 3.6])
      >>> round(float(gg.non_saturating_loss(real, fake)[1]), 5)
      1.38582
    """
    _check_smoothing("non_saturating_loss", label_smoothing)
    real, fake = _prepare("non_saturating_loss", real_logits, fake_logits)
    d_loss = _mean(_bce_real(real, label_smoothing), real_weights) + _mean(
        jax.nn.softplus(fake), fake_weights
    )
    g_loss = _mean(jax.nn.softplus(-fake), fake_weights)
    return d_loss, g_loss


def wasserstein_loss(
    real_logits, fake_logits, *, real_weights=None, fake_weights=None
) -> tuple[jax.Array, jax.Array]:
    r"""Wasserstein GAN: the critic maximises :math:`\mathbb E_p C - \mathbb E_q C`.

    .. math::
        d\_loss = \mathbb E_q C - \mathbb E_p C, \qquad g\_loss = -\mathbb E_q C.

    Pair with a Lipschitz constraint (:func:`gradient_penalty`).

    Args:
      real_logits, fake_logits: critic outputs; weights as in :func:`minimax_loss`.

    Returns:
      ``(d_loss, g_loss)`` scalars.

    References:
      Arjovsky, Chintala and Bottou (2017). Wasserstein generative adversarial networks. ICML
      [@arjovsky2017wasserstein].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath import games as gg
      >>> real = jnp.array([-5.0, 1.4, 12.5, 2.7]); fake = jnp.array([10.0, 4.4, -5.5, 3.6])
      >>> [round(float(v), 6) for v in gg.wasserstein_loss(real, fake)]
      [0.225, -3.125]
    """
    real, fake = _prepare("wasserstein_loss", real_logits, fake_logits)
    mean_fake = _mean(fake, fake_weights)
    return mean_fake - _mean(real, real_weights), -mean_fake


def hinge_loss(
    real_logits, fake_logits, *, real_weights=None, fake_weights=None
) -> tuple[jax.Array, jax.Array]:
    r"""Hinge GAN (geometric GAN).

    .. math::
        d\_loss = \mathbb E_p \max(0, 1 - C) + \mathbb E_q \max(0, 1 + C),
        \qquad g\_loss = -\mathbb E_q C.

    Args:
      real_logits, fake_logits: critic outputs; weights as in :func:`minimax_loss`.

    Returns:
      ``(d_loss, g_loss)`` scalars.

    References:
      Lim and Ye (2017). Geometric GAN. arXiv:1705.02894 [@lim2017geometric].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath import games as gg
      >>> real = jnp.array([-5.0, 1.4, 12.5, 2.7]); fake = jnp.array([10.0, 4.4, -5.5, 3.6])
      >>> round(float(gg.hinge_loss(real, fake)[0]), 6)
      6.75
    """
    real, fake = _prepare("hinge_loss", real_logits, fake_logits)
    d_loss = _mean(jax.nn.relu(1.0 - real), real_weights) + _mean(
        jax.nn.relu(1.0 + fake), fake_weights
    )
    return d_loss, -_mean(fake, fake_weights)


def least_squares_loss(
    real_logits,
    fake_logits,
    *,
    a: float = -1.0,
    b: float = 1.0,
    c: float = 0.0,
    real_weights=None,
    fake_weights=None,
) -> tuple[jax.Array, jax.Array]:
    r"""Least-squares GAN (Mao et al. 2017) with targets :math:`a` (fake), :math:`b` (real), :math:`c`.

    .. math::
        d\_loss = \tfrac12\mathbb E_p (C - b)^2 + \tfrac12\mathbb E_q (C - a)^2, \qquad
        g\_loss = \tfrac12\mathbb E_q (C - c)^2.

    The optimal discriminator is :math:`C^\star = (b p + a q)/(p + q)`; the defaults
    :math:`a = -1, b = 1, c = 0` (:math:`b - c = 1`, :math:`b - a = 2`) make the generator
    minimise the Pearson :math:`\chi^2` divergence of :math:`p + q` from :math:`2q`.

    Args:
      real_logits, fake_logits: raw discriminator outputs; weights as in :func:`minimax_loss`.
      a, b, c: the targets.

    Returns:
      ``(d_loss, g_loss)`` scalars.

    References:
      Mao, Li, Xie et al. (2017). Least squares generative adversarial networks. ICCV
      [@mao2017least].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath import games as gg
      >>> [float(v) for v in gg.least_squares_loss(jnp.array([1.0]), jnp.array([-1.0]))]
      [0.0, 0.5]
    """
    real, fake = _prepare("least_squares_loss", real_logits, fake_logits)
    d_loss = 0.5 * _mean(jnp.square(real - b), real_weights) + 0.5 * _mean(
        jnp.square(fake - a), fake_weights
    )
    return d_loss, 0.5 * _mean(jnp.square(fake - c), fake_weights)


def relativistic_loss(
    real_logits, fake_logits, *, average: bool = True
) -> tuple[jax.Array, jax.Array]:
    r"""Relativistic GAN (Jolicoeur-Martineau 2019): the critic compares real with fake.

    Relativistic average (``average=True``, RaGAN), with :math:`\bar C_p, \bar C_q` the batch
    means:

    .. math::
        d\_loss = \mathbb E_p \operatorname{softplus}(-(C - \bar C_q))
                + \mathbb E_q \operatorname{softplus}(C - \bar C_p), \quad
        g\_loss = \mathbb E_q \operatorname{softplus}(-(C - \bar C_p))
                + \mathbb E_p \operatorname{softplus}(C - \bar C_q).

    Paired (``average=False``, RSGAN, equal batch sizes):
    :math:`d\_loss = \mathbb E \operatorname{softplus}(-(C_r - C_f))`,
    :math:`g\_loss = \mathbb E \operatorname{softplus}(-(C_f - C_r))`.

    Args:
      real_logits, fake_logits: critic outputs ``[batch]``.
      average: RaGAN (default) or paired RSGAN.

    Returns:
      ``(d_loss, g_loss)`` scalars.

    References:
      Jolicoeur-Martineau (2019). The relativistic discriminator: a key element missing from
      standard GAN. ICLR [@jolicoeurmartineau2019relativistic].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath import games as gg
      >>> d, g = gg.relativistic_loss(jnp.array([0.0, 2.0]), jnp.array([0.0, 2.0]))
      >>> round(float(d), 6) == round(float(g), 6)
      True
    """
    real, fake = _prepare("relativistic_loss", real_logits, fake_logits)
    if average:
        mr, mf = jnp.mean(real), jnp.mean(fake)
        d_loss = jnp.mean(jax.nn.softplus(-(real - mf))) + jnp.mean(jax.nn.softplus(fake - mr))
        g_loss = jnp.mean(jax.nn.softplus(-(fake - mr))) + jnp.mean(jax.nn.softplus(real - mf))
        return d_loss, g_loss
    if real.shape != fake.shape:
        raise ValueError(
            f"relativistic_loss: paired mode needs equal shapes, got {real.shape} and {fake.shape}."
        )
    return jnp.mean(jax.nn.softplus(-(real - fake))), jnp.mean(jax.nn.softplus(-(fake - real)))


def f_gan_loss(
    real_logits,
    fake_logits,
    *,
    divergence: str | Generator = "jensen_shannon",
    real_weights=None,
    fake_weights=None,
) -> tuple[jax.Array, jax.Array]:
    r"""f-GAN (Nowozin et al. 2016): variational estimation of an f-divergence.

    With :math:`T = g_f(C)` (the divergence's output activation) and :math:`f^*` the convex
    conjugate of :math:`f`,

    .. math::
        F(T) = \mathbb E_p T - \mathbb E_q f^*(T) \le D_f(P \| Q), \qquad
        d\_loss = -F, \quad g\_loss = -\mathbb E_q f^*(T),

    with equality at :math:`T^\star = f'(p/q)`. :math:`f`, :math:`f^*`, :math:`g_f` and the
    stable :math:`f^*(g_f(v))` all come from one table, the generators of
    :mod:`gmath.divergences.generators` (``FGAN_GENERATORS``), with their scale: the bound is
    on the same :math:`D_f` as ``gmath.divergences.f_divergence(p, q, generator)``.
    Activations (Nowozin et al., Table 2, rescaled to these generators): ``kl_forward``
    :math:`v`, ``kl_reverse`` :math:`-e^{-v}`, ``pearson`` :math:`v`, ``neyman``
    :math:`1 - e^{-v}`, ``squared_hellinger`` :math:`(1 - e^{-v})/2` (for
    :math:`f = (\sqrt u - 1)^2/2`), ``jensen_shannon`` :math:`(\log 2 - \log(1 + e^{-v}))/2`
    (the usual JS), ``total_variation`` :math:`\tanh(v)/2`, ``gan``
    :math:`-\log(1 + e^{-v})` (:math:`D_f = 2\,JS`; with :math:`f(1) = 0` the optimal
    ``d_loss`` is :math:`-2\,JS`, the original GAN's :math:`2\log 2 - 2\,JS` shifted by the
    constant :math:`2\log 2`).

    Args:
      real_logits, fake_logits: critic outputs :math:`C`; weights as in :func:`minimax_loss`.
      divergence: a name above, or a :class:`~gmath.divergences.generators.Generator` with an
        activation and a conjugate.

    Returns:
      ``(d_loss, g_loss)`` scalars.

    References:
      Nowozin, Cseke and Tomioka (2016). f-GAN: training generative neural samplers using
      variational divergence minimization. NeurIPS [@nowozin2016fgan].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath import games as gg
      >>> d, g = gg.f_gan_loss(jnp.array([0.0]), jnp.array([0.0]), divergence="gan")
      >>> round(float(d), 6), round(float(g), 6)  # D = 1/2 on both: the bound is 0
      (0.0, 0.693147)
    """
    gen = FGAN_GENERATORS.get(divergence) if isinstance(divergence, str) else divergence
    if not (
        isinstance(gen, Generator)
        and gen.activation is not None
        and gen.conjugate_activation is not None
    ):
        raise ValueError(
            f"f_gan_loss: divergence must be one of {sorted(FGAN_GENERATORS)} or a Generator "
            f"with an activation and a conjugate, got {divergence!r}."
        )
    real, fake = _prepare("f_gan_loss", real_logits, fake_logits)
    fake_term = _mean(gen.conjugate_activation(fake), fake_weights)
    bound = _mean(gen.activation(real), real_weights) - fake_term
    return -bound, -fake_term


def optimal_discriminator(log_p, log_q) -> jax.Array:
    r"""Logits of the optimal discriminator :math:`D^\star = p/(p+q)`: :math:`\log p - \log q`.

    Stable in log space (no :math:`p + q` is formed); :math:`\pm\infty` where one density
    vanishes.

    Args:
      log_p: log-density of the data at the points. log_q: log-density of the model.

    Returns:
      Logits of the same (broadcast) shape; :math:`\sigma` of them is :math:`D^\star`.

    References:
      Goodfellow et al. (2014), Proposition 1 [@goodfellow2014generative].

    Examples:
      >>> from gmath import games as gg
      >>> round(float(gg.optimal_discriminator(-1.0, -1.0)), 6)
      0.0
    """
    log_p, log_q = promote(log_p, log_q)
    return log_p - log_q
