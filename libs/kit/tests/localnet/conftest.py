"""Fixtures for the supervisor tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from openledger_kit.localnet.rundir import RunDir

LiveInGroups = Callable[[Iterable[int]], list[str]]


def _live_in_groups(pgids: Iterable[int]) -> list[str]:
    wanted = set(pgids)
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name is in parentheses and may hold spaces: split after the last one.
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError):
            continue  # exited while we looked
        state, pgrp = fields[0], int(fields[2])
        if pgrp in wanted and state != "Z":
            found.append(f"{stat.parent.name} {cmdline}")
    return found


@pytest.fixture
def live_in_groups() -> LiveInGroups:
    """Processes (``pid cmdline``) still alive in any of the given process groups.

    The supervisor starts each process as the leader of its own group, so this also catches
    grandchildren (the npm ``anvil`` wrapper runs the real binary as its child).
    """
    return _live_in_groups


@pytest.fixture
def run_dir(tmp_path: Path) -> RunDir:
    """A private run directory."""
    return RunDir(tmp_path / "run")
