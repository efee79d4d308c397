"""Public test utilities: Hypothesis strategies, tolerances, assertions (needs ``hypothesis``).

Users can property-test their own code with the same strategies gmath tests itself with::

    from hypothesis import given
    import gmath.testing as gt

    @given(p=gt.normals(batch_shape=(3,)))
    def test_entropy_is_finite(p): ...

It needs Hypothesis, installed with the ``testing`` extra: ``pip install gmath[testing]``.
"""

try:
    import hypothesis as _hypothesis
except ModuleNotFoundError as _err:
    if _err.name != "hypothesis":
        raise
    raise ModuleNotFoundError(
        "gmath.testing needs the hypothesis package; install it with the testing extra: "
        "pip install gmath[testing]",
        name="hypothesis",
    ) from _err

from gmath.testing._arrays import finite_arrays, positive_arrays, simplex_points, spd_matrices
from gmath.testing._assertions import (
    assert_allclose,
    assert_float32_excess_bits,
    assert_transform_consistent,
    tolerance,
)
from gmath.testing._diffusion import (
    gaussian_diffusion_log_prob,
    gaussian_diffusion_marginal,
    gaussian_diffusion_score,
    gaussian_flow_map,
    gaussian_minimum_denoising_loss,
    gaussian_optimal_denoiser,
    mixture_diffusion_log_prob,
    mixture_diffusion_score,
    mixture_optimal_denoiser,
)
from gmath.testing._families import (
    bernoullis,
    betas,
    binomials,
    categoricals,
    cauchys,
    dirichlets,
    exponentials,
    gammas,
    geometrics,
    gumbels,
    half_normals,
    laplaces,
    log_normals,
    logistics,
    low_rank_multivariate_normals,
    mixtures_of_normals,
    multivariate_normal_diags,
    multivariate_normals,
    normals,
    poissons,
    student_ts,
    truncated_normals,
    uniforms,
    von_mises,
)
from gmath.testing._statistics import (
    assert_mean_matches,
    assert_samples_match_cdf,
    dkw_epsilon,
    gauss_legendre_integral,
)

__all__ = [
    "assert_allclose",
    "assert_float32_excess_bits",
    "assert_mean_matches",
    "assert_samples_match_cdf",
    "assert_transform_consistent",
    "bernoullis",
    "betas",
    "binomials",
    "categoricals",
    "cauchys",
    "dirichlets",
    "dkw_epsilon",
    "exponentials",
    "finite_arrays",
    "gammas",
    "gauss_legendre_integral",
    "gaussian_diffusion_log_prob",
    "gaussian_diffusion_marginal",
    "gaussian_diffusion_score",
    "gaussian_flow_map",
    "gaussian_minimum_denoising_loss",
    "gaussian_optimal_denoiser",
    "geometrics",
    "gumbels",
    "half_normals",
    "laplaces",
    "log_normals",
    "logistics",
    "low_rank_multivariate_normals",
    "mixture_diffusion_log_prob",
    "mixture_diffusion_score",
    "mixture_optimal_denoiser",
    "mixtures_of_normals",
    "multivariate_normal_diags",
    "multivariate_normals",
    "normals",
    "poissons",
    "positive_arrays",
    "simplex_points",
    "spd_matrices",
    "student_ts",
    "tolerance",
    "truncated_normals",
    "uniforms",
    "von_mises",
]
