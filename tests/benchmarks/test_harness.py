"""Smoke test of the benchmark harness (not a measurement: timings are never asserted).

Checks that a case runs end to end (compile, agreement before timing, interleaved timing, ratios,
roofline), that a disagreeing peer is reported and not timed, that missing functions and peers are
skipped with a note, that results round-trip through JSON, that ``--compare-to`` finds a
regression, and that the CLI writes its JSON, Markdown report and plots in smoke mode.
"""

import json
import sys
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import harness, report, results  # noqa: E402
from benchmarks.cli import main  # noqa: E402

TIMING = harness.TimingConfig(min_repeats=2, max_repeats=3, budget_s=0.0, warmup=1)
LIMITS = {"bandwidth_Bps": 1e10, "dtypes": {"float64": {"exps_per_s": 1e9, "flops_per_s": 1e10}}}


def _double(x):
    return 2.0 * x


def _double_wrong(x):
    return 2.0 * x + 1.0


def _case(build, **kw):
    return harness.Case(
        "selftest", "double", 1000, build, dtype="float64", work={"bytes": 16_000}, items=1000, **kw
    )


def _build():
    x = jnp.linspace(0.0, 1.0, 1000, dtype=jnp.float64)
    return [
        harness.Impl("gmath", _double, (x,), role="gmath"),
        harness.Impl("numpy", lambda x: 2.0 * x, (np.asarray(x),), kind="python"),
        harness.Impl("wrong", _double_wrong, (x,)),
        harness.Impl("absent", skip="not installed"),
        harness.Impl("pass", lambda x: x * 2.0 + 1.0, (x,), role="limit"),
    ]


def test_run_case_times_agreeing_impls_and_reports_the_rest():
    rec = harness.run_case(_case(_build), TIMING, LIMITS)
    impls = rec["impls"]
    assert rec["status"] == "ok"
    assert impls["gmath"]["status"] == "ok" and impls["gmath"]["repeats"] >= 2
    assert "compile_s" in impls["gmath"] and "memory" in impls["gmath"]
    assert impls["numpy"]["agreement"]["ok"] and impls["numpy"]["status"] == "ok"
    assert impls["wrong"]["status"] == "disagrees" and "median_s" not in impls["wrong"]
    assert impls["absent"]["status"] == "skipped"
    assert set(rec["ratios"]) == {"numpy", "pass"}
    assert rec["ratios"]["numpy"]["type"] == "speedup"
    assert rec["ratios"]["pass"]["type"] == "time_over_limit"
    assert rec["roofline_fraction"] > 0
    assert impls["gmath"]["roofline"]["resource"] == "memory bandwidth"
    json.dumps(rec)  # JSON-ready


def test_single_call_impls_are_timed_once_on_their_first_call(tmp_path):
    calls = {"gmath": 0, "numpy": 0}

    def counted(name, fn):
        def call(x):
            calls[name] += 1
            return fn(x)

        return call

    def build():
        x = jnp.linspace(0.0, 1.0, 1000, dtype=jnp.float64)
        return [
            harness.Impl("gmath", _double, (x,), role="gmath", single_call=True),
            harness.Impl(
                "numpy",
                counted("numpy", lambda x: 2.0 * x),
                (np.asarray(x),),
                kind="python",
                single_call=True,
            ),
        ]

    rec = harness.run_case(_case(build), TIMING, LIMITS)
    for name in ("gmath", "numpy"):
        r = rec["impls"][name]
        assert r["single_call"] and r["repeats"] == 1
        assert r["median_s"] == r["first_call_s"]
    # the python peer: its one timed call plus the tracemalloc call, no warm-ups or repeats
    assert calls["numpy"] == 2
    assert "numpy" in rec["ratios"]
    assert "| one call |" in report.render_markdown([_run_dict(rec)], [{}], tmp_path)


def test_missing_function_skips_the_case_with_a_note():
    def build():
        harness.require("json", "NoSuchFunction")

    rec = harness.run_case(_case(build), TIMING, LIMITS)
    assert rec["status"] == "skipped"
    assert "json.NoSuchFunction" in rec["notes"][0]
    with pytest.raises(harness.Unavailable, match="not installed"):
        harness.require("no_such_module_for_gmath_benchmarks")


def test_custom_check_and_failing_subject():
    x = jnp.ones(3, dtype=jnp.float64)

    def build():
        return [
            harness.Impl("gmath", _double, (x,), role="gmath"),
            harness.Impl("close", _double, (x,), check=lambda g, o: {"ok": True, "err": 0.0}),
            harness.Impl("far", _double, (x,), check=lambda g, o: {"ok": False, "err": 1.0}),
        ]

    rec = harness.run_case(_case(build), TIMING, LIMITS)
    assert rec["impls"]["close"]["status"] == "ok"
    assert rec["impls"]["far"]["status"] == "disagrees"

    def broken():
        return [harness.Impl("gmath", lambda x: x.no_such_method(), (x,), role="gmath")]

    rec = harness.run_case(_case(broken), TIMING, LIMITS)
    assert rec["status"] == "error"


def test_roofline_bound_picks_the_binding_limit():
    b = harness.roofline_bound({"bytes": 1e10, "exps": 1e8}, LIMITS, "float64")
    assert b["resource"] == "memory bandwidth" and b["seconds"] == pytest.approx(1.0)
    b = harness.roofline_bound({"bytes": 1e6, "exps": 1e10}, LIMITS, "float64")
    assert b["resource"] == "exp throughput" and b["seconds"] == pytest.approx(10.0)


def _run_dict(rec, slug="cpu-test"):
    return {
        "schema": results.SCHEMA,
        "created": "2026-01-01T00:00:00+00:00",
        "mode": "smoke",
        "dtype": "float64",
        "note": "synthetic",
        "device": {"platform": "cpu", "device_kind": "cpu", "host_cpu": "test", "host_cores": 2},
        "slug": slug,
        "versions": {"jax": "x"},
        "git": {"revision": None, "dirty": None},
        "limits": {"bandwidth_Bps": 1e10, "dtypes": {}},
        "cases": [rec],
        "wall_s": 1.0,
    }


def test_compare_flags_regressions_and_report_renders(tmp_path):
    rec = harness.run_case(_case(_build), TIMING, LIMITS)
    old = _run_dict(rec)
    slow = json.loads(json.dumps(rec))
    slow["impls"]["gmath"]["median_s"] *= 3
    slow["ratios"]["numpy"]["value"] /= 3
    lines, n = results.compare(old, _run_dict(slow), threshold=1.25)
    assert n == 2 and any("REGRESSION" in line for line in lines)
    lines, n = results.compare(old, old)
    assert n == 0
    path = results.save(old, tmp_path / "r.json")
    assert results.load(path)["cases"][0]["name"] == "double"
    md = report.write_report([old, _run_dict(rec, slug="gpu-test")], tmp_path / "page.md")
    text = md.read_text()
    assert "selftest" in text and "gpu-test" in text and "Device limits" in text
    assert list(tmp_path.glob("page-*-selftest.png"))


def test_cli_smoke_writes_json_report_and_plots(tmp_path, capsys):
    out = tmp_path / "smoke.json"
    rc = main(
        ["--smoke", "--suite", "densities", "--filter", "normal_log_prob", "--output", str(out)]
    )
    assert rc == 0
    run = results.load(out)
    assert run["mode"] == "smoke" and run["limits"]["bandwidth_Bps"] > 0
    assert {c["name"] for c in run["cases"]} == {"normal_log_prob", "normal_log_prob_f64"}
    gm = run["cases"][0]["impls"]["gmath"]
    assert gm["status"] == "ok", gm
    assert out.with_suffix(".md").exists()
    assert (tmp_path / "smoke-densities.png").exists()
    rc = main(
        [
            "--smoke",
            "--suite",
            "densities",
            "--filter",
            "normal_log_prob_f64",
            "--output",
            str(tmp_path / "again.json"),
            "--no-report",
            "--compare-to",
            str(out),
            "--threshold",
            "1e9",
        ]
    )
    assert rc == 0
    assert "compared to" in capsys.readouterr().err
    assert main(["--list", "--suite", "games"]) == 0


def test_cli_default_output_is_untracked_unless_published(tmp_path, monkeypatch):
    """A user's run writes under results/local/ (git-ignored); --publish writes the committed dir."""
    from benchmarks import cli

    committed, local = tmp_path / "results", tmp_path / "results" / "local"
    monkeypatch.setattr(cli, "RESULTS_DIR", committed)
    monkeypatch.setattr(cli, "LOCAL_RESULTS_DIR", local)
    args = ["--smoke", "--suite", "densities", "--filter", "normal_log_prob_f64", "--no-report"]
    assert main(args) == 0
    assert [p.parent for p in committed.rglob("*.json")] == [local]
    assert main([*args, "--publish"]) == 0
    assert sorted(p.parent for p in committed.rglob("*.json")) == [committed, local]
    ignored = (Path(cli.__file__).parents[1] / ".gitignore").read_text().split()
    assert "benchmarks/results/local/" in ignored
