"""The GAN-on-mixtures example runs end to end in its fast mode and writes its figure."""

import importlib.util
import math
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _load():
    spec = importlib.util.spec_from_file_location(
        "gan_mixtures", ROOT / "examples" / "gan_mixtures.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fast_mode_runs_and_writes_figure(tmp_path):
    example = _load()
    figure = tmp_path / "gan.png"
    # one of the five solvers (compilation dominates; every solver is covered in test_solvers)
    solvers = ("gda",)
    results = example.run(fast=True, figure=figure, targets=("ring",), solvers=solvers)
    assert figure.exists() and figure.stat().st_size > 0
    assert set(results) == {("ring", s) for s in solvers}
    for m in results.values():
        assert 0 <= m["modes_captured"] <= m["num_modes"] == 8
        assert math.isfinite(m["mmd2"]) and m["mmd2"] >= 0
        assert math.isfinite(m["final_grad_norm"])
