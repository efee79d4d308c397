"""Monte Carlo KL and JS estimators and their gradients.

Oracles: for Gaussians the mean and variance of every estimator are known in closed form
(log r is quadratic in a standard normal; E_p[r^2] = exp(D_2(q||p)), E_p[r log r] = KL(q||p)).
Value checks: |estimate - mean| < 5 sd with the exact sd (normal approximation to a mean of
20 000 terms: false-failure probability about 6e-7 each). Gradient checks: 20 independent
batches, a t statistic (19 degrees of freedom) below 6, false-failure probability about 1e-5 each.
The k3 pitfall (samples held fixed: the gradient of the *reverse* KL) is checked the same way.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given

import gmath.densities as gd
import gmath.divergences as gv
import gmath.testing as gt

_N = 20_000
_M1, _S1, _M2, _S2 = 0.3, 1.3, -0.2, 1.0  # sigma_p > sigma_q: r = q/p is bounded


def _log_ratio_moments(m1, s1, m2, s2):
    """Mean and variance of log r = log q - log p under p (x = m1 + s1 z)."""
    a, b = s1 / s2, (m1 - m2) / s2
    alpha, beta = 0.5 * (1 - a * a), -a * b
    const = -0.5 * b * b + math.log(s1 / s2)
    return alpha + const, 2 * alpha**2 + beta**2


@jax.jit
def _estimates(key, m1, s1, m2, s2):
    p, q = gd.Normal(m1, s1), gd.Normal(m2, s2)
    return [gv.kl_estimate(key, p, q, _N, estimator=e) for e in ("k1", "k2", "k3")]


def test_estimators_match_their_exact_means_and_variances():
    p, q = gd.Normal(_M1, _S1), gd.Normal(_M2, _S2)
    kl, kl_rev = float(gv.kl(p, q)), float(gv.kl(q, p))
    mean_lr, var_lr = _log_ratio_moments(_M1, _S1, _M2, _S2)
    np.testing.assert_allclose(-mean_lr, kl, rtol=1e-12)
    var_k3 = math.exp(float(gv.renyi(q, p, 2.0))) - 1 + var_lr - 2 * (kl + kl_rev)
    # k2 = (log r)^2 / 2: mean (Var + mean^2)/2, variance from the fourth moment of a quadratic
    # form in z, computed here by Gauss-Hermite quadrature (exact for polynomials).
    z, w = np.polynomial.hermite_e.hermegauss(40)
    w = w / w.sum()
    a, b = _S1 / _S2, (_M1 - _M2) / _S2
    lr = -0.5 * (a * z + b) ** 2 + 0.5 * z**2 + math.log(_S1 / _S2)
    k2 = 0.5 * lr**2
    mean_k2, var_k2 = float(w @ k2), float(w @ k2**2 - (w @ k2) ** 2)
    est = _estimates(jax.random.key(1), _M1, _S1, _M2, _S2)
    for e, mean, var in zip(est, (kl, mean_k2, kl), (var_lr, var_k2, var_k3), strict=True):
        sd = math.sqrt(var / _N)
        assert abs(float(e.value) - mean) < 5 * sd
        assert abs(float(e.stderr) / sd - 1) < 0.1  # stderr of a 20 000-sample mean
    # k3 has the smaller variance here
    assert var_k3 < var_lr


@given(p=gt.normals(batch_shape=(3,)), q=gt.normals(batch_shape=(3,)))
def test_k3_is_nonnegative_and_exact_at_equality(p, q):
    est = _K3_SMALL(jax.random.key(0), p, q)
    assert np.all(np.asarray(est.value) >= 0)
    same = _K3_SMALL(jax.random.key(0), p, p)
    np.testing.assert_array_equal(np.asarray(same.value), 0.0)


_K3_SMALL = jax.jit(lambda key, p, q: gv.kl_estimate(key, p, q, 64))


def _batched_grads(estimator, gradient, wrt):
    """Gradients (w.r.t. loc and scale of p, or of q) of 20 independent estimates."""

    def one(key):
        def f(theta):
            if wrt == "p":
                p, q = gd.Normal(theta[0], theta[1]), gd.Normal(_M2, _S2)
            else:
                p, q = gd.Normal(_M1, _S1), gd.Normal(theta[0], theta[1])
            return gv.kl_estimate(key, p, q, 2000, estimator=estimator, gradient=gradient).value

        theta = jnp.array([_M1, _S1]) if wrt == "p" else jnp.array([_M2, _S2])
        return jax.grad(f)(theta)

    keys = jax.random.split(jax.random.key(7), 20)
    return np.asarray(jax.jit(jax.vmap(one))(keys))


def _closed_grad(wrt, reverse=False):
    def f(theta):
        if wrt == "p":
            p, q = gd.Normal(theta[0], theta[1]), gd.Normal(_M2, _S2)
        else:
            p, q = gd.Normal(_M1, _S1), gd.Normal(theta[0], theta[1])
        return gv.kl(q, p) if reverse else gv.kl(p, q)

    theta = jnp.array([_M1, _S1]) if wrt == "p" else jnp.array([_M2, _S2])
    return np.asarray(jax.grad(f)(theta))


def _t_stat(samples, target):
    mean = samples.mean(0)
    se = samples.std(0, ddof=1) / math.sqrt(samples.shape[0])
    return np.abs(mean - target) / se


@pytest.mark.parametrize("estimator", ["k1", "k3"])
@pytest.mark.parametrize("gradient", ["pathwise", "score"])
def test_gradients_are_unbiased(estimator, gradient):
    for wrt in ("p", "q"):
        g = _batched_grads(estimator, gradient, wrt)
        assert np.all(_t_stat(g, _closed_grad(wrt)) < 6), (estimator, gradient, wrt)


def test_k3_with_fixed_samples_gives_the_reverse_kl_gradient():
    # The pitfall: d/dtheta of k3 on samples held fixed estimates grad KL(q || p_theta).
    g = _batched_grads("k3", "stop", "p")
    assert np.all(_t_stat(g, _closed_grad("p", reverse=True)) < 6)
    # ... which is not the gradient of KL(p_theta || q): far outside the band
    assert np.any(_t_stat(g, _closed_grad("p")) > 50)
    # and k1 on fixed samples has mean gradient zero with respect to p
    g1 = _batched_grads("k1", "stop", "p")
    assert np.all(_t_stat(g1, np.zeros(2)) < 6)


def test_score_gradient_for_a_discrete_family():
    logits_q = jnp.array([0.5, -1.0, 0.0])

    def one(key):
        f = lambda l: (
            gv.kl_estimate(
                key,
                gd.Categorical(logits=l),
                gd.Categorical(logits=logits_q),
                2000,
                gradient="score",
            ).value
        )
        return jax.grad(f)(jnp.array([0.2, 0.1, -0.4]))

    g = np.asarray(jax.jit(jax.vmap(one))(jax.random.split(jax.random.key(3), 20)))
    ref = jax.grad(lambda l: gv.kl(gd.Categorical(logits=l), gd.Categorical(logits=logits_q)))(
        jnp.array([0.2, 0.1, -0.4])
    )
    assert np.all(_t_stat(g, np.asarray(ref)) < 6)


_JS = jax.jit(lambda key, p, q: gv.jensen_shannon_estimate(key, p, q, _N))


def test_jensen_shannon_estimate_matches_quadrature():
    import scipy.stats as ss
    from scipy import integrate

    sp, sq = ss.norm(_M1, _S1), ss.norm(_M2, _S2)

    def integrand(x):
        lp, lq = sp.logpdf(x), sq.logpdf(x)
        lm = np.logaddexp(lp, lq) - math.log(2)
        return 0.5 * (math.exp(lp) * (lp - lm) + math.exp(lq) * (lq - lm))

    ref = integrate.quad(integrand, -40, 40, points=(0.0,), epsabs=0, epsrel=1e-12, limit=200)[0]
    est = _JS(jax.random.key(2), gd.Normal(_M1, _S1), gd.Normal(_M2, _S2))
    # terms are bounded above by log 2 and have all moments: the sample stderr is reliable at
    # n = 20 000 (normal approximation, false-failure probability about 6e-7)
    assert abs(float(est.value) - ref) < 5 * float(est.stderr)
    assert 0 <= float(est.value) <= math.log(2)


def test_shapes_dtypes_and_errors():
    p = gd.Normal(jnp.zeros((2, 1)), 1.0)
    q = gd.Normal(jnp.ones(3), 2.0)
    est = gv.kl_estimate(jax.random.key(0), p, q, 10)
    assert est.value.shape == est.stderr.shape == (2, 3)
    p32 = gd.Normal(jnp.float32(0.0), jnp.float32(1.0))
    q32 = gd.Normal(jnp.float32(1.0), jnp.float32(2.0))
    for e in ("k1", "k2", "k3"):
        est = gv.kl_estimate(jax.random.key(0), p32, q32, 10, estimator=e)
        assert est.value.dtype == est.stderr.dtype == jnp.float32
    assert isinstance(est, gv.Estimate)
    with pytest.raises(ValueError, match="estimator must be one of"):
        gv.kl_estimate(jax.random.key(0), p32, q32, 10, estimator="k4")
    with pytest.raises(ValueError, match="gradient must be one of"):
        gv.kl_estimate(jax.random.key(0), p32, q32, 10, gradient="reinforce")


def test_estimators_check_key_and_shapes():
    p, q = gd.Normal(0.0, 1.0), gd.Normal(1.0, 1.0)
    with pytest.raises(TypeError, match=r"kl_estimate: key must be a jax\.random key"):
        gv.kl_estimate(0, p, q, 10)
    with pytest.raises(TypeError, match=r"jensen_shannon_estimate: key must be a jax\.random key"):
        gv.jensen_shannon_estimate(jnp.zeros(3), p, q, 10)
    p2, q3 = gd.Normal(jnp.zeros(2), 1.0), gd.Normal(jnp.zeros(3), 1.0)
    with pytest.raises(ValueError, match=r"kl_estimate: .*batch_shape \(2,\).*\(3,\)"):
        gv.kl_estimate(jax.random.key(0), p2, q3, 10)
    with pytest.raises(ValueError, match="jensen_shannon_estimate: num_samples must be positive"):
        gv.jensen_shannon_estimate(jax.random.key(0), p, q, 0)


def test_estimators_compile_once_per_shape():
    # A first eager kl_estimate used to run about 50 small compilations, and every later call
    # again; now one compilation per shape and static option, none on the second call.
    from _compile import count_compilations

    p, q = gd.Normal(0.0, 1.0), gd.Normal(1.0, 2.0)
    key = jax.random.key(0)
    for fn in (
        lambda: gv.kl_estimate(key, p, q, 100),
        lambda: gv.kl_estimate(key, p, q, num_samples=100, estimator="k1"),
        lambda: gv.jensen_shannon_estimate(key, p, q, 100),
    ):
        first = fn()
        with count_compilations() as count:
            second = fn()
        assert count[0] == 0
        np.testing.assert_array_equal(np.asarray(first.value), np.asarray(second.value))
