r"""Generators of f-divergences, evaluated from log-ratios: the public namespace
``gmath.divergences.generators``.

An f-divergence is :math:`D_f(p \| q) = E_q[f(p/q)]` for a convex :math:`f` with
:math:`f(1) = 0`. Each generator here is a :class:`Generator` called on
:math:`\log u = \log p - \log q` (never on :math:`u` itself), written so that large
:math:`|\log u|` neither overflows needlessly nor cancels: ``expm1``, ``softplus`` and ``tanh``
instead of ``u - 1``, ``log(1 + u)`` and ``(u - 1)/(u + 1)``.

All generators are normalised (:math:`f(1) = 0`, and :math:`f \ge 0` unless stated), so
:math:`D_f \ge 0` with equality iff :math:`p = q`. Conventions, where sources differ:

- ``jensen_shannon`` is the usual JS, :math:`\tfrac12 KL(p\|m) + \tfrac12 KL(q\|m)` (TFP's
  generator is twice this);
- ``squared_hellinger`` is :math:`\tfrac12(\sqrt u - 1)^2`, so that
  :math:`D_f = 1 - BC =` :func:`hellinger_squared`;
- ``jeffreys`` is :math:`(u - 1)\log u`, so :math:`D_f = KL(p\|q) + KL(q\|p)`;
- ``symmetrized(g)`` is :math:`\tfrac12[f(u) + u f(1/u)]` (TFP's convention);
- ``dual(g)`` is :math:`u f(1/u)`, so :math:`D_{\mathrm{dual}(f)}(p\|q) = D_f(q\|p)`;
- ``gan`` is the original GAN's :math:`u\log u - (1 + u)\log(1 + u)` plus :math:`2\log 2`
  (so that :math:`f(1) = 0`): :math:`D_f = 2\,JS` (it is :math:`2 f_{JS} - (u - 1)\log 2`).

Each generator also carries :math:`f(0^+)` and :math:`f'(\infty) = \lim_{u\to\infty} f(u)/u`,
the values an exact discrete sum needs where one mass vanishes, and where known its Fenchel
conjugate :math:`f^*(t) = \sup_u\, t u - f(u)` with the f-GAN output activation
:math:`g_f` into its domain (for :func:`~gmath.divergences.fgan_bound` and
:func:`gmath.games.f_gan_loss`; ``FGAN_GENERATORS`` lists them by name). One scale per name: the
f-GAN losses use these generators as they are, so ``f_gan_loss(divergence="jensen_shannon")``
bounds the same JS as ``f_divergence(p, q, jensen_shannon)``.
"""

from gmath.divergences._generators import (
    FGAN_GENERATORS,
    Generator,
    amari_alpha,
    dual,
    gan,
    jeffreys,
    jensen_shannon,
    kl_forward,
    kl_reverse,
    log1p_abs,
    modified_gan,
    neyman,
    pearson,
    squared_hellinger,
    symmetrized,
    t_power,
    total_variation,
    triangular,
)

__all__ = [
    "FGAN_GENERATORS",
    "Generator",
    "amari_alpha",
    "dual",
    "gan",
    "jeffreys",
    "jensen_shannon",
    "kl_forward",
    "kl_reverse",
    "log1p_abs",
    "modified_gan",
    "neyman",
    "pearson",
    "squared_hellinger",
    "symmetrized",
    "t_power",
    "total_variation",
    "triangular",
]
