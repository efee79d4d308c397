"""gmath's benchmark suite: ``python -m benchmarks`` (see ``benchmarks/README.md``).

Every figure is measured side by side in one run: gmath beside the libraries a user would
otherwise pick (each optional) and beside the device's own limits (memory bandwidth from a
same-size elementwise pass, exp and FLOP throughput). Timings are steady state after compilation
(``block_until_ready``), with compilation timed separately; outputs are checked for agreement
with the peer before anything is timed.

Modules:

- :mod:`benchmarks.cli`: the command line (``python -m benchmarks --quick``).
- :mod:`benchmarks.harness`: cases, implementations, timing, agreement checks.
- :mod:`benchmarks.limits`: the device's bandwidth, exp and FLOP throughput.
- :mod:`benchmarks.environment`: device, versions and git revision recorded with each run.
- :mod:`benchmarks.results`: the JSON results file and ``--compare-to``.
- :mod:`benchmarks.report`: Markdown report and PNG plots (``python -m benchmarks.report``).
- :mod:`benchmarks.suites`: the suites ``densities``, ``divergences``, ``samples``, ``scores``,
  ``games``.
"""

SUITE_NAMES = ("densities", "divergences", "samples", "scores", "games")
