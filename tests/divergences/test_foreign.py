"""Objects that are not gmath distributions (other libraries' records, e.g. numpyro).

``renyi(numpyro Normal(0, 1), numpyro Normal(1, 2), 1.0)`` returned 0.125 (the true KL is
log 2 + 2/8 - 1/2 = 0.443) because formulas were chosen by class *name*. Every divergence between
distribution records now raises a TypeError naming the foreign type, and dispatch is by class
identity: subclasses of gmath's families use their formulas, a look-alike class named ``Normal``
does not.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as nd
import pytest

import gmath.densities as gd
import gmath.divergences as gv
from gmath.densities._base import distribution
from gmath.divergences import _kl_registry

KL_01_12 = math.log(2.0) + (1.0 + 1.0) / 8.0 - 0.5  # KL(N(0, 1) || N(1, 2^2))

_KEY = jax.random.key(0)
_DIVERGENCES = {
    "kl": gv.kl,
    "renyi": lambda p, q: gv.renyi(p, q, 1.0),
    "renyi_half": lambda p, q: gv.renyi(p, q, 0.5),
    "bhattacharyya": gv.bhattacharyya,
    "hellinger_squared": gv.hellinger_squared,
    "chi_squared": gv.chi_squared,
    "total_variation": gv.total_variation,
    "f_divergence": lambda p, q: gv.f_divergence(p, q, gv.generators.kl_forward),
    "f_divergence_estimate": lambda p, q: gv.f_divergence_estimate(
        _KEY, p, q, gv.generators.kl_forward, 10
    ),
    "kl_estimate": lambda p, q: gv.kl_estimate(_KEY, p, q, 10),
    "jensen_shannon_estimate": lambda p, q: gv.jensen_shannon_estimate(_KEY, p, q, 10),
    "exponential_family_kl": gv.exponential_family_kl,
    "exponential_family_renyi": lambda p, q: gv.exponential_family_renyi(p, q, 0.5),
    "wasserstein_gaussian_squared": gv.wasserstein_gaussian_squared,
    "kl_bounds": gv.kl_bounds,
}
_NUMPYRO_NORMAL = "numpyro.distributions.continuous.Normal"


def test_issue_reproducer():
    """The exact reproducer: TypeError naming numpyro's Normal, never 0.125."""
    with pytest.raises(TypeError, match=_NUMPYRO_NORMAL):
        gv.renyi(nd.Normal(0.0, 1.0), nd.Normal(1.0, 2.0), 1.0)
    with pytest.raises(TypeError, match=_NUMPYRO_NORMAL):
        gv.kl(nd.Normal(0.0, 1.0), nd.Normal(1.0, 2.0))
    # the gmath laws give the true value
    value = gv.renyi(gd.Normal(0.0, 1.0), gd.Normal(1.0, 2.0), 1.0)
    np.testing.assert_allclose(float(value), KL_01_12, rtol=1e-14)


@pytest.mark.parametrize("name", sorted(_DIVERGENCES))
@pytest.mark.parametrize("side", ["p", "q", "both"])
def test_foreign_record_raises_type_error(name, side):
    """A numpyro record as p, as q or as both: a TypeError naming its type and the argument."""
    fn = _DIVERGENCES[name]
    ours, theirs = gd.Normal(0.0, 1.0), nd.Normal(1.0, 2.0)
    p, q = {"p": (theirs, ours), "q": (ours, theirs), "both": (theirs, nd.Normal(0.0, 3.0))}[side]
    with pytest.raises(TypeError, match=_NUMPYRO_NORMAL) as info:
        fn(p, q)
    assert f"{'q' if side == 'q' else 'p'} is a" in str(info.value)
    assert "not a gmath distribution" in str(info.value)


def test_natural_parameters_foreign():
    with pytest.raises(TypeError, match=_NUMPYRO_NORMAL):
        gv.natural_parameters(nd.Normal(0.0, 1.0))


class Normal:
    """A look-alike: named ``Normal``, with ``loc``, ``scale`` and ``batch_shape``, but not
    gmath's Normal."""

    batch_shape = ()

    def __init__(self, loc, scale):
        self.loc, self.scale = loc, scale


@pytest.mark.parametrize("name", ["kl", "renyi", "renyi_half", "total_variation", "f_divergence"])
def test_dispatch_is_not_by_class_name(name):
    with pytest.raises(TypeError, match=r"test_foreign\.Normal, which is not a gmath"):
        _DIVERGENCES[name](Normal(0.0, 1.0), Normal(1.0, 2.0))


@distribution
class _MyNormal(gd.Normal):
    """A user subclass of gmath's Normal: it is a Normal, and gets Normal's formulas."""


def test_subclass_of_a_gmath_family_uses_its_formulas():
    p, q = _MyNormal(0.0, 1.0), gd.Normal(1.0, 2.0)
    np.testing.assert_allclose(float(gv.kl(p, q)), KL_01_12, rtol=1e-14)
    np.testing.assert_allclose(float(gv.kl(q, p)), float(gv.kl(q, gd.Normal(0.0, 1.0))), rtol=0)
    for alpha in (0.5, 1.0, 2.0):
        ref = gv.renyi(gd.Normal(0.0, 1.0), q, alpha)
        np.testing.assert_allclose(float(gv.renyi(p, q, alpha)), float(ref), rtol=0)
    # alpha = 1/2, equal means: -log of the Bhattacharyya coefficient sqrt(2 s t / (s^2 + t^2))
    b = gv.bhattacharyya(_MyNormal(0.0, 1.0), gd.Normal(0.0, 2.0))
    np.testing.assert_allclose(float(b), -0.5 * math.log(2 * 2.0 / 5.0), rtol=1e-14)


def test_registered_foreign_pair_still_dispatches():
    """kl's registry answers a pair registered for the foreign classes themselves."""

    class Point:
        batch_shape = ()

    gv.register_kl(Point, Point)(lambda p, q: jnp.zeros(()))
    try:
        assert float(gv.kl(Point(), Point())) == 0.0
        with pytest.raises(TypeError, match=r"test_foreign\..*Point, which is not a gmath"):
            gv.kl(Point(), gd.Normal(0.0, 1.0))
    finally:
        _kl_registry.KL.unregister(Point, Point)
