"""Real Redis and anvil processes for tests, started on free loopback ports."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from openledger_kit.localnet.processes import (
    ANVIL_DEV_KEYS,
    AnvilSpec,
    free_port,
    jsonrpc_chain_id,
    redis_command,
    redis_ping,
    wait_until,
)


@dataclass
class RedisProcess:
    """A running ``redis-server``; ``restart()`` keeps its append-only data."""

    port: int
    data_dir: Path
    proc: subprocess.Popen[bytes]
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def stop(self, kill: bool = False) -> None:
        if self.proc.poll() is None:
            self.proc.kill() if kill else self.proc.terminate()
            self.proc.wait(timeout=15)

    def restart(self) -> None:
        self.stop()
        self.proc = _spawn(redis_command(self.port, self.data_dir), self.data_dir / "redis.log")
        wait_until(lambda: redis_ping(self.host, self.port), 15, "redis", self.proc)


@dataclass
class AnvilProcess:
    """A running anvil with the default funded development keys."""

    spec: AnvilSpec
    proc: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return self.spec.url

    @property
    def chain_id(self) -> int:
        return self.spec.chain_id

    @property
    def keys(self) -> tuple[str, ...]:
        return ANVIL_DEV_KEYS

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)


def _spawn(cmd: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


@contextmanager
def running_redis(data_dir: Path) -> Iterator[RedisProcess]:
    """Start ``redis-server`` on a free port with its data in ``data_dir``; stop it afterwards."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = _spawn(redis_command(port, data_dir), data_dir / "redis.log")
    server = RedisProcess(port=port, data_dir=data_dir, proc=proc)
    try:
        wait_until(lambda: redis_ping(server.host, port), 15, "redis", proc)
        yield server
    finally:
        server.stop()


@contextmanager
def running_anvil(
    data_dir: Path, *, chain_id: int, no_mining: bool = False, optimism: bool = False
) -> Iterator[AnvilProcess]:
    """Start anvil on a free port; stop it afterwards."""
    data_dir.mkdir(parents=True, exist_ok=True)
    spec = AnvilSpec(port=free_port(), chain_id=chain_id, no_mining=no_mining, optimism=optimism)
    proc = _spawn(spec.command(), data_dir / f"anvil-{chain_id}.log")
    node = AnvilProcess(spec=spec, proc=proc)
    try:
        wait_until(lambda: jsonrpc_chain_id(spec.url) == chain_id, 30, "anvil", proc)
        yield node
    finally:
        node.stop()
