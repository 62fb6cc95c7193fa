"""Fixtures for the CLI tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

import pytest

InstallPlugin = Callable[[str, str, dict[str, dict[str, str]]], None]


@pytest.fixture
def install_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> InstallPlugin:
    """Install a module and its entry points as a distribution on ``sys.path``: a real
    ``*.dist-info`` that ``importlib.metadata`` finds like any pip-installed package.

    Call it as ``install_plugin(module_name, source, {group: {name: "module:attr"}})``; use a
    module name no other test uses (imports are cached for the session).
    """
    root = tmp_path / "site-packages"

    def install(module: str, source: str, entry_points: dict[str, dict[str, str]]) -> None:
        root.mkdir(exist_ok=True)
        (root / f"{module}.py").write_text(dedent(source))
        info = root / f"{module}-0.0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.0.1\n")
        lines = []
        for group, names in entry_points.items():
            lines.append(f"[{group}]")
            lines += [f"{name} = {target}" for name, target in names.items()]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        monkeypatch.syspath_prepend(str(root))

    return install
