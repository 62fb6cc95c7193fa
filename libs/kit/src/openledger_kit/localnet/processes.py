"""Command lines, ports and readiness checks for the local infrastructure processes.

Shared by the supervisor (``openledger up``) and the pytest fixtures, so both start Redis and
anvil the same way.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# anvil's default mnemonic ("test test ... junk") accounts 0-9: local development keys only.
ANVIL_DEV_KEYS: tuple[str, ...] = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
)

L1_CHAIN_ID = 900
L2_CHAIN_ID = 901


class ToolNotFound(RuntimeError):
    """A required executable is neither in the repository's node_modules nor on PATH."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def repo_root(start: Path | None = None) -> Path | None:
    """The nearest directory above ``start`` (default: cwd) holding ``package.json``."""
    for candidate in [start or Path.cwd(), Path(__file__).resolve()]:
        for directory in [candidate, *candidate.parents]:
            if (directory / "package.json").is_file() and (directory / "Makefile").is_file():
                return directory
    return None


def find_tool(name: str) -> str:
    """Path of an executable: ``$OL_TOOLS_BIN``, then ``node_modules/.bin``, then PATH."""
    search: list[Path] = []
    if tools := os.environ.get("OL_TOOLS_BIN"):
        search.append(Path(tools))
    if root := repo_root():
        search.append(root / "node_modules" / ".bin")
    for directory in search:
        path = directory / name
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    found = shutil.which(name)
    if found is None:
        raise ToolNotFound(f"{name} not found: run `make setup` (looked in {search} and PATH)")
    return found


def redis_command(port: int, data_dir: Path, *, host: str = "127.0.0.1") -> list[str]:
    """``redis-server`` bound to loopback, persisting with an append-only file in ``data_dir``."""
    return [
        find_tool("redis-server"),
        "--port", str(port),
        "--bind", host,
        "--dir", str(data_dir),
        "--appendonly", "yes",
        "--appendfsync", "everysec",
        "--save", "",
        "--protected-mode", "no",
        "--daemonize", "no",
    ]  # fmt: skip


@dataclass(frozen=True)
class AnvilSpec:
    """How to run one anvil: the L1 mines on every tx, the L2 is driven by the sequencer."""

    port: int
    chain_id: int
    state_file: Path | None = None
    no_mining: bool = False
    optimism: bool = False
    block_time: float | None = None
    extra_args: Sequence[str] = field(default_factory=tuple)
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        cmd = [
            find_tool("anvil"),
            "--host", self.host,
            "--port", str(self.port),
            "--chain-id", str(self.chain_id),
            "--silent",
        ]  # fmt: skip
        if self.state_file is not None:
            # --state loads the file if present and dumps to it on exit: restarts keep the chain.
            cmd += ["--state", str(self.state_file)]
        if self.no_mining:
            cmd.append("--no-mining")
        if self.optimism:
            cmd.append("--optimism")
        if self.block_time is not None:
            cmd += ["--block-time", str(self.block_time)]
        cmd += list(self.extra_args)
        return cmd


def wait_for_port(
    host: str, port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None
) -> None:
    """Block until ``host:port`` accepts TCP connections; fail early if ``proc`` exits."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {host}:{port} opened")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{host}:{port} did not open within {timeout}s") from None
            time.sleep(0.05)


def redis_ping(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when a Redis server at ``host:port`` answers PING (raw RESP, no client needed)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def jsonrpc_chain_id(url: str, timeout: float = 1.0) -> int | None:
    """``eth_chainId`` of the node at ``url``, or None when it does not answer."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(json.load(response)["result"], 16)
    except (OSError, ValueError, KeyError):
        return None


def wait_until(
    check: Callable[[], object],
    timeout: float,
    what: str,
    proc: subprocess.Popen[bytes] | None = None,
) -> None:
    """Poll ``check()`` until truthy; raise TimeoutError naming ``what``."""
    deadline = time.monotonic() + timeout
    while not check():
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: process exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready within {timeout}s")
        time.sleep(0.05)
