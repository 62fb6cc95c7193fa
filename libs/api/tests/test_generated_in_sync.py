"""The committed generated package must be exactly what protos/ produce."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_generated_code_matches_protos() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "protos.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_proto_has_generated_messages_and_stubs() -> None:
    for proto in (ROOT / "protos").rglob("*.proto"):
        module = ROOT / "libs" / "api" / "src" / proto.relative_to(ROOT / "protos")
        stem = module.with_suffix("")
        for suffix in ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py"):
            assert Path(f"{stem}{suffix}").is_file(), f"{stem}{suffix} missing"
