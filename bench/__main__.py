"""``python -m bench NAME [--quick]``: run benchmarks, print a table per benchmark, and end
with one JSON line per benchmark (the very last line is the last benchmark's JSON object)."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

# name -> module exposing run(quick: bool) -> BenchResult
BENCHES = {
    "bus": "bench.bus",
    "datanet": "bench.datanet",
    "modelfactory": "bench.modelfactory",
    "inference": "bench.inference",
    "attribution": "bench.attribution",
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("name", choices=[*BENCHES, "all"], help="benchmark to run, or all")
    parser.add_argument("--quick", action="store_true", help="smaller run (under a minute)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    names = list(BENCHES) if args.name == "all" else [args.name]
    for name in names:
        module = importlib.import_module(BENCHES[name])
        result = module.run(quick=args.quick)
        print(result.table())
        print(result.json_line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
