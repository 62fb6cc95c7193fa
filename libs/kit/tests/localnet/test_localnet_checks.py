"""Readiness checks against real Redis, anvil and gRPC servers."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from openledger_kit.localnet import EthChainId, GrpcHealth, RedisPing, TcpOpen
from openledger_kit.localnet.checks import READINESS_CHECK, ReadinessCheck
from openledger_kit.localnet.processes import free_port
from openledger_kit.testing.processes import AnvilProcess, RedisProcess


@pytest.fixture
def health_server() -> Iterator[tuple[int, health.HealthServicer]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield port, servicer
    finally:
        server.stop(None)


def test_redis_ping(redis_server: RedisProcess) -> None:
    assert RedisPing(port=redis_server.port).probe().ok
    assert not RedisPing(port=free_port()).probe().ok


def test_eth_chain_id_reports_the_block_and_rejects_another_chain(anvil_l1: AnvilProcess) -> None:
    probe = EthChainId(url=anvil_l1.url, chain_id=anvil_l1.chain_id).probe()
    assert probe.ok and probe.detail.startswith(f"chain id {anvil_l1.chain_id}, block ")
    wrong = EthChainId(url=anvil_l1.url, chain_id=anvil_l1.chain_id + 1).probe()
    assert not wrong.ok and "expected" in wrong.detail
    assert not EthChainId(url=f"http://127.0.0.1:{free_port()}", chain_id=1).probe().ok


def test_grpc_health_passes_only_when_serving(
    health_server: tuple[int, health.HealthServicer],
) -> None:
    port, servicer = health_server
    check = GrpcHealth(port=port, service="openledger.test.v1.TestService")
    servicer.set(check.service, health_pb2.HealthCheckResponse.NOT_SERVING)
    probe = check.probe()
    assert not probe.ok and probe.detail == "NOT_SERVING"
    servicer.set(check.service, health_pb2.HealthCheckResponse.SERVING)
    assert check.probe().ok
    assert not GrpcHealth(port=port, service="unknown.Service").probe().ok
    assert not GrpcHealth(port=free_port()).probe(timeout=0.5).ok


def test_tcp_open(redis_server: RedisProcess) -> None:
    assert TcpOpen(port=redis_server.port).probe().ok
    assert not TcpOpen(port=free_port()).probe().ok


def test_checks_round_trip_through_json() -> None:
    checks: list[ReadinessCheck] = [
        TcpOpen(port=1),
        RedisPing(port=2),
        EthChainId(url="http://127.0.0.1:3", chain_id=900),
        GrpcHealth(port=4, service="openledger.datanet.v1.DatanetService"),
    ]
    for check in checks:
        assert READINESS_CHECK.validate_json(READINESS_CHECK.dump_json(check)) == check
