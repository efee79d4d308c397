r"""Divergences between distributions and between samples.

Between distribution records (:mod:`gmath.densities`): closed-form KL divergences (a registry,
:func:`kl`, extensible with :func:`register_kl`), Rényi, chi-squared, Hellinger, total variation
and Bhattacharyya, exponential-family divergences from natural parameters, f-divergences, Monte
Carlo estimates with standard errors and variational bounds (Donsker-Varadhan, NWJ, InfoNCE).
The functions taking distribution records accept gmath records (instances of
:class:`gmath.densities.Distribution`; subclasses of its families get their family's formulas);
another library's distribution objects raise ``TypeError`` naming their type.

Between samples: entropic optimal transport (:func:`sinkhorn`, the debiased
:func:`sinkhorn_divergence`), 1-D, Gaussian and sliced Wasserstein distances, MMD and its
permutation test, energy distance, kernel Stein discrepancy, Fréchet distance, KID, precision and
recall, and mode coverage. Every function is pure and works under ``jit``, ``vmap`` and ``grad``;
the pairwise ones tile large inputs in O((n + m) d) memory.
"""

__all__: list[str] = []

# --- divergences between distributions (closed forms, estimators, bounds) ---
from gmath._estimate import Estimate
from gmath.divergences import _kl as _kl
from gmath.divergences._exponential_family import (
    exponential_family_kl,
    exponential_family_renyi,
    natural_parameters,
)
from gmath.divergences._kl_registry import kl, kl_pairs, register_kl

__all__ += [
    "Estimate",
    "exponential_family_kl",
    "exponential_family_renyi",
    "kl",
    "kl_pairs",
    "natural_parameters",
    "register_kl",
]
from gmath.divergences._categorical_logits import (  # noqa: E402
    categorical_js_from_logits,
    categorical_kl_from_logits,
)

__all__ += ["categorical_js_from_logits", "categorical_kl_from_logits"]
from gmath.divergences._renyi import (  # noqa: E402
    bhattacharyya,
    chi_squared,
    hellinger_squared,
    renyi,
    total_variation,
)

__all__ += ["bhattacharyya", "chi_squared", "hellinger_squared", "renyi", "total_variation"]
from gmath.divergences import generators  # noqa: E402
from gmath.divergences._estimators import jensen_shannon_estimate, kl_estimate  # noqa: E402
from gmath.divergences._f_divergence import f_divergence  # noqa: E402
from gmath.divergences._mixture_bounds import KLBounds, kl_bounds  # noqa: E402
from gmath.divergences._variational import (  # noqa: E402
    donsker_varadhan,
    fgan_bound,
    infonce,
    nwj,
)

__all__ += [
    "KLBounds",
    "donsker_varadhan",
    "f_divergence",
    "fgan_bound",
    "generators",
    "infonce",
    "jensen_shannon_estimate",
    "kl_bounds",
    "kl_estimate",
    "nwj",
]

# --- divergences between samples (optimal transport, kernels, Fréchet, mode coverage) ---
from gmath.divergences import kernels  # noqa: E402
from gmath.divergences._energy import energy_distance  # noqa: E402
from gmath.divergences._frechet import RunningMoments, frechet_distance  # noqa: E402
from gmath.divergences._gaussian_ot import (  # noqa: E402
    wasserstein_gaussian,
    wasserstein_gaussian_from_moments,
)
from gmath.divergences._ksd import ksd_squared  # noqa: E402
from gmath.divergences._mmd import MMDTestResult, kid, mmd_squared, mmd_test  # noqa: E402
from gmath.divergences._modes import (  # noqa: E402
    ModeCoverage,
    PrecisionRecall,
    grid_modes,
    mode_coverage,
    precision_recall,
    ring_modes,
)
from gmath.divergences._sinkhorn import (  # noqa: E402
    SinkhornDivergenceResult,
    SinkhornResult,
    sinkhorn,
    sinkhorn_divergence,
    sinkhorn_divergence_result,
)
from gmath.divergences._sliced import sliced_wasserstein  # noqa: E402
from gmath.divergences._wasserstein import wasserstein_1d  # noqa: E402

__all__ += [
    "MMDTestResult",
    "ModeCoverage",
    "PrecisionRecall",
    "RunningMoments",
    "SinkhornDivergenceResult",
    "SinkhornResult",
    "energy_distance",
    "frechet_distance",
    "grid_modes",
    "kernels",
    "kid",
    "ksd_squared",
    "mmd_squared",
    "mmd_test",
    "mode_coverage",
    "precision_recall",
    "ring_modes",
    "sinkhorn",
    "sinkhorn_divergence",
    "sinkhorn_divergence_result",
    "sliced_wasserstein",
    "wasserstein_1d",
    "wasserstein_gaussian",
    "wasserstein_gaussian_from_moments",
]
