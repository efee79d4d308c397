"""Every matrix product gmath traces runs at ``Precision.HIGHEST``.

On a GPU (TF32) or TPU (bfloat16 passes) a float32 product at JAX's default precision keeps
about 3 significant digits, which would break the float32 accuracy the other tests assert on the
CPU, where precision settings change nothing. This test therefore checks the traced programs
themselves: in float32, every ``dot_general`` of the public functions below, in their forward
and backward passes, inside loops, conditionals and custom derivatives, carries
``Precision.HIGHEST`` (float64 products, exact on every backend, are not counted). User
callables here contain no products of their own.
"""

import jax
import jax.numpy as jnp
import pytest
from jax import lax
from jax.extend import core as jcore

from gmath import densities as gd
from gmath import divergences as gv
from gmath import games as gg
from gmath import scores as gs


def _dot_precisions(jaxpr, out):
    for eqn in jaxpr.eqns:
        if eqn.primitive.name == "dot_general" and eqn.invars[0].aval.dtype != jnp.float64:
            out.append((eqn.params.get("precision"), str(eqn.source_info.traceback)))
        for value in eqn.params.values():
            for sub in value if isinstance(value, list | tuple) else (value,):
                if isinstance(sub, jcore.ClosedJaxpr):
                    _dot_precisions(sub.jaxpr, out)
                elif isinstance(sub, jcore.Jaxpr):
                    _dot_precisions(sub, out)
    return out


_F32 = jnp.float32
_X = jax.random.normal(jax.random.key(0), (40, 3), _F32)
_Y = jax.random.normal(jax.random.key(1), (30, 3), _F32) + 1
_A = jax.random.normal(jax.random.key(2), (6, 5), _F32)
_L = jnp.tril(jax.random.normal(jax.random.key(3), (4, 4), _F32)) * 0.1 + jnp.eye(4, dtype=_F32)
_F = jax.random.normal(jax.random.key(4), (4, 2), _F32)


def _mvn(loc, tril):
    return gd.MultivariateNormal(loc, scale_tril=tril)


def _lowrank(loc, factor):
    return gd.LowRankMultivariateNormal(loc, factor, jnp.ones(4, _F32))


def _mixture(logits, loc):
    comps = gd.MultivariateNormalDiag(loc, jnp.ones_like(loc))
    return gd.MixtureSameFamily(logits, comps)


CASES = {
    # divergences between samples
    "sinkhorn": (lambda x, y: gv.sinkhorn(x, y, epsilon=0.5).reg_cost, (_X, _Y)),
    "sinkhorn_divergence": (lambda x, y: gv.sinkhorn_divergence(x, y, epsilon=0.5), (_X, _Y)),
    "mmd_squared": (
        lambda x, y: gv.mmd_squared(x, y, kernel=gv.kernels.rbf(bandwidth=1.0)),
        (_X, _Y),
    ),
    "mmd_linear_kernel": (lambda x, y: gv.mmd_squared(x, y, kernel=gv.kernels.linear()), (_X, _Y)),
    "ksd_squared": (lambda x: gv.ksd_squared(x, lambda z: -z, kernel=gv.kernels.imq()), (_X,)),
    "frechet_distance_squared": (gv.frechet_distance_squared, (_X, _Y)),
    "sliced_wasserstein": (
        lambda x, y: gv.sliced_wasserstein(jax.random.key(5), x, y, num_projections=8),
        (_X, _Y),
    ),
    "precision_recall": (lambda x, y: gv.precision_recall(x, y, k=3).precision, (_X, _Y)),
    "mmd_test": (
        lambda x, y: (
            gv.mmd_test(
                jax.random.key(7), x, y, kernel=gv.kernels.rbf(bandwidth=1.0), num_permutations=5
            ).null_statistics
        ),
        (_X, _Y),
    ),
    # Gaussians
    "mvn_sample": (
        lambda t: _mvn(jnp.zeros(4, _F32), t).sample(jax.random.key(8), sample_shape=(5,)),
        (_L,),
    ),
    "lowrank_sample": (
        lambda f: _lowrank(jnp.zeros(4, _F32), f).sample(jax.random.key(9), sample_shape=(5,)),
        (_F,),
    ),
    "wasserstein_gaussian_squared": (
        lambda t1, t2: gv.wasserstein_gaussian_squared(
            _mvn(jnp.zeros(4, _F32), t1), _mvn(t2[0], t2)
        ),
        (_L, 2 * _L),
    ),
    "kl_mvn": (lambda t1, t2: gv.kl(_mvn(jnp.zeros(4, _F32), t1), _mvn(t2[0], t2)), (_L, 2 * _L)),
    "kl_lowrank": (
        lambda f1, f2: gv.kl(_lowrank(jnp.zeros(4, _F32), f1), _lowrank(f2[:, 0], f2)),
        (_F, 2 * _F),
    ),
    "renyi_mvn": (
        lambda t1, t2: gv.renyi(_mvn(jnp.zeros(4, _F32), t1), _mvn(t2[0], t2), 0.5),
        (_L, 2 * _L),
    ),
    "exponential_family_kl_mvn": (
        lambda t1, t2: gv.exponential_family_kl(_mvn(jnp.zeros(4, _F32), t1), _mvn(t2[0], t2)),
        (_L, 2 * _L),
    ),
    "mvn_log_prob": (lambda t, x: _mvn(jnp.zeros(4, _F32), t).log_prob(x), (_L, _X[:, :2] @ _F.T)),
    "lowrank_log_prob": (
        lambda f, x: _lowrank(jnp.zeros(4, _F32), f).log_prob(x),
        (_F, _X[:, :2] @ _F.T),
    ),
    "mixture_kl_bounds": (
        lambda l1, l2: gv.kl_bounds(_mixture(l1, _A[:, :4]), _mixture(l2, _A[:, 1:])),
        (_A[:, 0], _A[:, 1]),
    ),
    # matrix games
    "solve_matrix_game": (lambda a: gg.solve_matrix_game(a).value, (_A,)),
    "solve_matrix_game_extragradient": (
        lambda a: gg.solve_matrix_game(a, method="extragradient", max_iterations=200).value,
        (_A,),
    ),
    "duality_gap": (
        lambda a: gg.duality_gap(a, jnp.ones(6, _F32) / 6, jnp.ones(5, _F32) / 5),
        (_A,),
    ),
    "matrix_game_value": (gg.matrix_game_value, (_A,)),
    "logit_equilibrium": (
        lambda a: gg.logit_equilibrium(a, temperature=0.5, max_iterations=200)[0],
        (_A,),
    ),
    "play_matrix_game": (lambda a: gg.play_matrix_game(a, num_steps=20)[0], (_A,)),
    "exploitability": (
        lambda a, x, y: gg.exploitability(jnp.stack([a, -a]), [x, y]),
        (_A, jnp.ones(6, _F32) / 6, jnp.ones(5, _F32) / 5),
    ),
    # scores
    "hutchpp_jacobian_trace": (
        lambda x: gs.jacobian_trace_estimate(
            jax.random.key(6), jnp.tanh, x, method="hutch++", num_probes=6
        ),
        (_X[0],),
    ),
}


# equilibria found by loops with a data-dependent length: no reverse-mode derivative (the game's
# value, matrix_game_value, has one)
_FORWARD_ONLY = {"solve_matrix_game", "solve_matrix_game_extragradient"}


@pytest.mark.parametrize(
    ("name", "mode"),
    [(name, "forward") for name in sorted(CASES)]
    + [(name, "backward") for name in sorted(CASES) if name not in _FORWARD_ONLY],
)
def test_every_matrix_product_is_highest_precision(name, mode):
    fn, args = CASES[name]
    if mode == "backward":
        forward = fn
        fn = jax.grad(
            lambda *a: jnp.sum(jnp.asarray(forward(*a), _F32)), argnums=tuple(range(len(args)))
        )
    with jax.enable_x64(False):
        jaxpr = jax.make_jaxpr(fn)(*args)
    dots = _dot_precisions(jaxpr.jaxpr, [])
    loose = [tb for p, tb in dots if p != (lax.Precision.HIGHEST, lax.Precision.HIGHEST)]
    assert not loose, f"{len(loose)} of {len(dots)} products below HIGHEST, first at:\n{loose[0]}"
