"""``python -m benchmarks``: run the benchmark suites (see ``benchmarks/README.md``)."""

from benchmarks.cli import main

raise SystemExit(main())
