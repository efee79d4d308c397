"""Command line: ``python -m benchmarks [--quick|--full] [--suite S ...] [--device D] [--dtype T]``.

Examples::

    python -m benchmarks                       # quick, every suite (what `make bench` runs)
    python -m benchmarks --full --device gpu   # GPU scales (needs jax[cuda12])
    python -m benchmarks --suite densities samples --filter sinkhorn
    python -m benchmarks --compare-to benchmarks/results/cpu-2core-x86_64-quick.json
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import os
import shutil
import sys
import time
from pathlib import Path

from benchmarks import SUITE_NAMES

RESULTS_DIR = Path(__file__).resolve().parent / "results"
LOCAL_RESULTS_DIR = RESULTS_DIR / "local"  # untracked (.gitignore)


# jaxlib 0.10.2 on CPU: two independent batched LAPACK calls in one computation can deadlock
# (each waits in its parallel batch map for threads of the same intra-op pool; reliably with 2
# cores, e.g. the batched MVN KL). XLA's concurrency-optimised scheduler off avoids it; the flag
# is recorded with the results (``xla_flags``).
_NO_DEADLOCK = "--xla_cpu_enable_concurrency_optimized_scheduler=false"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="gmath benchmarks: gmath beside its peers and the device's limits, in one run.",
    )
    m = p.add_mutually_exclusive_group()
    m.add_argument(
        "--quick",
        dest="mode",
        action="store_const",
        const="quick",
        help="sizes for a 2-core CPU, all suites in under 5 minutes (default)",
    )
    m.add_argument(
        "--full",
        dest="mode",
        action="store_const",
        const="full",
        help="the scales a user runs on one GPU (10^8 densities, 10^5-point Sinkhorn/MMD, "
        "10^4 games)",
    )
    m.add_argument(
        "--smoke",
        dest="mode",
        action="store_const",
        const="smoke",
        help="tiny sizes, one repeat: checks the harness runs (not a measurement)",
    )
    p.set_defaults(mode="quick")
    p.add_argument(
        "--suite",
        nargs="+",
        choices=SUITE_NAMES,
        default=list(SUITE_NAMES),
        metavar="SUITE",
        help=f"suites to run (default: all of {', '.join(SUITE_NAMES)})",
    )
    p.add_argument("--filter", default=None, help="run only cases whose name contains this text")
    p.add_argument(
        "--max-size",
        type=int,
        default=None,
        metavar="N",
        help="skip cases whose size exceeds N (e.g. a --full sweep on a CPU up to 10^4 points)",
    )
    p.add_argument(
        "--device",
        default=None,
        choices=["cpu", "gpu", "cuda", "rocm", "tpu"],
        help="JAX platform to run on (default: JAX's default device)",
    )
    p.add_argument(
        "--dtype",
        default="float32",
        choices=["float32", "float64"],
        help="dtype of the workloads (cases defined in float64, e.g. beside scipy, stay so)",
    )
    p.add_argument(
        "--output",
        default=None,
        help="results JSON path (default: benchmarks/results/local/<device>-<mode>.json, "
        "untracked; with --publish, benchmarks/results/<device>-<mode>.json)",
    )
    p.add_argument(
        "--publish",
        action="store_true",
        help="write to the committed benchmarks/results/ instead of the untracked "
        "benchmarks/results/local/ (for results meant to be committed)",
    )
    p.add_argument(
        "--compare-to",
        default=None,
        metavar="OLD.json",
        help="print regressions against an earlier results file (exit status 3 if any)",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=1.25,
        help="regression threshold for --compare-to (ratio, default 1.25)",
    )
    p.add_argument("--note", default=None, help="free text stored with the results (e.g. load)")
    p.add_argument(
        "--no-report", action="store_true", help="write only the JSON (no Markdown/plots)"
    )
    p.add_argument(
        "--no-plots", action="store_true", help="write the Markdown report without plots"
    )
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    return p


class _Progress:
    """A one-line progress bar on a terminal; plain lines otherwise."""

    def __init__(self, total: int, stream=sys.stderr):
        self.total, self.stream, self.t0 = total, stream, time.perf_counter()
        self.tty = stream.isatty()
        self.width = shutil.get_terminal_size((100, 20)).columns

    def _elapsed(self) -> str:
        s = int(time.perf_counter() - self.t0)
        return f"{s // 60}:{s % 60:02d}"

    def status(self, i: int, label: str, what: str) -> None:
        if not self.tty:
            return
        n = 20
        done = int(n * i / max(self.total, 1))
        line = (
            f"[{'#' * done}{'.' * (n - done)}] {i}/{self.total} {self._elapsed()} {label}: {what}"
        )
        self.stream.write("\r" + line[: self.width - 1].ljust(self.width - 1))
        self.stream.flush()

    def done(self, i: int, line: str) -> None:
        if self.tty:
            self.stream.write("\r" + " " * (self.width - 1) + "\r")
        self.stream.write(f"[{i:>3}/{self.total} {self._elapsed():>5}] {line}\n")
        self.stream.flush()


def _fmt_time(s) -> str:
    if s is None:
        return "-"
    for unit, f in (("s", 1), ("ms", 1e-3), ("us", 1e-6)):
        if s >= f:
            return f"{s / f:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def _fmt_size(n) -> str:
    if isinstance(n, int) and n >= 1000:
        e = len(str(n)) - 1
        if n == 10**e:
            return f"10^{e}"
    return str(n)


def case_line(rec: dict) -> str:
    head = f"{rec['suite']}/{rec['name']} {rec['size_label']}={_fmt_size(rec['size'])}"
    if rec["status"] != "ok":
        return f"{head}: {rec['status']} ({'; '.join(rec['notes'])[:160]})"
    g = next((r for r in rec["impls"].values() if r["role"] == "gmath"), {})
    parts = [f"gmath {_fmt_time(g.get('median_s'))} ±{100 * g.get('spread', 0):.0f}%"]
    for name, ratio in rec["ratios"].items():
        if ratio["type"] == "speedup":
            parts.append(
                f"{ratio['value']:.2f}x faster than {name}"
                if ratio["value"] >= 1
                else f"{1 / ratio['value']:.2f}x slower than {name}"
            )
        else:
            parts.append(f"{ratio['value']:.2f}x the {name}")
    for name, r in rec["impls"].items():
        if r["status"] in ("disagrees", "error", "skipped"):
            parts.append(f"{name}: {r['status']}")
    if "roofline_fraction" in rec:
        parts.append(f"{100 * rec['roofline_fraction']:.0f}% of roofline")
    return f"{head}: " + ", ".join(parts)


def summary_table(cases: list[dict]) -> str:
    rows = [("case", "size", "gmath", "compile", "vs peers (speed-up)", "vs limit", "roofline")]
    for c in cases:
        g = next((r for r in c["impls"].values() if r["role"] == "gmath"), {})
        peers = ", ".join(
            f"{k} {v['value']:.2f}x" for k, v in c["ratios"].items() if v["type"] == "speedup"
        )
        lim = ", ".join(
            f"{v['value']:.2f}x" for k, v in c["ratios"].items() if v["type"] == "time_over_limit"
        )
        roof = f"{100 * c['roofline_fraction']:.0f}%" if "roofline_fraction" in c else ""
        status = c["status"] if c["status"] != "ok" else _fmt_time(g.get("median_s"))
        rows.append(
            (
                f"{c['suite']}/{c['name']}",
                f"{c['size_label']}={_fmt_size(c['size'])}",
                status,
                _fmt_time(g.get("compile_s")),
                peers or "-",
                lim or "-",
                roof,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    fmt = lambda r: "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True))
    return "\n".join([fmt(rows[0]), fmt(tuple("-" * w for w in widths)), *map(fmt, rows[1:])])


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.device and "jax" not in sys.modules:
        os.environ["JAX_PLATFORMS"] = {"gpu": "cuda"}.get(args.device, args.device)
    if "jax" not in sys.modules:
        from gmath._xla_flags import add_xla_flag  # loads no jax

        add_xla_flag(_NO_DEADLOCK)  # only if this jaxlib knows it: XLA aborts on unknown flags
    import jax

    # 64-bit types are switched on per case (float64 cases only), as users run float32 code
    if args.device:
        platform = {"gpu": "cuda"}.get(args.device, args.device)
        try:
            jax.config.update("jax_default_device", jax.devices(platform)[0])
        except RuntimeError as e:
            print(f"error: no {args.device} device: {e}", file=sys.stderr)
            return 2

    from benchmarks import environment, limits, report, results
    from benchmarks.harness import TimingConfig, recompute_roofline, run_case
    from benchmarks.suites import load_cases

    cases = load_cases(args.suite, args.mode, args.dtype)
    if args.filter:
        cases = [c for c in cases if args.filter in c.name]
    if args.max_size is not None:
        cases = [c for c in cases if c.size <= args.max_size]
    if args.list:
        for c in cases:
            print(f"{c.suite}/{c.name} {c.size_label}={_fmt_size(c.size)}  {c.title}")
        return 0

    timing = {
        "smoke": TimingConfig(min_repeats=1, max_repeats=1, budget_s=0.0, warmup=1),
        "quick": TimingConfig(min_repeats=7, max_repeats=40, budget_s=1.0, warmup=2),
        "full": TimingConfig(min_repeats=10, max_repeats=100, budget_s=2.0, warmup=3),
    }[args.mode]
    t_start = time.perf_counter()
    info = environment.device_info()
    slug = environment.device_slug(info)
    on_accel = info["platform"] != "cpu"
    print(
        f"gmath benchmarks ({args.mode}, {args.dtype}) on {slug}: {info['device_kind']}"
        f" / {info['host_cpu']}",
        file=sys.stderr,
    )
    print("measuring device limits...", file=sys.stderr)
    limit_args = dict(
        bandwidth_n={"smoke": 2**16, "quick": 2**24, "full": 2**27 if on_accel else 2**25}[
            args.mode
        ],
        exp_n={"smoke": 256, "quick": 2048, "full": 8192 if on_accel else 4096}[args.mode],
        matmul_n={"smoke": 128, "quick": 1024, "full": 8192 if on_accel else 2048}[args.mode],
        dtypes=sorted({args.dtype, "float32", "float64"}),
        repeats=1 if args.mode == "smoke" else 5,
    )
    lim = limits.measure_limits(**limit_args)
    f32 = lim["dtypes"]["float32"]
    print(
        f"  bandwidth {lim['bandwidth_Bps'] / 1e9:.1f} GB/s (fresh output: "
        f"{lim['fresh_output_pass_Bps'] / 1e9:.1f} GB/s), exp {f32['exps_per_s'] / 1e9:.2f} G/s, "
        f"matmul {f32['flops_per_s'] / 1e9:.1f} GFLOP/s (float32)",
        file=sys.stderr,
    )

    progress = _Progress(len(cases))
    records: list[results.CaseRecord] = []
    note = args.note
    try:
        for i, case in enumerate(cases, 1):
            label = f"{case.suite}/{case.name} {case.size_label}={_fmt_size(case.size)}"
            progress.status(i - 1, label, "building")
            rec = run_case(
                case,
                timing,
                lim,
                log=lambda what, label=label, i=i: progress.status(i - 1, label, what),
            )
            records.append(rec)
            progress.done(i, case_line(rec))
    except KeyboardInterrupt:  # Ctrl-C, or `timeout --signal=INT`: keep what was measured
        stopped = f"Interrupted after {len(records)} of {len(cases)} cases."
        note = f"{note} {stopped}" if note else stopped
        print(f"\n{stopped} Writing the results so far.", file=sys.stderr)

    if args.mode != "smoke" and len(records) == len(cases):
        # measured again at the end: on a shared machine a limit measured once under load would
        # understate the device; the best of the two is kept and the fractions redone with it
        print("measuring device limits again...", file=sys.stderr)
        lim = limits.best_of(lim, limits.measure_limits(**limit_args))
        for rec in records:
            recompute_roofline(rec, lim)

    run: results.RunRecord = {
        "schema": results.SCHEMA,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "mode": args.mode,
        "dtype": args.dtype,
        "note": note,
        "max_size": args.max_size,
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "suites": list(args.suite),
        "device": info,
        "slug": slug,
        "versions": environment.versions(),
        "git": environment.git_revision(),
        "timing": dataclasses.asdict(timing),
        "limits": lim,
        "cases": records,
        "wall_s": time.perf_counter() - t_start,
    }
    default_name = f"{slug}-{args.mode}" + (f"-max{args.max_size:g}" if args.max_size else "")
    if args.output:
        out = Path(args.output)
    else:  # a user's run never overwrites the committed results unless asked (--publish)
        out = (RESULTS_DIR if args.publish else LOCAL_RESULTS_DIR) / f"{default_name}.json"
    results.save(run, out)
    print("\n" + summary_table(records), file=sys.stderr)
    print(f"\nresults: {out}", file=sys.stderr)
    if not args.no_report:
        md = report.write_report(run, out.with_suffix(".md"), plots=not args.no_plots)
        print(f"report:  {md}", file=sys.stderr)
    print(f"total {time.perf_counter() - t_start:.0f} s", file=sys.stderr)

    if args.compare_to:
        lines, n_reg = results.compare(results.load(args.compare_to), run, threshold=args.threshold)
        print(f"\ncompared to {args.compare_to}:", file=sys.stderr)
        for line in lines:
            print("  " + line, file=sys.stderr)
        if n_reg:
            return 3
    return 0
