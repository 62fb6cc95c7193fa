"""``openledger_kit.logging``: JSON lines with the service name and the current trace."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from google.protobuf.wrappers_pb2 import StringValue

from libs.kit.tests.server.server_echo import Tracing, running, settings
from openledger_kit.logging import configure_logging

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN_ID = "00f067aa0ba902b7"


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger, with its handlers and level put back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def _records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_trace_and_span_ids_inside_a_span(
    root_logger: logging.Logger, tracing: Tracing
) -> None:
    stream = io.StringIO()
    configure_logging(settings(service_name="kit-logs", log_level="debug"), stream=stream)
    log = logging.getLogger("kittest.logging")

    log.info("outside")
    with tracing.provider.get_tracer("test").start_as_current_span("work") as span:
        log.debug("inside", extra={"batch": 7})
    span_context = span.get_span_context()

    outside, inside = _records(stream)
    assert outside["message"] == "outside" and "trace_id" not in outside
    assert inside["trace_id"] == f"{span_context.trace_id:032x}"
    assert inside["span_id"] == f"{span_context.span_id:016x}"
    assert inside["service"] == "kit-logs"
    assert (inside["level"], inside["logger"], inside["batch"]) == ("DEBUG", "kittest.logging", 7)
    assert "time" in inside


async def test_log_lines_inside_an_rpc_carry_the_callers_trace(
    root_logger: logging.Logger, tracing: Tracing
) -> None:
    stream = io.StringIO()
    configure_logging(settings(service_name="kit-logs"), stream=stream)
    traceparent = f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01"

    async with running(tracer_provider=tracing.provider) as srv:
        await srv.client.echo(StringValue(value="hi"), metadata=(("traceparent", traceparent),))

    [line] = [r for r in _records(stream) if r["message"] == "echo handled"]
    [span] = tracing.exporter.get_finished_spans()
    assert span.context is not None and span.parent is not None
    assert line["trace_id"] == TRACE_ID == f"{span.context.trace_id:032x}"
    assert line["span_id"] == f"{span.context.span_id:016x}"
    assert f"{span.parent.span_id:016x}" == PARENT_SPAN_ID
    assert line["echo_length"] == 2


def test_text_format_and_reconfiguring_replaces_the_handler(root_logger: logging.Logger) -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging(settings(service_name="kit-logs"), stream=first)
    configure_logging(settings(service_name="kit-logs", log_json=False), stream=second)

    logging.getLogger("kittest.logging").warning("plain %s", "text")

    assert first.getvalue() == ""
    line = second.getvalue().strip()
    assert line.endswith("WARNING kittest.logging [kit-logs trace_id=-] plain text")
