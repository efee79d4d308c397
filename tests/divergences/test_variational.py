"""Variational bounds from critic outputs.

Oracles: Fenchel–Young equality f*(f'(u)) = u f'(u) - f(u) for every conjugate (exact, float64,
1e-12), and f*(t) >= t u - f(u) on a grid; on a Gaussian pair with the optimal critic
(the exact log density ratio) each bound equals the divergence within 5 standard deviations
of its Monte Carlo error (terms with known finite variance; normal approximation,
false-failure probability about 6e-7 per check); a suboptimal critic gives a smaller value;
InfoNCE never exceeds log B and, at the optimal critic on correlated Gaussians with
I << log B, is within its known O(1/B) gap of the mutual information.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gmath
import gmath.densities as gd
import gmath.divergences as gv
import gmath.games
import gmath.testing as gt

G = gv.generators
_CONJUGATES = [
    "kl_forward",
    "kl_reverse",
    "jensen_shannon",
    "total_variation",
    "squared_hellinger",
    "pearson",
    "neyman",
    "gan",
]


def _derivative(g, u):
    """f'(u) by autodiff of the generator in log space: d f / d u = (d f / d log u) / u."""
    lu = jnp.log(jnp.asarray(u))
    return jax.vmap(jax.grad(lambda t: g(t)))(lu) / jnp.exp(lu)


@pytest.mark.parametrize("name", _CONJUGATES)
def test_conjugate_fenchel_young(name):
    g = getattr(G, name)
    u = jnp.exp(jnp.linspace(-3.0, 3.0, 61))
    if name == "total_variation":  # f'(u) = sign(u - 1)/2: equality holds off u = 1
        u = u[jnp.abs(u - 1) > 1e-3]
    t = _derivative(g, u)
    if name == "total_variation":
        t = 0.5 * jnp.sign(u - 1)  # autodiff rounds |t| to just above 1/2, outside the domain
    np.testing.assert_allclose(g.conjugate(t), u * t - g(jnp.log(u)), rtol=1e-12, atol=1e-12)
    # f*(t) >= t u - f(u) for all u, on a grid of t in the domain
    tt = t[::5][:, None]
    gap = g.conjugate(tt) - (tt * u[None, :] - g(jnp.log(u))[None, :])
    assert np.all(np.asarray(gap) >= -1e-12)


def test_fgan_table_activations_and_conjugates_agree():
    """One table: every f-GAN generator's activation lands in the domain of its conjugate, the
    stable f*(g_f(v)) is f* at g_f(v), and f_gan_loss uses exactly these (one scale per name)."""
    assert sorted(G.FGAN_GENERATORS) == sorted(_CONJUGATES)
    v = jnp.linspace(-6.0, 6.0, 49)
    for name in _CONJUGATES:
        g = G.FGAN_GENERATORS[name]
        assert g is getattr(G, name)
        t = g.activation(v)
        direct = g.conjugate(t)
        assert np.all(np.isfinite(np.asarray(direct))), name
        np.testing.assert_allclose(g.conjugate_activation(v), direct, rtol=1e-12, atol=1e-13)
        # activation = f'(u) at the u where the f-GAN supremum is attained: the Fenchel-Young
        # equality f*(t) = t u - f(u) pins each critic value to a point of f
        d_loss, g_loss = gmath.games.f_gan_loss(v, v, divergence=name)
        np.testing.assert_allclose(-g_loss, jnp.mean(direct), rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(-d_loss, jnp.mean(t) - jnp.mean(direct), rtol=1e-12, atol=1e-13)


_P, _Q = gd.Normal(0.3, 1.3), gd.Normal(-0.2, 1.0)  # sigma_p > sigma_q: p/q has all moments
_N = 20_000


@jax.jit
def _critic_values(key):
    kp, kq = jax.random.split(key)
    x, y = _P.sample(kp, (_N,)), _Q.sample(kq, (_N,))
    return _P.log_prob(x) - _Q.log_prob(x), _P.log_prob(y) - _Q.log_prob(y)


def _sd(values):
    return float(np.std(np.asarray(values), ddof=1)) / math.sqrt(len(values))


def test_bounds_are_tight_at_the_optimal_critic():
    lr_p, lr_q = _critic_values(jax.random.key(0))
    kl = float(gv.kl(_P, _Q))
    # NWJ at T = 1 + log(p/q): E_p[T] - E_q[p/q] = KL; unbiased.
    value = float(gv.nwj(1 + lr_p, 1 + lr_q))
    sd = math.sqrt(_sd(lr_p) ** 2 + _sd(jnp.exp(lr_q)) ** 2)
    assert abs(value - kl) < 5 * sd
    # DV at T = log(p/q): consistent; its delta-method sd is that of NWJ's
    value = float(gv.donsker_varadhan(lr_p, lr_q))
    assert abs(value - kl) < 5 * sd
    # f-GAN at T = f'(p/q) for generators whose divergence is closed between Gaussians
    closed = {
        "kl_forward": kl,
        "kl_reverse": float(gv.kl(_Q, _P)),
        "squared_hellinger": float(gv.hellinger_squared(_P, _Q)),
        "pearson": float(gv.chi_squared(_P, _Q)),
        "total_variation": float(gv.total_variation(_P, _Q)),
    }
    for name, ref in closed.items():
        g = getattr(G, name)
        if name == "total_variation":  # f'(u) = sign(u - 1) / 2
            tp, tq = 0.5 * jnp.sign(lr_p), 0.5 * jnp.sign(lr_q)
        else:
            tp, tq = _derivative(g, jnp.exp(lr_p)), _derivative(g, jnp.exp(lr_q))
        value = float(gv.fgan_bound(tp, tq, g))
        sd = math.sqrt(_sd(tp) ** 2 + _sd(g.conjugate(tq)) ** 2)
        assert abs(value - ref) < 5 * sd, name


def test_suboptimal_critics_give_smaller_values():
    lr_p, lr_q = _critic_values(jax.random.key(1))
    for bound in (gv.donsker_varadhan, gv.nwj):
        shift = 1.0 if bound is gv.nwj else 0.0
        best = float(bound(shift + lr_p, shift + lr_q))
        worse = float(bound(shift + 0.5 * lr_p, shift + 0.5 * lr_q))
        assert worse < best
    # the JS f-GAN bound at the optimal critic exceeds the bound at a shrunk critic
    g = G.jensen_shannon
    t = lambda lr: _derivative(g, jnp.exp(lr))
    best = float(gv.fgan_bound(t(lr_p), t(lr_q), g))
    worse = float(gv.fgan_bound(0.5 * t(lr_p), 0.5 * t(lr_q), g))
    assert 0 < worse < best < math.log(2)


@jax.jit
def _infonce_batch(key, rho):
    b = 512
    kx, ke = jax.random.split(key)
    x = jax.random.normal(kx, (b,))
    y = rho * x + jnp.sqrt(1 - rho**2) * jax.random.normal(ke, (b,))
    # optimal critic up to c(x): log p(x | y) = log p(y | x) / p(y) + log p(x)
    scores = gd.Normal(rho * y[None, :], jnp.sqrt(1 - rho**2)).log_prob(x[:, None])
    return gv.infonce(scores)


def test_infonce_at_the_optimal_critic():
    rho = 0.5
    mi = -0.5 * math.log(1 - rho**2)
    keys = jax.random.split(jax.random.key(2), 8)
    values = np.asarray([_infonce_batch(k, rho) for k in keys])
    # E[InfoNCE] <= I; the gap at the optimal critic is O(1/B)-small for I << log B
    assert np.all(values <= math.log(512))
    assert abs(values.mean() - mi) < 5 * values.std(ddof=1) / math.sqrt(8) + 0.01
    gt.assert_allclose(gv.infonce(jnp.eye(3) * 1e3), np.asarray(math.log(3.0)))


def test_shapes_dtypes_and_errors():
    tp = jnp.ones((5, 2), jnp.float32)
    tq = jnp.zeros((7, 2), jnp.float32)
    for out in (
        gv.donsker_varadhan(tp, tq),
        gv.nwj(tp, tq),
        gv.fgan_bound(tp * 0.1, tq, G.pearson),
    ):
        assert out.shape == (2,) and out.dtype == jnp.float32
    assert gv.infonce(jnp.zeros((4, 3, 3), jnp.float32)).shape == (4,)
    with pytest.raises(ValueError, match="no Fenchel conjugate"):
        gv.fgan_bound(tp, tq, G.triangular)
    with pytest.raises(ValueError, match=r"\[\.\.\., B, B\]"):
        gv.infonce(jnp.zeros((3, 4)))
    with pytest.raises(ValueError, match="leading sample axis"):
        gv.nwj(jnp.float32(1.0), tq)
    # outside the conjugate's domain the bound is -inf
    assert gv.fgan_bound(jnp.ones(2), jnp.ones(2), G.neyman) == -np.inf
