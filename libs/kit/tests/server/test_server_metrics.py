"""Prometheus metrics, scraped over HTTP from the server's own metrics port."""

from __future__ import annotations

import asyncio
import urllib.request

import grpc
import pytest
from google.protobuf.wrappers_pb2 import StringValue
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from libs.kit.tests.server.server_echo import SERVICE, EchoServicer, running, settings
from openledger_kit.server import metric_prefix

PREFIX = "openledger_kit_metrics"


async def _scrape(port: int | None) -> list[Sample]:
    assert port is not None and port > 0

    def get() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            return str(response.read().decode())

    text = await asyncio.to_thread(get)
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def _value(samples: list[Sample], name: str, **labels: str) -> float | None:
    for sample in samples:
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
            return sample.value
    return None


async def test_request_counter_and_latency_histogram_are_scraped() -> None:
    config = settings(service_name="kit-metrics", metrics_port=0)
    async with running(config) as srv:
        for _ in range(3):
            await srv.client.echo(StringValue(value="hi"))
        with pytest.raises(grpc.aio.AioRpcError):
            await srv.client.fail(StringValue(value="NOT_FOUND"))
        assert [m.value async for m in srv.client.chat(_values("a", "b"))] == ["a", "b"]
        samples = await _scrape(srv.service.metrics_port)

    echo = {"grpc_service": SERVICE, "grpc_method": "Echo"}
    total = f"{PREFIX}_grpc_server_requests_total"
    assert _value(samples, total, **echo, grpc_code="OK") == 3
    assert _value(samples, total, grpc_method="Fail", grpc_code="NOT_FOUND") == 1
    assert _value(samples, total, grpc_method="Chat", grpc_code="OK") == 1
    seconds = f"{PREFIX}_grpc_server_handling_seconds"
    assert _value(samples, f"{seconds}_count", **echo) == 3
    assert _value(samples, f"{seconds}_bucket", **echo, le="+Inf") == 3
    assert (_value(samples, f"{seconds}_sum", **echo) or 0) > 0
    assert _value(samples, f"{PREFIX}_grpc_server_in_flight_requests", **echo) == 0
    assert _value(samples, "process_cpu_seconds_total") is not None


async def test_in_flight_gauge_counts_open_calls() -> None:
    release = asyncio.Event()
    config = settings(service_name="kit-metrics", metrics_port=0)
    async with running(config, servicer=EchoServicer(release.wait)) as srv:
        hold = srv.client.hold(StringValue(value=""))
        assert (await hold.read()).value == "entered"
        during = await _scrape(srv.service.metrics_port)
        release.set()
        assert (await hold.read()).value == "done"
        assert await hold.code() == grpc.StatusCode.OK
        after = await _scrape(srv.service.metrics_port)

    gauge = f"{PREFIX}_grpc_server_in_flight_requests"
    assert _value(during, gauge, grpc_method="Hold") == 1
    assert _value(after, gauge, grpc_method="Hold") == 0


async def test_servers_in_one_process_keep_separate_registries() -> None:
    config = settings(service_name="kit-metrics", metrics_port=0)
    async with running(config) as first, running(config) as second:
        await first.client.echo(StringValue(value="hi"))
        assert first.service.metrics_port != second.service.metrics_port
        first_samples = await _scrape(first.service.metrics_port)
        second_samples = await _scrape(second.service.metrics_port)

    total = f"{PREFIX}_grpc_server_requests_total"
    assert _value(first_samples, total, grpc_method="Echo") == 1
    assert _value(second_samples, total, grpc_method="Echo") is None


async def test_metrics_port_is_off_when_unset() -> None:
    async with running(settings(metrics_port=None)) as srv:
        assert srv.service.metrics_port is None


@pytest.mark.parametrize(
    ("service_name", "prefix"),
    [
        ("datanet", "openledger_datanet"),
        ("openledger-datanet", "openledger_datanet"),
        ("Model.Factory", "openledger_model_factory"),
        ("openledger", "openledger"),
    ],
)
def test_metric_prefix_is_sanitised(service_name: str, prefix: str) -> None:
    assert metric_prefix(service_name) == prefix


async def _values(*values: str):  # type: ignore[no-untyped-def]
    for value in values:
        yield StringValue(value=value)
