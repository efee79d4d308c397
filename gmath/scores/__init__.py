r"""Score functions, trace estimators, score-matching losses, noise schedules, samplers,
Langevin kernels and variational bounds.

Conventions: :math:`x_t = \alpha_t x_0 + \sigma_t\varepsilon`, :math:`\lambda_t = \log(\alpha_t^2
/\sigma_t^2)`; model callables are ``fn(x, t)`` on the whole state ``x`` (any batch shape) and
a scalar time ``t``; random functions take a PRNG ``key`` first; options are keyword-only.
"""

from gmath._estimate import Estimate
from gmath.scores._divergence import divergence
from gmath.scores._elbo import gaussian_elbo, gaussian_kl_to_standard_normal, iwae_bound
from gmath.scores._langevin import (
    LangevinInfo,
    LangevinKernel,
    LangevinState,
    annealed_langevin_sample,
    langevin_proposal_log_density,
    mala,
    mala_log_acceptance,
    sample_chain,
    ula,
)
from gmath.scores._losses import (
    WEIGHTINGS,
    denoising_score_matching_loss,
    explicit_score_matching_loss,
    implicit_score_matching_loss,
    sliced_score_matching_loss,
)
from gmath.scores._predictions import (
    PREDICTIONS,
    EDMPreconditioning,
    convert_prediction,
    edm_preconditioning,
    karras_sigmas,
    prediction_target,
)
from gmath.scores._samplers import (
    FlowLikelihood,
    ancestral_sample,
    ddim_sample,
    edm_sample,
    predictor_corrector_sample,
    probability_flow_drift,
    probability_flow_log_likelihood,
    probability_flow_sample,
    reverse_sde_sample,
    time_grid,
)
from gmath.scores._schedules import (
    NoiseSchedule,
    ddpm_discrete,
    edm,
    rectified_flow,
    rescale_zero_terminal_snr,
    sub_vp,
    vdm,
    ve,
    vp_cosine,
    vp_linear,
)
from gmath.scores._score import score
from gmath.scores._tweedie import tweedie_denoiser

__all__ = [
    "PREDICTIONS",
    "WEIGHTINGS",
    "EDMPreconditioning",
    "Estimate",
    "FlowLikelihood",
    "LangevinInfo",
    "LangevinKernel",
    "LangevinState",
    "NoiseSchedule",
    "ancestral_sample",
    "annealed_langevin_sample",
    "convert_prediction",
    "ddim_sample",
    "ddpm_discrete",
    "denoising_score_matching_loss",
    "divergence",
    "edm",
    "edm_preconditioning",
    "edm_sample",
    "explicit_score_matching_loss",
    "gaussian_elbo",
    "gaussian_kl_to_standard_normal",
    "implicit_score_matching_loss",
    "iwae_bound",
    "karras_sigmas",
    "langevin_proposal_log_density",
    "mala",
    "mala_log_acceptance",
    "prediction_target",
    "predictor_corrector_sample",
    "probability_flow_drift",
    "probability_flow_log_likelihood",
    "probability_flow_sample",
    "rectified_flow",
    "rescale_zero_terminal_snr",
    "reverse_sde_sample",
    "sample_chain",
    "score",
    "sliced_score_matching_loss",
    "sub_vp",
    "time_grid",
    "tweedie_denoiser",
    "ula",
    "vdm",
    "ve",
    "vp_cosine",
    "vp_linear",
]
