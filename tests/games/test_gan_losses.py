"""GAN objectives and penalties: golden values, V(D*) = 2 JS - log 4, optimal
discriminators, linear-critic penalties, the Dirac-GAN spectrum with and without R1."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
from hypothesis import given

import gmath
import gmath.testing as gt
from gmath import games as gg

REAL = jnp.array([-5.0, 1.4, 12.5, 2.7])
FAKE = jnp.array([10.0, 4.4, -5.5, 3.6])


def test_golden_values():
    d, g = gg.wasserstein_loss(REAL, FAKE)
    np.testing.assert_allclose([float(d), float(g)], [0.225, -3.125], rtol=1e-12)
    np.testing.assert_allclose(float(gg.hinge_loss(REAL, FAKE)[0]), 6.75, rtol=1e-12)
    np.testing.assert_allclose(float(gg.hinge_loss(REAL, FAKE)[1]), -3.125, rtol=1e-12)
    # non-saturating G: mean softplus(-fake), written out with log1p/exp in float64
    expected = np.mean(np.log1p(np.exp(-np.asarray(FAKE))))
    np.testing.assert_allclose(float(gg.non_saturating_loss(REAL, FAKE)[1]), expected, rtol=1e-12)
    np.testing.assert_allclose(expected, 1.38582, atol=5e-6)


def test_reference_formulas():
    r, f = np.asarray(REAL), np.asarray(FAKE)
    sp = lambda t: np.log1p(np.exp(-np.abs(t))) + np.maximum(t, 0)
    d, g = gg.minimax_loss(REAL, FAKE)
    np.testing.assert_allclose(float(d), np.mean(sp(-r)) + np.mean(sp(f)), rtol=1e-12)
    np.testing.assert_allclose(float(g), -np.mean(sp(f)), rtol=1e-12)
    d, _ = gg.minimax_loss(REAL, FAKE, label_smoothing=0.1)
    np.testing.assert_allclose(
        float(d), np.mean(0.9 * sp(-r) + 0.1 * sp(r)) + np.mean(sp(f)), rtol=1e-12
    )
    d, g = gg.least_squares_loss(REAL, FAKE, a=0.0, b=1.0, c=1.0)
    np.testing.assert_allclose(float(d), 0.5 * np.mean((r - 1) ** 2) + 0.5 * np.mean(f**2))
    np.testing.assert_allclose(float(g), 0.5 * np.mean((f - 1) ** 2))
    d, g = gg.relativistic_loss(REAL, FAKE)
    np.testing.assert_allclose(
        float(d), np.mean(sp(-(r - f.mean()))) + np.mean(sp(f - r.mean())), rtol=1e-12
    )
    np.testing.assert_allclose(
        float(g), np.mean(sp(-(f - r.mean()))) + np.mean(sp(r - f.mean())), rtol=1e-12
    )
    d, g = gg.relativistic_loss(REAL, FAKE, average=False)
    np.testing.assert_allclose(float(d), np.mean(sp(-(r - f))), rtol=1e-12)
    np.testing.assert_allclose(float(g), np.mean(sp(-(f - r))), rtol=1e-12)


@given(p=gt.simplex_points(dim=6), q=gt.simplex_points(dim=6))
def test_value_at_optimal_discriminator_is_2js_minus_log4(p, q):
    p = np.clip(np.asarray(p), 1e-6, None)
    q = np.clip(np.asarray(q), 1e-6, None)
    p, q = p / p.sum(), q / q.sum()
    logits = gg.optimal_discriminator(jnp.log(p), jnp.log(q))
    d_loss, _ = gg.minimax_loss(logits, logits, real_weights=p, fake_weights=q)
    m = 0.5 * (p + q)
    js = 0.5 * np.sum(scipy.special.rel_entr(p, m)) + 0.5 * np.sum(scipy.special.rel_entr(q, m))
    np.testing.assert_allclose(float(-d_loss), 2 * js - np.log(4), rtol=1e-10, atol=1e-12)
    # V(D) <= V(D*) for any other discriminator
    other = logits + jnp.asarray(np.linspace(-1, 1, 6))
    assert float(-gg.minimax_loss(other, other, real_weights=p, fake_weights=q)[0]) <= float(
        -d_loss
    )
    # LSGAN (a=-1, b=1): D* = (p - q)/(p + q) is stationary for the weighted loss
    c_star = jnp.asarray((p - q) / (p + q))
    grad = jax.grad(lambda c: gg.least_squares_loss(c, c, real_weights=p, fake_weights=q)[0])(
        c_star
    )
    np.testing.assert_allclose(grad, 0.0, atol=1e-14)


@pytest.mark.parametrize(
    "loss",
    [
        gg.minimax_loss,
        gg.non_saturating_loss,
        gg.wasserstein_loss,
        gg.hinge_loss,
        gg.least_squares_loss,
        gg.relativistic_loss,
    ],
)
def test_dtype_transforms_and_gradients(loss):
    d32, g32 = loss(REAL.astype(jnp.float32), FAKE.astype(jnp.float32))
    assert d32.dtype == g32.dtype == jnp.float32
    batch_r = jnp.stack([REAL, REAL[::-1]])
    batch_f = jnp.stack([FAKE, FAKE * 0.5])
    gt.assert_transform_consistent(loss, batch_r, batch_f)
    # gradient against central finite differences
    g = jax.grad(lambda f: loss(REAL, f)[1])(FAKE)
    h = 1e-6
    fd = np.array(
        [
            (loss(REAL, FAKE.at[i].add(h))[1] - loss(REAL, FAKE.at[i].add(-h))[1]) / (2 * h)
            for i in range(4)
        ]
    )
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-9)


def test_bad_input():
    with pytest.raises(ValueError, match="batch"):
        gg.minimax_loss(1.0, 2.0)
    with pytest.raises(ValueError, match="label_smoothing"):
        gg.minimax_loss(REAL, FAKE, label_smoothing=1.0)
    with pytest.raises(ValueError, match="paired"):
        gg.relativistic_loss(REAL, FAKE[:3], average=False)
    with pytest.raises(ValueError, match="equal shapes"):
        gg.gradient_penalty(
            jax.random.key(0), lambda u: u[:, 0], jnp.ones((3, 2)), jnp.ones((2, 2))
        )


# --- penalties ------------------------------------------------------------------------------

W = jnp.array([0.3, -1.2, 0.5])


def linear_critic(u):
    return u @ W


def test_penalties_linear_critic_closed_forms():
    x = jax.random.normal(jax.random.key(0), (8, 3))
    y = jax.random.normal(jax.random.key(1), (8, 3))
    norm = float(jnp.linalg.norm(W))
    gp = gg.gradient_penalty(jax.random.key(2), linear_critic, x, y, weight=7.0)
    np.testing.assert_allclose(float(gp), 7.0 * (norm - 1) ** 2, rtol=1e-12)
    np.testing.assert_allclose(float(gg.r1(linear_critic, x, gamma=3.0)), 1.5 * norm**2, rtol=1e-12)
    np.testing.assert_allclose(float(gg.r2(linear_critic, y, gamma=3.0)), 1.5 * norm**2, rtol=1e-12)
    small = lambda u: u @ (W / 10)
    assert float(gg.gradient_penalty(jax.random.key(2), small, x, y, one_sided=True)) == 0.0


def test_penalties_per_sample_norms_nonlinear_critic():
    def critic(u):
        return jnp.tanh(u @ W) + 0.1 * jnp.sum(u**2, axis=-1)

    @jax.jit
    def check(x):
        per_sample = jax.vmap(jax.grad(lambda v: critic(v[None])[0]))(x)
        expected = 0.5 * jnp.mean(jnp.sum(per_sample**2, axis=-1))
        # no NaN gradient when the critic is flat (zero input gradient)
        flat = lambda w: lambda u: jnp.zeros(u.shape[0]) * jnp.sum(w)
        grad = jax.grad(lambda w: gg.gradient_penalty(jax.random.key(0), flat(w), x, x))(W)
        return gg.r1(critic, x), expected, grad

    r1, expected, grad = check(jax.random.normal(jax.random.key(0), (5, 3)))
    np.testing.assert_allclose(float(r1), float(expected), rtol=1e-12)
    assert bool(jnp.all(jnp.isfinite(grad)))


# --- Dirac-GAN (Mescheder et al. 2018) -------------------------------------------------------


def dirac_game(gamma):
    # generator: point mass at theta; discriminator D(x) = psi x; data at 0. The value is
    # V = -d_loss of the minimax GAN; R1 regularises the discriminator: psi maximises V - R1.
    def f(theta, psi):
        critic = lambda u: psi * u[:, 0]
        d_loss, _ = gg.minimax_loss(critic(jnp.zeros((1, 1))), critic(theta * jnp.ones((1, 1))))
        return -d_loss - gg.r1(critic, jnp.zeros((1, 1)), gamma=gamma)

    return gg.ZeroSumGame(f)


@pytest.mark.parametrize("gamma", [0.0, 0.3, 2.0])
def test_dirac_gan_eigenvalues(gamma):
    J = gg.jacobian(dirac_game(gamma), (0.0, 0.0))
    eig = np.sort_complex(np.linalg.eigvals(np.asarray(J)))
    # Dirac-GAN with R1 (Mescheder, Geiger and Nowozin 2018): the eigenvalues of the gradient
    # *ascent* field (-J in our descent convention) are -g/2 +- sqrt(g^2/4 - 1/4); without R1,
    # +- i/2.
    disc = np.sqrt(complex(gamma**2 / 4 - 0.25))
    oracle = np.array([-gamma / 2 + disc, -gamma / 2 - disc])
    np.testing.assert_allclose(np.sort_complex(-eig), np.sort_complex(oracle), atol=1e-12)


def _f_and_inverse_activation(name):
    # f(u) and the logit v with g_f(v) = f'(u), written out independently from Nowozin Table 2,
    # with the scales of gmath.divergences.generators (JS and squared Hellinger halved, gan
    # shifted to f(1) = 0)
    table = {
        "kl_forward": (lambda u: u * np.log(u), lambda u: 1 + np.log(u)),
        "kl_reverse": (lambda u: -np.log(u), lambda u: np.log(u)),  # g = -exp(-v) = -1/u
        "pearson": (lambda u: (u - 1) ** 2, lambda u: 2 * (u - 1)),
        "neyman": (lambda u: (u - 1) ** 2 / u, lambda u: 2 * np.log(u)),  # g = 1 - 1/u^2
        "squared_hellinger": (lambda u: 0.5 * (np.sqrt(u) - 1) ** 2, lambda u: np.log(np.sqrt(u))),
        "jensen_shannon": (
            lambda u: 0.5 * (-(u + 1) * np.log((1 + u) / 2) + u * np.log(u)),
            lambda u: np.log(u),  # g = (log 2 - log(1 + 1/u))/2 = log(2u/(1+u))/2 = f'(u)
        ),
        "gan": (
            lambda u: u * np.log(u) - (u + 1) * np.log(u + 1) + 2 * np.log(2),
            lambda u: np.log(u),
        ),
    }
    return table[name]


@pytest.mark.parametrize(
    "name",
    ["kl_forward", "kl_reverse", "pearson", "neyman", "squared_hellinger", "jensen_shannon", "gan"],
)
def test_f_gan_supremum_is_the_f_divergence(name):
    p = np.array([0.1, 0.2, 0.3, 0.4])
    q = np.array([0.25, 0.25, 0.3, 0.2])
    f, logit_of_ratio = _f_and_inverse_activation(name)
    u = p / q
    v = jnp.asarray(logit_of_ratio(u))
    d_loss, _ = gg.f_gan_loss(v, v, divergence=name, real_weights=p, fake_weights=q)
    np.testing.assert_allclose(float(-d_loss), np.sum(q * f(u)), rtol=1e-12, atol=1e-15)
    # any other critic gives a smaller bound
    other = v + jnp.array([0.3, -0.2, 0.1, 0.05])
    d_other, _ = gg.f_gan_loss(other, other, divergence=name, real_weights=p, fake_weights=q)
    assert float(-d_other) <= float(-d_loss)


def test_negative_weights_are_invalid():
    real, fake = jnp.array([0.0, 1.0]), jnp.array([0.0, 0.0])
    d, g = gg.minimax_loss(real, fake, fake_weights=jnp.array([1.0, -0.5]))
    assert np.isnan(float(d)) and np.isnan(float(g))
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="weights"):
            gg.minimax_loss(real, fake, real_weights=jnp.array([-1.0, 1.0]))


def test_penalty_weights_are_validated():
    critic = lambda u: u @ jnp.array([3.0, 4.0])
    x = jnp.ones((5, 2))
    for fn in (gg.r1, gg.r2):
        with pytest.raises(ValueError, match="gamma"):
            fn(critic, x, gamma=-1.0)
        assert np.isnan(float(jax.jit(lambda g, fn=fn: fn(critic, x, gamma=g))(-1.0)))
        assert float(fn(critic, x, gamma=0.0)) == 0.0
    with pytest.raises(ValueError, match="weight"):
        gg.gradient_penalty(jax.random.key(0), critic, x, x + 1, weight=-1.0)
