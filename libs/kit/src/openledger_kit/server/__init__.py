"""The gRPC server bootstrap every service uses: ``create_server``/``serve``/``run``, health gated
on dependency checks, reflection, error mapping, Prometheus metrics, tracing and TLS."""

from openledger_kit.server.bootstrap import GrpcService, create_server, run, serve
from openledger_kit.server.dependencies import DependencyCheck, database_check, redis_check
from openledger_kit.server.errors import ErrorInterceptor
from openledger_kit.server.health import HealthState
from openledger_kit.server.metrics import (
    GrpcServerMetrics,
    MetricsEndpoint,
    MetricsInterceptor,
    metric_prefix,
    new_registry,
)
from openledger_kit.server.status import abort, bad_request, error_info, grpc_status, rich_status
from openledger_kit.server.tls import server_credentials
from openledger_kit.server.tracing import configure_tracing, tracing_interceptor

__all__ = [
    "DependencyCheck",
    "ErrorInterceptor",
    "GrpcServerMetrics",
    "GrpcService",
    "HealthState",
    "MetricsEndpoint",
    "MetricsInterceptor",
    "abort",
    "bad_request",
    "configure_tracing",
    "create_server",
    "error_info",
    "grpc_status",
    "metric_prefix",
    "new_registry",
    "database_check",
    "redis_check",
    "rich_status",
    "run",
    "serve",
    "server_credentials",
    "tracing_interceptor",
]
