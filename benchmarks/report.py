"""Markdown report and PNG plots from results files.

Usage::

    python -m benchmarks.report RESULTS.json [MORE.json ...] [-o PAGE.md] [--no-plots]

One results file gives one device's report; several (a CPU run and a GPU run, say) give one page
with a section per device, which is how the docs' performance page is generated from the committed
results::

    python -m benchmarks.report benchmarks/results/*.json -o docs/performance.md

Plots (``<page stem>-<slug>-<suite>.png`` beside the page): time against size on log-log axes, one
line per implementation (median, with the interquartile range as error bars) and the roofline (the
fastest time the device's measured bandwidth, exp or FLOP throughput allows) drawn dashed.
"""

from __future__ import annotations

import argparse
import os
from collections import defaultdict
from pathlib import Path

from benchmarks.results import load

__all__ = ["main", "make_plots", "render_markdown", "write_report"]

_READING = (
    "**How to read.** Every figure comes from one run on the named device, all implementations "
    "side by side. Times are medians of the steady state after compilation "
    '(`block_until_ready`); spread is the interquartile range over the median ("one call": a '
    "size where a single call takes minutes is timed once, on the first call after the "
    "ahead-of-time compilation); compile time is reported apart. *Speed-up* = peer time / gmath time (above 1: gmath is faster). "
    "*× limit* = gmath time / time of the same-size elementwise pass `x*2+1` (1 is the "
    "memory-bandwidth floor for a function that reads its input and writes a fresh output). "
    "*Roofline* = the fastest time the device's measured memory bandwidth, exp or FLOP "
    "throughput allows for the case's work, over the measured time (100% is the device's limit). "
    "Peers are checked for agreement with gmath before timing; a peer that disagrees is not timed. "
    "*Agreement* shows the largest relative difference from gmath's output, each value measured "
    "against max(|gmath's value|, atol / rtol) so that values near zero do not inflate it."
)


def _t(s) -> str:
    if s is None:
        return "–"
    for unit, f in (("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= f:
            return f"{s / f:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def _bytes(b) -> str:
    if b is None:
        return "–"
    for unit, f in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= f:
            return f"{b / f:.3g} {unit}"
    return f"{int(b)} B"


def _size(n) -> str:
    if isinstance(n, int) and n >= 1000 and n == 10 ** (len(str(n)) - 1):
        return f"10^{len(str(n)) - 1}"
    return f"{n:,}" if isinstance(n, int) else str(n)


def _rate(x, unit) -> str:
    if not x:
        return "–"
    for p, f in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= f:
            return f"{x / f:.3g} {p}{unit}"
    return f"{x:.3g} {unit}"


def _roof(frac) -> str:
    """Roofline fraction as a percentage; a dagger above 100% (the limit was under-measured)."""
    if not frac:
        return "–"
    return f"{100 * frac:.0f}%" + ("†" if frac > 1.0 else "")


_DAGGER = (
    "† Above 100%: this case ran faster than the limit measured in the same run, which happens "
    "when the machine was busier while the limit was measured (or the case's data stayed in cache); "
    "read it as 'at the limit'."
)


def _speedup(v: float) -> str:
    if abs(v - 1.0) < 0.05:
        return f"{v:.2f}x (even)"
    return f"**{v:.2f}x**" if v > 1 else f"{v:.2f}x (slower)"


def _agreement_text(agr) -> str:
    """``✓ 1.2e-07`` (largest relative error) or ``✗ reason``."""
    if agr is None:
        return "–"
    mark = "✓" if agr.get("ok") else "✗"
    if "max_rel_err" in agr:
        return f"{mark} {agr['max_rel_err']:.1e}"
    if "reason" in agr:
        return f"{mark} {agr['reason']}"
    figs = [
        f"{k.replace('_', ' ')} {v:.1e}" if isinstance(v, float) else f"{k.replace('_', ' ')} {v}"
        for k, v in agr.items()
        if k != "ok" and isinstance(v, int | float) and not isinstance(v, bool)
    ]
    return f"{mark} {', '.join(figs)}".strip()


def _gmath(case):
    return next((r for r in case["impls"].values() if r.get("role") == "gmath"), {})


def _is_family(case) -> bool:
    """A per-family case (``params["family"]``): rendered together, one row per family."""
    return "family" in (case.get("params") or {})


def _family_rows(cases) -> list[dict]:
    """For each family (in run order), its case at the largest size that ran."""
    best: dict[str, dict] = {}
    for c in cases:
        fam = c["params"]["family"]
        if fam not in best or (c["status"] == "ok", c["size"]) > (
            best[fam]["status"] == "ok",
            best[fam]["size"],
        ):
            best[fam] = c
    return list(best.values())


def _family_speedup(case):
    """``(peer name, speed-up)`` of the first peer with a ratio, or ``(None, None)``."""
    for name, r in case.get("ratios", {}).items():
        if r["type"] == "speedup":
            return name, r["value"]
    return None, None


def _groups(run):
    groups = defaultdict(list)
    for c in run["cases"]:
        groups[(c["suite"], c["name"], c["dtype"])].append(c)
    return groups


# ----------------------------------------------------------------------------- plots
def make_plots(run: dict, out_dir, stem: str) -> dict[str, Path]:
    """One PNG per suite; returns ``{suite: path}`` (empty when matplotlib is missing)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception:
        return {}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    by_suite = defaultdict(list)
    families = defaultdict(list)
    for (suite, _name, _dt), cs in _groups(run).items():
        if all(_is_family(c) for c in cs):
            families[suite] += [c for c in cs if c["status"] == "ok"]
        elif any(c["status"] == "ok" for c in cs):
            by_suite[suite].append(sorted(cs, key=lambda c: c["size"]))
    paths = {}
    for suite in list(by_suite) + [s for s in families if s not in by_suite]:
        groups = by_suite.get(suite, [])
        fam = _family_rows(families[suite]) if families.get(suite) else []
        k = len(groups) + (1 if fam else 0)
        cols = min(k, 3)
        rows = (k + cols - 1) // cols
        fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 4.0 * rows), squeeze=False)
        if fam:
            _family_bars(list(axes.flat)[len(groups)], fam)
        for ax, cs in zip(axes.flat, groups, strict=False):
            names = []
            for c in cs:
                for n in c["impls"]:
                    if n not in names:
                        names.append(n)
            for n in names:
                pts = [
                    (c["size"], c["impls"][n]) for c in cs if c["impls"].get(n, {}).get("median_s")
                ]
                if not pts:
                    continue
                xs = [p[0] for p in pts]
                ys = [p[1]["median_s"] for p in pts]
                lo = [max(y - p[1].get("q25_s", y), 0) for y, p in zip(ys, pts, strict=True)]
                hi = [max(p[1].get("q75_s", y) - y, 0) for y, p in zip(ys, pts, strict=True)]
                role = pts[0][1].get("role")
                style = {
                    "gmath": dict(lw=2.4, color="C3", zorder=5),
                    "limit": dict(ls=":", color="0.45"),
                }.get(role, {})
                ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", ms=4, capsize=2, label=n, **style)
            roof = [(c["size"], _gmath(c).get("roofline", {}).get("seconds")) for c in cs]
            roof = [(x, y) for x, y in roof if y]
            if roof:
                ax.plot(
                    [p[0] for p in roof],
                    [p[1] for p in roof],
                    "k--",
                    lw=1.2,
                    marker="_",
                    ms=18,
                    mew=1.6,
                    label=f"roofline ({_gmath(cs[-1]).get('roofline', {}).get('resource', '')})",
                )
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel(cs[0]["size_label"])
            ax.set_ylabel("time per call (s)")
            ax.set_title(f"{cs[0]['title']}", fontsize=9)
            ax.grid(True, which="both", alpha=0.25)
            ax.legend(fontsize=7)
        for ax in list(axes.flat)[k:]:
            ax.set_visible(False)
        fig.suptitle(
            f"gmath {suite} — {run['device']['device_kind']} ({run['slug']}, {run['mode']})",
            fontsize=11,
        )
        fig.tight_layout()
        path = out_dir / f"{stem}-{suite}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths[suite] = path
    return paths


def _family_bars(ax, cases) -> None:
    """Horizontal bars: each family's speed-up against its peer (log scale, 1 = even)."""
    rows = [(c["params"]["family"], *_family_speedup(c)) for c in cases]
    rows = [r for r in rows if r[2]]
    if not rows:
        ax.set_visible(False)
        return
    names = [r[0] for r in rows]
    values = [r[2] for r in rows]
    colors = ["C2" if v >= 0.95 else "C3" for v in values]
    # bars from 1 (even) to the speed-up: right of the line gmath is faster, left it is slower
    ax.barh(
        range(len(rows)),
        [abs(v - 1.0) for v in values],
        left=[min(v, 1.0) for v in values],
        color=colors,
    )
    ax.set_yticks(range(len(rows)), names, fontsize=6)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.axvline(1.0, color="k", lw=1)
    ax.set_xlabel(f"speed-up vs {rows[0][1]} (> 1: gmath faster)")
    sizes = sorted({_size(c["size"]) for c in cases})
    ax.set_title(f"log_prob of every family, n = {', '.join(sizes)}", fontsize=9)
    ax.grid(True, axis="x", which="both", alpha=0.25)


# ----------------------------------------------------------------------------- markdown
def _device_section(run: dict, plots: dict[str, Path], page_dir: Path, level: int = 2) -> list[str]:
    h = "#" * level
    d, v, g = run["device"], run["versions"], run.get("git", {})
    rev = (g.get("revision") or "unknown")[:10] + (
        " (uncommitted changes)" if g.get("dirty") else ""
    )
    out = [
        f"{h} {d['device_kind']} — `{run['slug']}`, {run['mode']} mode, {run['dtype']}",
        "",
        f"Measured {run['created']} at git revision `{rev}`; jax {v.get('jax')}, "
        f"gmath {v.get('gmath')}; host CPU: {d.get('host_cpu')} ({d.get('host_cores')} cores). "
        f"Whole run: {run.get('wall_s', 0):.0f} s.",
        "",
    ]
    if run.get("note"):
        out += [f"> **Note.** {run['note']}", ""]
    lim = run.get("limits", {})
    f32 = lim.get("dtypes", {}).get("float32", {})
    f64 = lim.get("dtypes", {}).get("float64", {})
    out += [
        f"{h}# Device limits (measured in this run)",
        "",
        "| memory bandwidth | fresh-output pass | exp float32 | exp float64 | matmul float32 | matmul float64 |",
        "|---|---|---|---|---|---|",
        f"| {_rate(lim.get('bandwidth_Bps'), 'B/s')} | {_rate(lim.get('fresh_output_pass_Bps'), 'B/s')} "
        f"| {_rate(f32.get('exps_per_s'), 'exp/s')} | {_rate(f64.get('exps_per_s'), 'exp/s')} "
        f"| {_rate(f32.get('flops_per_s'), 'FLOP/s')} | {_rate(f64.get('flops_per_s'), 'FLOP/s')} |",
        "",
        "Bandwidth: donated `x*0.5+1` pass (read + write). Fresh-output pass: the same without "
        "donation, which allocates its output as any function returning a new array does. exp: "
        "`sum(exp(a[:,None] - b[None,:]))`, fused. Matmul: square product, 2n³ FLOPs.",
        "",
        f"{h}# Headlines",
        "",
        "| workload | size | gmath | speed-up vs peers | × limit | roofline | peak memory |",
        "|---|---|---|---|---|---|---|",
    ]
    groups = _groups(run)
    fam_cases = defaultdict(list)
    for (suite, _name, _dt), cs in groups.items():
        if all(_is_family(c) for c in cs):
            fam_cases[suite] += cs
    headlined = set()
    for (suite, _name, _dt), cs in groups.items():
        if all(_is_family(c) for c in cs):
            if suite not in headlined:  # one row for all the families, where the first one is
                headlined.add(suite)
                out.append(_family_headline(_family_rows(fam_cases[suite])))
            continue
        ok = [c for c in cs if c["status"] == "ok"]
        if not ok:
            c = cs[-1]
            out.append(
                f"| {c['title']} | – | {c['status']}: {'; '.join(c['notes'])[:140]} | | | | |"
            )
            continue
        c = max(ok, key=lambda c: c["size"])
        gm = _gmath(c)
        peers = ", ".join(
            f"{k} {_speedup(r['value'])}" for k, r in c["ratios"].items() if r["type"] == "speedup"
        )
        bad = [
            f"{k} {r['status']}"
            for k, r in c["impls"].items()
            if r.get("role") == "peer" and r["status"] in ("disagrees", "error")
        ]
        lim_ = ", ".join(
            f"{r['value']:.2f}x" for r in c["ratios"].values() if r["type"] == "time_over_limit"
        )
        roof = _roof(c.get("roofline_fraction"))
        mems = [
            f"{k} {_bytes(r['memory']['peak_bytes'])}"
            for k, r in c["impls"].items()
            if r.get("role") in ("gmath", "peer") and r.get("memory", {}).get("peak_bytes")
        ]
        out.append(
            f"| {c['title']} | {c['size_label']} = {_size(c['size'])} | {_t(gm.get('median_s'))} "
            f"| {', '.join([p for p in [peers, *bad] if p]) or '–'} | {lim_ or '–'} | {roof} "
            f"| {'; '.join(mems) or '–'} |"
        )
    out.append("")

    suites = []
    for suite, _n, _d in groups:
        if suite not in suites:
            suites.append(suite)
    for suite in suites:
        out += [f"{h}# {suite}", ""]
        if suite in plots:
            rel = os.path.relpath(plots[suite], page_dir)
            out += [f"![{suite}: time against size]({rel})", ""]
        if fam_cases.get(suite):
            out += _family_table(_family_rows(fam_cases[suite]))
        for (s, _name, _dt), cs in groups.items():
            if s != suite or all(_is_family(c) for c in cs):
                continue
            out += [f"**{cs[0]['title']}**", ""]
            if all(c["status"] == "skipped" for c in cs):
                out += [f"Skipped: {'; '.join(cs[0]['notes'])}", ""]
                continue
            out += [
                "| size | implementation | median | spread | compile | peak memory | speed-up / × limit | roofline | agreement |",
                "|---|---|---|---|---|---|---|---|---|",
            ]
            notes = []
            for c in sorted(cs, key=lambda c: c["size"]):
                for name, r in c["impls"].items():
                    ratio = c["ratios"].get(name)
                    rtxt = (
                        "–"
                        if not ratio
                        else _speedup(ratio["value"])
                        if ratio["type"] == "speedup"
                        else f"{ratio['value']:.2f}x"
                    )
                    roof = r.get("roofline", {}).get("fraction")
                    agr = r.get("agreement")
                    atxt = _agreement_text(agr)
                    comp = r.get("compile_s", r.get("warmup_overhead_s"))
                    med = _t(r.get("median_s")) if r["status"] == "ok" else r["status"]
                    mem = r.get("memory", {}).get("peak_bytes")
                    if r.get("throughput_per_s") and r["status"] == "ok":
                        med += (
                            f" ({_rate(r['throughput_per_s'], c.get('items_label') or 'items')}/s)"
                        )
                    extra = r.get("extra")
                    if extra:
                        med += (
                            " ("
                            + ", ".join(
                                f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
                                for k, v in extra.items()
                            )
                            + ")"
                        )
                    spread = (
                        "one call" if r.get("single_call") else f"{100 * r.get('spread', 0):.0f}%"
                    )
                    out.append(
                        f"| {_size(c['size'])} | {name}{' (gmath)' if r.get('role') == 'gmath' and name != 'gmath' else ''} "
                        f"| {med} | {spread} | {_t(comp)} | {_bytes(mem)} | {rtxt} "
                        f"| {_roof(roof)} | {atxt} |"
                        if "spread" in r
                        else f"| {_size(c['size'])} | {name} | {med} | – | {_t(comp)} | {_bytes(mem)} | – | – | {atxt} |"
                    )
                    if r.get("note"):
                        state = "" if r["status"] == "ok" else f"{r['status']}: "
                        notes.append(f"{name}: {state}{r['note']}")
                for n in c["notes"]:
                    notes.append(f"{c['size_label']} = {_size(c['size'])}: {n}")
            out.append("")
            if notes:
                out += [f"- {n}" for n in dict.fromkeys(notes)] + [""]
    if any(
        (r.get("roofline") or {}).get("fraction", 0) > 1.0
        for c in run["cases"]
        for r in c["impls"].values()
    ):
        out += [_DAGGER, ""]
    out += [f"{h}# Versions", "", "| package | version |", "|---|---|"]
    out += [f"| {k} | {val or 'not installed'} |" for k, val in v.items()]
    out.append("")
    return out


def _family_headline(cases) -> str:
    ok = [c for c in cases if c["status"] == "ok" and _family_speedup(c)[1]]
    sizes = ", ".join(sorted({_size(c["size"]) for c in ok})) or "–"
    slower = sorted(
        (c for c in ok if _family_speedup(c)[1] < 0.95), key=lambda c: _family_speedup(c)[1]
    )
    peer = _family_speedup(ok[0])[0] if ok else "peer"
    text = f"{len(ok) - len(slower)} of {len(ok)} at least even with {peer}"
    if slower:
        text += "; slower: " + ", ".join(
            f"{c['params']['family']} {_family_speedup(c)[1]:.2f}x" for c in slower
        )
    bad = [
        f"{c['params']['family']} ({c['status']})"
        for c in cases
        if c["status"] != "ok" or not _family_speedup(c)[1]
    ]
    if bad:
        text += "; not compared: " + ", ".join(bad)
    return f"| `log_prob` of every family (table below) | n = {sizes} | – | {text} | – | – | – |"


def _family_table(cases) -> list[str]:
    out = [
        "**`log_prob` of every family beside numpyro** (same parameters, float32 unless stated; "
        "n scalars, or n / d points of dimension d)",
        "",
        "| family | size | gmath | spread | peer | speed-up | compile (gmath) | agreement |",
        "|---|---|---|---|---|---|---|---|",
    ]
    notes = []
    for c in cases:
        fam = c["params"]["family"] + (
            f" (d = {c['params']['d']})" if c["params"].get("d", 1) > 1 else ""
        )
        g = _gmath(c)
        peer_name, sp = _family_speedup(c)
        peer = c["impls"].get(peer_name) if peer_name else None
        if c["status"] != "ok" or not g.get("median_s"):
            out.append(f"| {fam} | {_size(c['size'])} | {c['status']} | – | – | – | – | – |")
            notes += [f"{fam}: {n}" for n in c["notes"]]
            continue
        if peer is None:
            others = [(k, r) for k, r in c["impls"].items() if r.get("role") == "peer"]
            peer_txt = ", ".join(f"{k}: {r['status']}" for k, r in others) or "–"
            agr = next((r.get("agreement") for _k, r in others if r.get("agreement")), None)
            out.append(
                f"| {fam} | {_size(c['size'])} | {_t(g['median_s'])} | {100 * g['spread']:.0f}% "
                f"| {peer_txt} | – | {_t(g.get('compile_s'))} | {_agreement_text(agr)} |"
            )
        else:
            out.append(
                f"| {fam} | {_size(c['size'])} | {_t(g['median_s'])} | {100 * g['spread']:.0f}% "
                f"| {peer_name} {_t(peer['median_s'])} | {_speedup(sp)} | {_t(g.get('compile_s'))} "
                f"| {_agreement_text(peer.get('agreement'))} |"
            )
        notes += [f"{fam}: {n}" for n in c["notes"]]
    out.append("")
    if notes:
        out += [f"- {n}" for n in dict.fromkeys(notes)] + [""]
    return out


def render_markdown(runs: list[dict], plots: list[dict[str, Path]], page_dir, title=None) -> str:
    page_dir = Path(page_dir)
    lines = [f"# {title or 'gmath performance'}", "", _READING, ""]
    if len(runs) > 1:
        lines += ["Devices: " + ", ".join(f"`{r['slug']}` ({r['mode']})" for r in runs), ""]
    for run, p in zip(runs, plots, strict=True):
        lines += _device_section(run, p, page_dir)
    lines += [
        "Regenerate with `python -m benchmarks` (see `benchmarks/README.md`) and "
        "`python -m benchmarks.report benchmarks/results/*.json -o PAGE.md`.",
        "",
    ]
    return "\n".join(lines)


def write_report(run_or_runs, path, *, plots: bool = True, title=None) -> Path:
    """Write the Markdown page (and the plots beside it) for one run or several."""
    runs = run_or_runs if isinstance(run_or_runs, list) else [run_or_runs]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    all_plots = []
    for run in runs:
        stem = path.stem if len(runs) == 1 else f"{path.stem}-{run['slug']}-{run['mode']}"
        all_plots.append(make_plots(run, path.parent, stem) if plots else {})
    path.write_text(render_markdown(runs, all_plots, path.parent, title=title))
    return path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.report", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("results", nargs="+", help="results JSON files written by python -m benchmarks")
    p.add_argument(
        "-o",
        "--output",
        default=None,
        help="Markdown page to write (default: beside the first file, .md)",
    )
    p.add_argument("--title", default=None)
    p.add_argument("--no-plots", action="store_true")
    args = p.parse_args(argv)
    runs = [load(r) for r in args.results]
    out = Path(args.output) if args.output else Path(args.results[0]).with_suffix(".md")
    write_report(runs, out, plots=not args.no_plots, title=args.title)
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
