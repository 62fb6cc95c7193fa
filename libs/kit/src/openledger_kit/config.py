"""Settings: one ``BaseSettings`` per service, read from ``OL_<SVC>_*`` environment variables.

A service declares ``class Settings(ServiceSettings)`` with
``model_config = service_config("DATANET")`` and adds its own fields; the fields here are what
the shared server bootstrap, bus, storage and chain helpers read.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def service_config(service: str) -> SettingsConfigDict:
    """Settings config for one service: env prefix ``OL_<SERVICE>_`` and nested ``__``."""
    prefix = f"OL_{service.upper()}_"
    return SettingsConfigDict(
        env_prefix=prefix,
        env_nested_delimiter="__",
        extra="ignore",
        case_sensitive=False,
    )


class ServiceSettings(BaseSettings):
    """Fields every service has. Subclasses set ``model_config = service_config("<SVC>")``."""

    model_config = service_config("SERVICE")

    service_name: str = Field("openledger", description="name used in logs, metrics and traces")
    grpc_host: str = Field("127.0.0.1", description="address the gRPC server binds")
    grpc_port: int = Field(0, ge=0, le=65535, description="gRPC port; 0 picks a free one")
    metrics_host: str = Field("127.0.0.1", description="address the Prometheus endpoint binds")
    metrics_port: int | None = Field(
        None, ge=0, le=65535, description="Prometheus port; unset disables the endpoint"
    )
    max_message_bytes: int = Field(
        4 * 1024 * 1024, gt=0, description="largest request or response message accepted"
    )
    shutdown_grace_seconds: float = Field(
        10.0, ge=0, description="how long in-flight RPCs may finish after SIGTERM"
    )
    log_level: str = Field("INFO", description="root log level")
    log_json: bool = Field(True, description="structured JSON logs (false: plain text)")

    # Authentication between services and of users.
    service_token: SecretStr | None = Field(
        None, description="shared token other services present as 'authorization: Bearer'"
    )
    admin_addresses: list[str] = Field(
        default_factory=list, description="Ethereum addresses that hold the admin role"
    )
    signature_max_age_seconds: int = Field(
        300, gt=0, description="longest expiry window a signed request may claim"
    )
    deployment_id: str = Field(
        "openledger-local",
        description="signed requests bind to it, so a signature cannot replay on another network",
    )
    auth_nonce_store: Literal["memory", "redis"] = Field(
        "redis", description="where used request nonces live; 'memory' suits one replica only"
    )

    # TLS: server certificate and key enable TLS; a client CA also requires client certs (mTLS).
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    tls_client_ca_file: Path | None = None

    # Tracing: an OTLP/gRPC collector endpoint switches exporting on.
    otlp_endpoint: str | None = None

    # Shared infrastructure.
    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Redis for event streams")
    bus_consumer_name: str = Field(
        default_factory=socket.gethostname,
        description="stable per replica (the pod name): a restart replays its own pending events",
    )
    bus_concurrency: int = Field(16, gt=0, description="event handlers running at once")
    bus_visibility_timeout_seconds: float = Field(
        60.0, gt=0, description="an unacknowledged event this old is taken over by another replica"
    )
    bus_max_deliveries: int = Field(5, gt=0, description="deliveries before the dead-letter stream")
    bus_stream_maxlen: int = Field(1_000_000, gt=0, description="approximate stream length cap")
    database_url: str = Field("sqlite:///.run/openledger.db", description="SQLAlchemy URL")
    object_store_url: str = Field(".run/objects", description="local dir or fsspec URL")

    # Chains: the L1 and L2 JSON-RPC endpoints, the contracts' deployment manifest and the
    # service account that signs this service's transactions (a key file, never the key inline).
    l1_rpc_url: str = Field("http://127.0.0.1:8545", description="L1 Ethereum JSON-RPC")
    l2_rpc_url: str = Field("http://127.0.0.1:9545", description="L2 Ethereum JSON-RPC")
    deployment_manifest: Path = Field(
        Path(".run/deployments.json"), description="contract addresses and ABIs"
    )
    account_key_file: Path | None = Field(None, description="service account private key file")
    receipt_timeout_seconds: float = Field(120.0, gt=0, description="wait for a tx receipt")

    @field_validator("admin_addresses")
    @classmethod
    def _lowercase_addresses(cls, value: list[str]) -> list[str]:
        return [address.lower() for address in value]
