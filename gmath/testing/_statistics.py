r"""Statistical and quadrature checks with stated false-failure probabilities."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable

import numpy as np

__all__ = [
    "assert_mean_matches",
    "assert_samples_match_cdf",
    "dkw_epsilon",
    "gauss_legendre_integral",
]


def dkw_epsilon(num_samples: int, false_failure: float) -> float:
    r"""Band half-width of the Dvoretzky–Kiefer–Wolfowitz inequality (Massart's constant).

    :math:`P(\sup_x |F_n(x) - F(x)| > \varepsilon) \le 2 e^{-2 n \varepsilon^2}`, so
    :math:`\varepsilon = \sqrt{\log(2/\delta) / (2n)}` for false-failure probability
    :math:`\delta`.

    Args:
      num_samples: sample size :math:`n \ge 1`.
      false_failure: probability :math:`\delta \in (0, 1)` that a correct sampler fails.

    Returns:
      :math:`\varepsilon`, a Python float.

    References:
      Massart, P. (1990). The tight constant in the Dvoretzky–Kiefer–Wolfowitz inequality.
      Annals of Probability 18(3) [@massart1990tight].

    Examples:
      >>> round(dkw_epsilon(10_000, 1e-6), 4)
      0.0269
    """
    if num_samples < 1 or not 0 < false_failure < 1:
        raise ValueError("dkw_epsilon: need num_samples >= 1 and 0 < false_failure < 1")
    return math.sqrt(math.log(2 / false_failure) / (2 * num_samples))


def assert_samples_match_cdf(samples, cdf: Callable, *, false_failure: float = 1e-6) -> float:
    r"""Assert the empirical CDF of 1-D ``samples`` stays within the DKW band around ``cdf``.

    Works for continuous and discrete laws (for a discrete law pass the right-continuous CDF;
    the statistic is evaluated at the sample points from both sides). Returns the statistic.

    The statistic is the Kolmogorov–Smirnov distance
    :math:`D_n = \sup_x |F_n(x) - F(x)|`, checked against :math:`\varepsilon` of
    :func:`dkw_epsilon`; the DKW bound holds for any :math:`F`, so a correct sampler fails with
    probability at most ``false_failure``.

    Args:
      samples: 1-D (or flattened) array of draws.
      cdf: vectorised CDF ``x -> F(x)`` on float64 arrays.
      false_failure: probability :math:`\delta` of a false failure.

    Returns:
      The statistic :math:`D_n`, a Python float.

    References:
      Massart (1990). The tight constant in the Dvoretzky–Kiefer–Wolfowitz inequality.
      Annals of Probability [@massart1990tight].

    Examples:
      >>> rng = np.random.default_rng(0)
      >>> stat = assert_samples_match_cdf(rng.uniform(size=1000), lambda x: np.clip(x, 0, 1))
      >>> bool(stat < dkw_epsilon(1000, 1e-6))
      True
    """
    x = np.sort(np.asarray(samples, dtype=np.float64).ravel())
    n = x.size
    f = np.asarray(cdf(x), dtype=np.float64)
    # at each distinct point: empirical CDF just after (right limit) and just before.
    after = np.searchsorted(x, x, side="right") / n
    before = np.searchsorted(x, x, side="left") / n
    f_before = np.asarray(cdf(np.nextafter(x, -np.inf)), dtype=np.float64)
    stat = float(max(np.max(np.abs(after - f)), np.max(np.abs(before - f_before))))
    eps = dkw_epsilon(n, false_failure)
    if not stat <= eps:
        raise AssertionError(
            f"KS statistic {stat:.4g} exceeds the DKW bound {eps:.4g} "
            f"(n = {n}, false-failure probability {false_failure:g})"
        )
    return stat


def assert_mean_matches(
    samples, mean, variance, *, false_failure: float = 1e-6, axis=0, method: str = "clt"
) -> None:
    r"""Assert sample means lie within a band of width set by ``false_failure`` around ``mean``.

    With ``method="clt"`` (default) the band is :math:`z\,\sigma/\sqrt n` with
    :math:`z = \Phi^{-1}(1 - \delta / (2k))` for :math:`k` coordinates (union bound): exact
    for Gaussian samples, asymptotic (central limit theorem) otherwise. With
    ``method="chebyshev"`` it is :math:`\sigma\sqrt{k / (n\delta)}`, valid for any law with
    finite variance but far wider (use it for heavy tails).

    Args:
      samples: draws with the sample axis ``axis``.
      mean: the true mean, broadcasting against the per-coordinate sample mean.
      variance: the true per-coordinate variance :math:`\sigma^2` (same broadcasting).
      false_failure: probability :math:`\delta` that a correct sampler fails (union bound
        over the :math:`k` coordinates).
      axis: the sample axis (:math:`n` = its length).
      method: ``"clt"`` or ``"chebyshev"``.

    Returns:
      ``None``; raises ``AssertionError`` when a coordinate lies outside its band.

    References:
      Chebyshev's inequality and the Bonferroni (union) bound; e.g. Wasserman (2004). All of
      Statistics, ch. 4. Springer [@wasserman2004all].

    Examples:
      >>> rng = np.random.default_rng(1)
      >>> assert_mean_matches(rng.normal(2.0, 3.0, size=20_000), 2.0, 9.0)
    """
    if method not in {"clt", "chebyshev"}:
        raise ValueError(f"assert_mean_matches: unknown method {method!r}")
    samples = np.asarray(samples, dtype=np.float64)
    n = samples.shape[axis]
    sample_mean = samples.mean(axis=axis)
    mean = np.broadcast_to(np.asarray(mean, np.float64), sample_mean.shape)
    variance = np.broadcast_to(np.asarray(variance, np.float64), sample_mean.shape)
    k = max(sample_mean.size, 1)
    if method == "clt":
        z = statistics.NormalDist().inv_cdf(1 - false_failure / (2 * k))
        t = z * np.sqrt(variance / n)
        name = "CLT"
    else:
        t = np.sqrt(variance * k / (n * false_failure))
        name = "Chebyshev"
    bad = ~(np.abs(sample_mean - mean) <= t)
    if np.any(bad):
        raise AssertionError(
            f"sample mean {sample_mean[bad]} differs from {mean[bad]} by more than the {name} "
            f"band {t[bad]} (n = {n}, false-failure probability {false_failure:g})"
        )


def gauss_legendre_integral(
    fn: Callable, low, high, *, num_nodes: int = 200, num_panels: int = 1
) -> np.ndarray | np.float64:
    r"""Composite Gauss–Legendre quadrature of ``fn`` over ``[low, high]`` (vectorised over nodes).

    ``fn`` receives an array of nodes with shape ``(num_panels * num_nodes,) + shape(low)`` and
    must return values of the same shape. Exact for polynomials of degree ``2 num_nodes - 1``
    on each panel.

    .. math::
        \int_a^b f(x)\,dx \approx \sum_{p=1}^{P}\frac{h}{2}\sum_{i=1}^{n} w_i\,
        f\Big(a + (p - \tfrac12)h + \tfrac h2 \xi_i\Big), \qquad h = \frac{b - a}{P},

    with :math:`(\xi_i, w_i)` the :math:`n`-point Gauss–Legendre nodes and weights on
    :math:`[-1, 1]`.

    Args:
      fn: vectorised integrand (see above for the node shape).
      low, high: integration limits :math:`a, b` (arrays broadcasting together: one integral
        per element).
      num_nodes: nodes per panel :math:`n`.
      num_panels: number of equal panels :math:`P`.

    Returns:
      The integral(s), shape of ``broadcast(low, high)``.

    References:
      Davis, Rabinowitz (1984). Methods of Numerical Integration, 2nd ed., sec. 2.7.
      Academic Press [@davis1984methods].

    Examples:
      >>> round(float(gauss_legendre_integral(lambda x: x**2, 0.0, 3.0)), 12)
      9.0
    """
    nodes, weights = np.polynomial.legendre.leggauss(num_nodes)
    low = np.asarray(low, np.float64)
    high = np.asarray(high, np.float64)
    edges = np.linspace(0.0, 1.0, num_panels + 1)
    xs, ws = [], []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        t = a + (b - a) * (nodes + 1) / 2
        xs.append(t)
        ws.append(weights * (b - a) / 2)
    t = np.concatenate(xs)
    w = np.concatenate(ws)
    shape = (t.size,) + (1,) * low.ndim
    x = low + (high - low) * t.reshape(shape)
    values = np.asarray(fn(x), np.float64)
    return np.sum(values * w.reshape(shape), axis=0) * (high - low)
