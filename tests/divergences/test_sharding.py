"""Inputs sharded across devices give the same results as unsharded inputs.

Runs a small script in a subprocess with 8 simulated CPU devices
(XLA_FLAGS=--xla_force_host_platform_device_count=8 must be set before JAX initialises) and x64
on: points sharded along the sample axis with jax.sharding, through Sinkhorn (materialised and
tiled, values and gradients), MMD (value and gradient), energy distance and KSD.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np

_SCRIPT = textwrap.dedent(
    """
    import json
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import numpy as np
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
    from gmath.divergences import (
        energy_distance, kernels, ksd_squared, mmd_squared, sinkhorn,
    )

    assert len(jax.devices()) == 8, jax.devices()
    mesh = Mesh(np.array(jax.devices()), ("points",))
    rows = NamedSharding(mesh, P("points", None))
    x = jax.random.normal(jax.random.key(0), (64, 3))
    y = jax.random.normal(jax.random.key(1), (48, 3)) + 0.5

    def fns(x, y):
        dense = lambda x, y: sinkhorn(x, y, epsilon=0.5, tolerance=1e-12).reg_cost
        tiled = lambda x, y: sinkhorn(
            x, y, epsilon=0.5, tolerance=1e-12, materialize=False, block_size=16
        ).transport_cost
        return {
            "sinkhorn": jax.value_and_grad(dense)(x, y),
            "sinkhorn_tiled": jax.value_and_grad(tiled)(x, y),
            "mmd": jax.value_and_grad(
                lambda x: mmd_squared(x, y, kernel=kernels.rbf(bandwidth=1.0))
            )(x),
            "energy": energy_distance(x, y),
            "ksd": ksd_squared(x, lambda v: -v),
        }

    run = jax.jit(fns)
    plain = run(x, y)
    xs, ys = jax.device_put(x, rows), jax.device_put(y, rows)
    assert len(xs.sharding.device_set) == 8
    sharded = run(xs, ys)
    out = {}
    for name in plain:
        a = [np.asarray(v) for v in jax.tree_util.tree_leaves(plain[name])]
        b = [np.asarray(v) for v in jax.tree_util.tree_leaves(sharded[name])]
        out[name] = max(
            float(np.max(np.abs(u - v)) / max(np.max(np.abs(u)), 1e-300)) for u, v in zip(a, b)
        )
    print("RESULT" + json.dumps(out))
    """
)


def test_sharded_inputs_give_unsharded_results():
    env = dict(os.environ)
    env["XLA_FLAGS"] = (
        env.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8"
    ).strip()
    env["JAX_PLATFORMS"] = "cpu"
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")][-1]
    errors = json.loads(line[len("RESULT") :])
    assert set(errors) == {
        "sinkhorn",
        "sinkhorn_tiled",
        "mmd",
        "energy",
        "ksd",
    }
    for name, err in errors.items():
        assert np.isfinite(err) and err < 1e-11, (name, err)
