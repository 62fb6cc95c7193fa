"""Where the contracts' build output lives, and building it with forge (solc-js, offline)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

from openledger_kit.chain import artifact_path
from openledger_kit.errors import FailedPrecondition
from openledger_kit.localnet.processes import ToolNotFound, find_tool, repo_root

BUILD_TIMEOUT_SECONDS = 900.0


def contracts_dir() -> Path:
    """``contracts/`` of the repository this package runs from."""
    root = repo_root()
    if root is None or not (root / "contracts" / "foundry.toml").is_file():
        raise FailedPrecondition(
            "cannot find the repository's contracts/ (foundry.toml): pass the artifacts dir",
            reason="CONTRACTS_NOT_FOUND",
        )
    return root / "contracts"


def default_artifacts_dir() -> Path:
    """``contracts/out``: Foundry's artifacts (``<File>.sol/<Name>.json``)."""
    return contracts_dir() / "out"


def missing_artifacts(artifacts_dir: Path, names: Iterable[str]) -> list[str]:
    """The contracts of ``names`` that have no artifact in ``artifacts_dir``."""
    return [name for name in names if not artifact_path(artifacts_dir, name).is_file()]


def build_contracts(directory: Path | None = None) -> Path:
    """Run ``forge build --offline`` in ``directory`` (default: the repository's contracts/)
    and return its ``out/``. Incremental: forge recompiles only what changed.

    Raises ``FailedPrecondition`` when forge is missing or the build fails (with its output).
    """
    where = directory or contracts_dir()
    try:
        forge = find_tool("forge")
    except ToolNotFound as exc:
        raise FailedPrecondition(str(exc), reason="FORGE_NOT_FOUND") from None
    result = subprocess.run(
        [forge, "build", "--offline"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-30:])
        raise FailedPrecondition(
            f"forge build failed in {where} (exit {result.returncode}):\n{tail}",
            reason="CONTRACTS_BUILD_FAILED",
        )
    return where / "out"
