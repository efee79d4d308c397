r"""Divergences between distributions and between samples.

Between distribution records (:mod:`gmath.densities`): closed-form KL divergences (a registry,
:func:`kl`), Rényi, chi-squared, Hellinger, total variation and Bhattacharyya,
exponential-family divergences from natural parameters, exact f-divergences, Monte Carlo
estimates with standard errors (``*_estimate``, returning :class:`Estimate`) and variational
bounds (Donsker-Varadhan, NWJ, InfoNCE, f-GAN). Every closed form is found by the classes of
its arguments through one mechanism: subclasses of gmath's families get their family's
formulas, and :func:`register_kl`, :func:`register_renyi` and :func:`register_total_variation`
add formulas for new classes; another library's distribution objects raise ``TypeError``
naming their type.

Between samples: entropic optimal transport (:func:`sinkhorn`, the debiased
:func:`sinkhorn_divergence`, with the ground costs of :mod:`gmath.divergences.costs`), exact
transport (:func:`exact_transport`), entropic Gromov–Wasserstein
between spaces that share no coordinates (:func:`gromov_wasserstein`,
:func:`fused_gromov_wasserstein`), free-support Wasserstein barycenters
(:func:`free_support_barycenter`), minibatch couplings for flow
matching (:func:`ot_coupling`), the entropic transport map (:func:`entropic_map`), 1-D,
Gaussian, sliced and max-sliced Wasserstein distances, MMD and its permutation test, energy distance, kernel
Stein discrepancy, Fréchet distance, KID, precision and recall, and mode coverage. Functions returning a squared distance carry ``_squared`` in their
name. Every function is pure and works under ``jit``, ``vmap`` and ``grad``; the pairwise ones
tile large inputs in O((n + m) d) memory. Optimal transport, entropic and exact, lives here
rather than in a subpackage of its own: its solvers share this package's pairwise geometry and
conventions (weights, costs, ``converged`` and certificates).
"""

from gmath._estimate import Estimate
from gmath.divergences import _kl as _kl  # the module registers the closed forms of kl
from gmath.divergences import costs, generators, kernels
from gmath.divergences._barycenter import BarycenterResult, free_support_barycenter
from gmath.divergences._categorical_logits import (
    categorical_js_from_logits,
    categorical_kl_from_logits,
)
from gmath.divergences._coupling import ot_coupling
from gmath.divergences._energy import energy_distance
from gmath.divergences._entropic_map import entropic_map
from gmath.divergences._estimators import jensen_shannon_estimate, kl_estimate
from gmath.divergences._exact_transport import ExactTransportResult, exact_transport
from gmath.divergences._exponential_family import (
    exponential_family_kl,
    exponential_family_renyi,
    natural_parameters,
)
from gmath.divergences._f_divergence import f_divergence, f_divergence_estimate
from gmath.divergences._frechet import RunningMoments, frechet_distance, frechet_distance_squared
from gmath.divergences._gaussian_ot import (
    wasserstein_gaussian,
    wasserstein_gaussian_from_moments,
    wasserstein_gaussian_squared,
    wasserstein_gaussian_squared_from_moments,
)
from gmath.divergences._gromov import (
    GromovWassersteinResult,
    fused_gromov_wasserstein,
    gromov_wasserstein,
)
from gmath.divergences._kl_registry import kl, kl_pairs, register_kl
from gmath.divergences._ksd import ksd_squared
from gmath.divergences._mixture_bounds import KLBounds, kl_bounds
from gmath.divergences._mmd import MMDTestResult, kid, mmd_squared, mmd_test
from gmath.divergences._modes import (
    ModeCoverage,
    PrecisionRecall,
    grid_modes,
    mode_coverage,
    precision_recall,
    ring_modes,
)
from gmath.divergences._renyi import (
    bhattacharyya,
    chi_squared,
    hellinger_squared,
    register_renyi,
    register_total_variation,
    renyi,
    total_variation,
)
from gmath.divergences._sinkhorn import (
    SinkhornDivergenceResult,
    SinkhornResult,
    sinkhorn,
    sinkhorn_divergence,
    sinkhorn_divergence_result,
)
from gmath.divergences._sliced import MaxSlicedResult, max_sliced_wasserstein, sliced_wasserstein
from gmath.divergences._variational import donsker_varadhan, fgan_bound, infonce, nwj
from gmath.divergences._wasserstein import wasserstein_1d

__all__ = [
    "BarycenterResult",
    "Estimate",
    "ExactTransportResult",
    "GromovWassersteinResult",
    "KLBounds",
    "MMDTestResult",
    "MaxSlicedResult",
    "ModeCoverage",
    "PrecisionRecall",
    "RunningMoments",
    "SinkhornDivergenceResult",
    "SinkhornResult",
    "bhattacharyya",
    "categorical_js_from_logits",
    "categorical_kl_from_logits",
    "chi_squared",
    "costs",
    "donsker_varadhan",
    "energy_distance",
    "entropic_map",
    "exact_transport",
    "exponential_family_kl",
    "exponential_family_renyi",
    "f_divergence",
    "f_divergence_estimate",
    "fgan_bound",
    "frechet_distance",
    "frechet_distance_squared",
    "free_support_barycenter",
    "fused_gromov_wasserstein",
    "generators",
    "grid_modes",
    "gromov_wasserstein",
    "hellinger_squared",
    "infonce",
    "jensen_shannon_estimate",
    "kernels",
    "kid",
    "kl",
    "kl_bounds",
    "kl_estimate",
    "kl_pairs",
    "ksd_squared",
    "max_sliced_wasserstein",
    "mmd_squared",
    "mmd_test",
    "mode_coverage",
    "natural_parameters",
    "nwj",
    "ot_coupling",
    "precision_recall",
    "register_kl",
    "register_renyi",
    "register_total_variation",
    "renyi",
    "ring_modes",
    "sinkhorn",
    "sinkhorn_divergence",
    "sinkhorn_divergence_result",
    "sliced_wasserstein",
    "total_variation",
    "wasserstein_1d",
    "wasserstein_gaussian",
    "wasserstein_gaussian_from_moments",
    "wasserstein_gaussian_squared",
    "wasserstein_gaussian_squared_from_moments",
]
