"""Generate Python messages, .pyi stubs and gRPC stubs from protos/ into libs/api/src.

`python scripts/protos.py` rewrites the generated package; `--check` exits 1 when the
committed code differs from what the protos produce (the staleness test runs this).
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTO_ROOT = ROOT / "protos"
OUT_ROOT = ROOT / "libs" / "api" / "src"
PACKAGE = "openledger"


def generate(out: Path) -> None:
    from grpc_tools import protoc

    well_known = resources.files("grpc_tools") / "_proto"
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))
    if not protos:
        raise SystemExit("no .proto files under protos/")
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        *protos,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")


def _tree(root: Path) -> dict[str, Path]:
    return {
        str(p.relative_to(root)): p
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if generated code is stale")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        generate(fresh)
        current = OUT_ROOT / PACKAGE
        if opts.check:
            want, have = _tree(fresh / PACKAGE), _tree(current)
            stale = sorted(
                name
                for name in want.keys() | have.keys()
                if name not in want
                or name not in have
                or not filecmp.cmp(want[name], have[name], shallow=False)
            )
            if stale:
                print("generated code is stale; run `make protos`:", *stale, sep="\n  ")
                return 1
            return 0
        shutil.rmtree(current, ignore_errors=True)
        shutil.copytree(fresh / PACKAGE, current)
    return 0


if __name__ == "__main__":
    sys.exit(main())
