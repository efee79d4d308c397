r"""Score functions, trace estimators, score-matching losses, noise schedules, samplers,
Langevin kernels and variational bounds.

Conventions: :math:`x_t = \alpha_t x_0 + \sigma_t\varepsilon`, :math:`\lambda_t = \log(\alpha_t^2
/\sigma_t^2)`; model callables are ``fn(x, t)`` on the whole state ``x`` (any batch shape) and
a scalar time ``t``; random functions take a PRNG ``key`` first; options are keyword-only.
"""

from gmath._estimate import Estimate
from gmath.scores._divergence import divergence
from gmath.scores._predictions import (
    PREDICTIONS,
    EDMPreconditioning,
    convert_prediction,
    edm_preconditioning,
    karras_sigmas,
    prediction_target,
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
    "EDMPreconditioning",
    "Estimate",
    "NoiseSchedule",
    "convert_prediction",
    "ddpm_discrete",
    "divergence",
    "edm",
    "edm_preconditioning",
    "karras_sigmas",
    "prediction_target",
    "rectified_flow",
    "rescale_zero_terminal_snr",
    "score",
    "sub_vp",
    "tweedie_denoiser",
    "vdm",
    "ve",
    "vp_cosine",
    "vp_linear",
]
