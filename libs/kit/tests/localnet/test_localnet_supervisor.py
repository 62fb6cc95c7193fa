"""The supervisor against real redis-server and anvil processes (and small Python services)."""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from textwrap import dedent
from typing import Any
from urllib.parse import urlparse

import pytest
import redis

from openledger_kit.localnet import (
    INFRASTRUCTURE,
    AlreadyRunning,
    Component,
    Endpoints,
    GrpcHealth,
    LocalnetContext,
    ProcessExited,
    ProcessSpec,
    RunDir,
    StartupFailed,
    Supervisor,
    TcpOpen,
    build_plan,
)
from openledger_kit.localnet.checks import jsonrpc
from openledger_kit.localnet.processes import L1_CHAIN_ID, L2_CHAIN_ID

LiveInGroups = Callable[[Iterable[int]], list[str]]


def supervisor(
    run_dir: RunDir, *extra: Component, console: io.StringIO | None = None
) -> Supervisor:
    plan = build_plan(LocalnetContext(run_dir), [*INFRASTRUCTURE, *extra])
    return Supervisor(plan, run_dir, console=console or io.StringIO())


def test_starts_infrastructure_publishes_endpoints_and_stops_every_process(
    run_dir: RunDir, live_in_groups: LiveInGroups
) -> None:
    sup = supervisor(run_dir)
    seen: dict[str, Any] = {}

    def on_ready(endpoints: Endpoints) -> None:
        on_disk = json.loads(run_dir.endpoints_file.read_text())
        env = endpoints.env
        seen.update(
            endpoints=endpoints,
            on_disk_pids={p["name"]: p["pid"] for p in on_disk["processes"]},
            env_file=run_dir.env_file.read_text(),
            alive=live_in_groups(sup.pids.values()),
            ping=redis.Redis.from_url(env["OL_REDIS_URL"]).ping(),
            l1=int(str(jsonrpc(env["OL_L1_RPC_URL"], "eth_chainId")), 16),
            l2=int(str(jsonrpc(env["OL_L2_RPC_URL"], "eth_chainId")), 16),
        )
        sup.stop()

    sup.run(on_ready)

    endpoints: Endpoints = seen["endpoints"]
    assert endpoints.supervisor_pid == os.getpid()
    assert seen["on_disk_pids"] == dict(sup.pids) and set(sup.pids) == {"redis", "l1", "l2"}
    urls = [value for key, value in endpoints.env.items() if key.endswith("_URL")]
    assert len(urls) == 3 and len({urlparse(url).port for url in urls}) == 3
    assert seen["ping"] is True and seen["l1"] == L1_CHAIN_ID and seen["l2"] == L2_CHAIN_ID
    assert endpoints.env["OL_L1_CHAIN_ID"] == "900" and endpoints.env["OL_L2_CHAIN_ID"] == "901"
    assert f"export OL_REDIS_URL={endpoints.env['OL_REDIS_URL']}" in str(seen["env_file"])
    assert len(seen["alive"]) >= 3

    assert live_in_groups(sup.pids.values()) == []
    assert not run_dir.endpoints_file.exists() and not run_dir.env_file.exists()
    assert run_dir.supervisor_pid() is None
    assert "Ready to accept connections" in run_dir.log_file("redis").read_text()
    assert "starting:" in run_dir.log_file("l1").read_text()
    assert (run_dir.path / "l1" / "state.json").is_file()


@pytest.mark.slow
def test_dependents_start_once_dependencies_are_ready_and_get_the_exports(
    run_dir: RunDir, tmp_path: Path, live_in_groups: LiveInGroups
) -> None:
    slow = tmp_path / "slow.py"
    slow.write_text(
        dedent("""
        import socket, sys, time
        time.sleep(1)
        server = socket.create_server(("127.0.0.1", int(sys.argv[1])))
        time.sleep(600)
        """)
    )
    service = tmp_path / "service.py"
    service.write_text(
        dedent("""
        import os, socket, sys
        from concurrent import futures
        import grpc, redis
        from grpc_health.v1 import health, health_pb2, health_pb2_grpc
        # Started only once `slow` accepts connections and Redis answers: both must work now.
        socket.create_connection(("127.0.0.1", int(os.environ["SLOW_PORT"]))).close()
        print("redis ping", redis.Redis.from_url(os.environ["OL_REDIS_URL"]).ping(), flush=True)
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
        servicer = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
        server.add_insecure_port("127.0.0.1:" + os.environ["GRPC_PORT"])
        server.start()
        servicer.set("openledger.probe.v1.ProbeService", health_pb2.HealthCheckResponse.SERVING)
        server.wait_for_termination()
        """)
    )

    def slow_component(ctx: LocalnetContext) -> ProcessSpec:
        port = ctx.port("slow")
        return ProcessSpec(
            name="slow", command=[sys.executable, str(slow), str(port)], ready=TcpOpen(port=port)
        )

    def service_component(ctx: LocalnetContext) -> ProcessSpec:
        port = ctx.port("service")
        return ProcessSpec(
            name="service",
            command=[sys.executable, str(service)],
            env={"GRPC_PORT": str(port), "SLOW_PORT": str(ctx.port("slow"))},
            ready=GrpcHealth(port=port, service="openledger.probe.v1.ProbeService"),
            depends_on=["redis", "slow"],
            exports={"OL_PROBE_ADDR": f"127.0.0.1:{port}"},
        )

    console = io.StringIO()
    # Listed before its dependency on purpose: the order comes from depends_on.
    sup = supervisor(run_dir, service_component, slow_component, console=console)
    ready: list[Endpoints] = []

    def on_ready(endpoints: Endpoints) -> None:
        ready.append(endpoints)
        sup.stop()

    sup.run(on_ready)

    assert [p.name for p in ready[0].processes] == ["redis", "l1", "l2", "slow", "service"]
    assert ready[0].env["OL_PROBE_ADDR"].startswith("127.0.0.1:")
    assert "service | redis ping True" in console.getvalue()  # services reach the console
    assert "redis ping True" in run_dir.log_file("service").read_text()
    assert "Ready to accept connections" not in console.getvalue()  # infrastructure does not
    assert live_in_groups(sup.pids.values()) == []


def test_a_process_that_cannot_start_fails_startup_naming_it_and_stops_the_others(
    run_dir: RunDir, live_in_groups: LiveInGroups
) -> None:
    def bogus(ctx: LocalnetContext) -> ProcessSpec:
        return ProcessSpec(
            name="bogus",
            command=["/nonexistent/openledger-bogus"],
            ready=TcpOpen(port=ctx.port("bogus")),
            depends_on=["redis"],
        )

    console = io.StringIO()
    sup = supervisor(run_dir, bogus, console=console)
    with pytest.raises(StartupFailed) as caught:
        sup.run()

    assert caught.value.process == "bogus"
    assert str(run_dir.log_file("bogus")) in caught.value.message
    assert "exited with code 127 before it was ready" in caught.value.message
    assert "/nonexistent/openledger-bogus: not found" in console.getvalue()  # the log's tail
    assert "redis" in sup.pids
    assert live_in_groups(sup.pids.values()) == []
    assert not run_dir.endpoints_file.exists()


def test_a_process_never_ready_fails_startup_after_its_timeout(
    run_dir: RunDir, live_in_groups: LiveInGroups
) -> None:
    def mute(ctx: LocalnetContext) -> ProcessSpec:
        port = ctx.port("mute")
        return ProcessSpec(
            name="mute", command=["sleep", "600"], ready=TcpOpen(port=port), ready_timeout=1
        )

    sup = supervisor(run_dir, mute)
    with pytest.raises(StartupFailed, match=r"mute: not ready within 1s: tcp 127\.0\.0\.1:\d+"):
        sup.run()
    assert live_in_groups(sup.pids.values()) == []


@pytest.mark.slow
def test_a_process_exiting_later_stops_the_platform_and_is_named(
    run_dir: RunDir, live_in_groups: LiveInGroups
) -> None:
    def short(ctx: LocalnetContext) -> ProcessSpec:
        return ProcessSpec(name="short", command=["sh", "-c", "sleep 2; exit 3"])

    sup = supervisor(run_dir, short)
    with pytest.raises(ProcessExited) as caught:
        sup.run()
    assert caught.value.process == "short" and caught.value.returncode == 3
    assert live_in_groups(sup.pids.values()) == []


def test_ctrl_c_during_startup_stops_what_started_and_returns(
    run_dir: RunDir, live_in_groups: LiveInGroups
) -> None:
    def waiting(ctx: LocalnetContext) -> ProcessSpec:
        return ProcessSpec(name="waiting", command=["sleep", "600"], ready=TcpOpen(port=1))

    def never(ctx: LocalnetContext) -> ProcessSpec:
        return ProcessSpec(name="never", command=["sleep", "600"], depends_on=["waiting"])

    console = io.StringIO()
    sup = supervisor(run_dir, waiting, never, console=console)
    handler_before = signal.getsignal(signal.SIGINT)
    # The supervisor traps SIGINT in the main thread, as it does for a terminal's Ctrl-C.
    interrupt = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    interrupt.start()
    try:
        sup.run()
    finally:
        interrupt.cancel()

    assert "SIGINT received" in console.getvalue()
    assert "waiting" in sup.pids and "never" not in sup.pids
    assert live_in_groups(sup.pids.values()) == []
    assert signal.getsignal(signal.SIGINT) == handler_before


def test_a_second_supervisor_on_the_same_run_dir_is_refused(run_dir: RunDir) -> None:
    sup = supervisor(run_dir)
    refused: list[AlreadyRunning] = []

    def on_ready(endpoints: Endpoints) -> None:
        try:
            supervisor(run_dir).run()
        except AlreadyRunning as exc:
            refused.append(exc)
        sup.stop()

    sup.run(on_ready)
    assert refused and refused[0].pid == os.getpid()


@pytest.mark.slow
def test_restart_keeps_both_chains_and_redis_data(run_dir: RunDir) -> None:
    from eth_account import Account
    from web3 import Web3

    from openledger_kit.localnet.processes import ANVIL_DEV_KEYS

    sender = Account.from_key(ANVIL_DEV_KEYS[1])
    recipient = Account.create().address

    def transfer(url: str, chain_id: int) -> None:
        w3 = Web3(Web3.HTTPProvider(url))
        tx = {
            "to": recipient,
            "value": 12345,
            "nonce": w3.eth.get_transaction_count(sender.address),
            "gas": 21000,
            "gasPrice": w3.eth.gas_price,
            "chainId": chain_id,
        }
        tx_hash = w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction)
        assert w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)["status"] == 1

    def first(endpoints: Endpoints) -> None:
        env = endpoints.env
        transfer(env["OL_L1_RPC_URL"], L1_CHAIN_ID)
        transfer(env["OL_L2_RPC_URL"], L2_CHAIN_ID)
        bus = redis.Redis.from_url(env["OL_REDIS_URL"])
        bus.set("ol:test:restart", "kept")
        bus.xadd("ol:test:restart:v1", {"event": "one"})
        bus.close()
        sup.stop()

    found: dict[str, Any] = {}

    def second(endpoints: Endpoints) -> None:
        env = endpoints.env
        for layer in ("L1", "L2"):
            w3 = Web3(Web3.HTTPProvider(env[f"OL_{layer}_RPC_URL"]))
            found[layer] = (
                w3.eth.get_transaction_count(sender.address),
                w3.eth.get_balance(recipient),
                w3.eth.block_number,
            )
        bus = redis.Redis.from_url(env["OL_REDIS_URL"])
        found["redis"] = (bus.get("ol:test:restart"), bus.xlen("ol:test:restart:v1"))
        bus.close()
        sup.stop()

    sup = supervisor(run_dir)
    sup.run(first)
    sup = supervisor(run_dir)
    sup.run(second)

    assert found["L1"] == (1, 12345, 1)
    assert found["L2"] == (1, 12345, 1)
    assert found["redis"] == (b"kept", 1)
