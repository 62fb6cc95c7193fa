"""Structured logs: one JSON object per line, with the service name and the current trace.

Every record handled by the root handler gets ``service`` and, inside an OpenTelemetry span,
``trace_id``/``span_id`` (lower-case hex, as trace backends print them), so a log line leads to
its trace and back. Extra fields passed with ``extra={...}`` become JSON keys.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

from openledger_kit.config import ServiceSettings

_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(service)s trace_id=%(trace_id)s] %(message)s"


class TraceContextFilter(logging.Filter):
    """Adds ``service`` and the current span's ``trace_id``/``span_id`` to each record."""

    def __init__(self, service_name: str) -> None:
        super().__init__()
        self.service_name = service_name

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service_name
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            record.trace_id = f"{span_context.trace_id:032x}"
            record.span_id = f"{span_context.span_id:016x}"
        return True


def json_formatter() -> logging.Formatter:
    """``{"time", "level", "logger", "message", ...}`` per record."""
    return JsonFormatter(
        "{levelname}{name}{message}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
    )


def text_formatter() -> logging.Formatter:
    """A plain one-line format for reading logs in a terminal."""
    return logging.Formatter(_TEXT_FORMAT, defaults={"trace_id": "-"})


def configure_logging(
    settings: ServiceSettings, *, stream: TextIO | None = None
) -> logging.Handler:
    """Send all logs to ``stream`` (default stderr) at ``settings.log_level``.

    JSON when ``settings.log_json``, plain text otherwise. Calling it again replaces the
    handler it installed before instead of adding a second one. Returns the handler.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _OpenLedgerHandler)]:
        root.removeHandler(old)
        old.close()
    handler = _OpenLedgerHandler(stream if stream is not None else sys.stderr)
    handler.addFilter(TraceContextFilter(settings.service_name))
    handler.setFormatter(json_formatter() if settings.log_json else text_formatter())
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    return handler


class _OpenLedgerHandler(logging.StreamHandler[TextIO]):
    """Marks the handler ``configure_logging`` owns, so a second call can find and replace it."""
