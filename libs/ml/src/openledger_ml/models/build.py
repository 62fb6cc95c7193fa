"""Completion markers for model directories built on this machine.

A build writes its marker last, holding a key of the build's inputs; a directory counts as
complete only when its marker holds the same key, so a crash mid-build or a build with other
arguments is never mistaken for the one asked for.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

COMPLETE_MARKER = ".openledger-build"
"""File name of the marker; ``weights_revision`` ignores it (it is not a weights file)."""


def is_complete(out_dir: Path, key: str) -> bool:
    try:
        return (out_dir / COMPLETE_MARKER).read_text(encoding="utf-8") == key
    except OSError:
        return False


def write_marker(out_dir: Path, key: str) -> None:
    tmp = out_dir / f"{COMPLETE_MARKER}.tmp"
    tmp.write_text(key, encoding="utf-8")
    os.replace(tmp, out_dir / COMPLETE_MARKER)


def publish(staging: Path, out_dir: Path, key: str) -> None:
    """Move a finished build from ``staging`` to ``out_dir``. When another process finished
    the same build first, its copy is kept and ``staging`` dropped."""
    write_marker(staging, key)
    if out_dir.exists():
        if is_complete(out_dir, key):
            shutil.rmtree(staging)
            return
        shutil.rmtree(out_dir)
    try:
        staging.rename(out_dir)
    except OSError:
        if not is_complete(out_dir, key):
            raise
        shutil.rmtree(staging)
