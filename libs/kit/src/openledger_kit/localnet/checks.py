"""Readiness checks: declarative (written into ``endpoints.json``) so ``openledger status`` can run
the same probe later that the supervisor ran at start.

Each check answers ``probe(timeout) -> Probe``; a failed probe is an answer, never an exception.
"""

from __future__ import annotations

import json
import socket
import urllib.request
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from openledger_kit.localnet.processes import redis_ping


class Probe(BaseModel):
    """One probe's answer: ``ok`` and a short human-readable ``detail``."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    detail: str


class _Check(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"


class TcpOpen(_Check):
    """Ready when ``host:port`` accepts a TCP connection."""

    kind: Literal["tcp"] = "tcp"
    port: int

    def describe(self) -> str:
        return f"tcp {self.host}:{self.port}"

    def probe(self, timeout: float = 1.0) -> Probe:
        try:
            with socket.create_connection((self.host, self.port), timeout=timeout):
                return Probe(ok=True, detail="accepting connections")
        except OSError as exc:
            return Probe(ok=False, detail=f"not accepting connections ({exc.strerror or exc})")


class RedisPing(_Check):
    """Ready when Redis at ``host:port`` answers PING."""

    kind: Literal["redis"] = "redis"
    port: int

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def describe(self) -> str:
        return f"redis PING at {self.url}"

    def probe(self, timeout: float = 1.0) -> Probe:
        if redis_ping(self.host, self.port, timeout):
            return Probe(ok=True, detail="PONG")
        return Probe(ok=False, detail="no answer to PING")


class EthChainId(_Check):
    """Ready when the JSON-RPC node at ``url`` answers ``eth_chainId`` with ``chain_id``."""

    kind: Literal["eth_chain_id"] = "eth_chain_id"
    url: str
    chain_id: int

    def describe(self) -> str:
        return f"eth_chainId={self.chain_id} at {self.url}"

    def probe(self, timeout: float = 1.0) -> Probe:
        try:
            chain_id = int(str(jsonrpc(self.url, "eth_chainId", timeout=timeout)), 16)
            block = int(str(jsonrpc(self.url, "eth_blockNumber", timeout=timeout)), 16)
        except (OSError, ValueError, KeyError) as exc:
            return Probe(ok=False, detail=f"no JSON-RPC answer ({exc})")
        if chain_id != self.chain_id:
            return Probe(ok=False, detail=f"chain id {chain_id}, expected {self.chain_id}")
        return Probe(ok=True, detail=f"chain id {chain_id}, block {block}")


class GrpcHealth(_Check):
    """Ready when the gRPC health service at ``host:port`` reports ``SERVING`` for ``service``
    (``""``: the server as a whole), which services set only once their dependencies connect.
    """

    kind: Literal["grpc_health"] = "grpc_health"
    port: int
    service: str = ""

    @property
    def target(self) -> str:
        return f"{self.host}:{self.port}"

    def describe(self) -> str:
        return f"gRPC health {self.service or '(server)'} at {self.target}"

    def probe(self, timeout: float = 1.0) -> Probe:
        # Imported here: the CLI's other commands should not pay for loading gRPC.
        import grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        with grpc.insecure_channel(self.target) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            try:
                response = stub.Check(
                    health_pb2.HealthCheckRequest(service=self.service), timeout=timeout
                )
            except grpc.RpcError as exc:
                code = exc.code() if isinstance(exc, grpc.Call) else None
                return Probe(ok=False, detail=f"health check failed: {code or exc}")
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
        return Probe(ok=status == "SERVING", detail=status)


ReadinessCheck = Annotated[
    TcpOpen | RedisPing | EthChainId | GrpcHealth, Field(discriminator="kind")
]
"""Any readiness check; ``kind`` tells them apart in JSON."""

READINESS_CHECK: TypeAdapter[ReadinessCheck] = TypeAdapter(ReadinessCheck)


def jsonrpc(
    url: str, method: str, params: list[object] | None = None, timeout: float = 1.0
) -> object:
    """One Ethereum JSON-RPC call over HTTP; raises ``ValueError`` on a JSON-RPC error."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        answer = json.load(response)
    if "error" in answer:
        raise ValueError(f"{method}: {answer['error']}")
    return answer["result"]
