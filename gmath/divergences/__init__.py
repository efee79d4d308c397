"""gmath.divergences (see DESIGN.md). Populated by its issue."""

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
