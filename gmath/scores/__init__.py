r"""Score functions, trace estimators, score-matching losses, noise schedules, samplers,
Langevin kernels and variational bounds.

Conventions: :math:`x_t = \alpha_t x_0 + \sigma_t\varepsilon`, :math:`\lambda_t = \log(\alpha_t^2
/\sigma_t^2)`; random functions take a PRNG ``key`` first; options are keyword-only.

One model convention, shared by the losses, the samplers and the likelihood: a model is called
on a whole batch, ``model_fn(x, t)`` with ``x`` of shape ``[batch, ...]`` and ``t`` of shape
``[batch]`` (one time per example; the samplers pass the current grid time in every entry, the
denoising loss each example's drawn time), and returns an array shaped like ``x`` (the same
call as a network ``net(params, x, t)`` closed over its parameters). What it returns is named
by the static keyword ``prediction``, one of :data:`PREDICTIONS`: ``"score"``
(:math:`\nabla\log p_t`), ``"eps"`` (:math:`\varepsilon`), ``"x0"`` (:math:`x_0`), ``"v"``
(:math:`\alpha_t\varepsilon - \sigma_t x_0`), ``"velocity"`` (:math:`\dot\alpha_t x_0 +
\dot\sigma_t\varepsilon`) or ``"edm"`` (the raw EDM network); every sampler, the
probability-flow drift and likelihood, and :func:`denoising_score_matching_loss` take it, so a
model trained with the loss plugs into any sampler with the same ``prediction`` (pass it to
both: the samplers and the likelihood default to ``"score"``, :func:`edm_sample` to ``"x0"``,
the denoising loss to ``"eps"``). Score models
without time (:func:`explicit_score_matching_loss`, :func:`implicit_score_matching_loss`,
:func:`sliced_score_matching_loss`) are ``score_fn(x)`` on the batch. Functions that need a
per-example Jacobian (the likelihood, the implicit loss) call the model on one example at a time
under ``vmap``, so a model must treat the examples of a batch independently. The samplers hold
a batch of independent chains; the probability-flow likelihood returns one value per example.
Every sampler is a :class:`SamplerKernel` (``init(x)``, ``step(key, state, t, t_next)``, with
its public constructor such as :func:`ddim_kernel`) run along its grid by :func:`run_sampler`;
a new sampler is one kernel, run by the same driver.
"""

from gmath._estimate import Estimate
from gmath.scores._divergence import jacobian_trace, jacobian_trace_estimate
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
from gmath.scores._sampler_annealed import annealed_langevin_kernel
from gmath.scores._sampler_ddim import ancestral_kernel, ddim_kernel
from gmath.scores._sampler_driver import SamplerKernel, SamplerState, run_sampler
from gmath.scores._sampler_edm import edm_kernel
from gmath.scores._sampler_ode import probability_flow_kernel
from gmath.scores._sampler_pc import predictor_corrector_kernel
from gmath.scores._sampler_sde import reverse_sde_kernel
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
    learned_vdm,
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
    "SamplerKernel",
    "SamplerState",
    "ancestral_kernel",
    "ancestral_sample",
    "annealed_langevin_kernel",
    "annealed_langevin_sample",
    "convert_prediction",
    "ddim_kernel",
    "ddim_sample",
    "ddpm_discrete",
    "denoising_score_matching_loss",
    "edm",
    "edm_kernel",
    "edm_preconditioning",
    "edm_sample",
    "explicit_score_matching_loss",
    "gaussian_elbo",
    "gaussian_kl_to_standard_normal",
    "implicit_score_matching_loss",
    "iwae_bound",
    "jacobian_trace",
    "jacobian_trace_estimate",
    "karras_sigmas",
    "langevin_proposal_log_density",
    "learned_vdm",
    "mala",
    "mala_log_acceptance",
    "prediction_target",
    "predictor_corrector_kernel",
    "predictor_corrector_sample",
    "probability_flow_drift",
    "probability_flow_kernel",
    "probability_flow_log_likelihood",
    "probability_flow_sample",
    "rectified_flow",
    "rescale_zero_terminal_snr",
    "reverse_sde_kernel",
    "reverse_sde_sample",
    "run_sampler",
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
