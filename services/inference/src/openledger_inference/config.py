"""The inference service's settings. A node reads ``OL_INFERENCE_*``; the pool router, a
separate process of the same service, reads ``OL_INFERENCE_ROUTER_*``. The shared fields
(ports, Redis, database, object store, chains, key file, auth) come from ``ServiceSettings``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from openledger_kit.config import ServiceSettings, service_config

EngineName = Literal["torch", "vllm"]


class NodeSettings(ServiceSettings):
    """An inference node (env prefix ``OL_INFERENCE_``)."""

    model_config = service_config("INFERENCE")

    service_name: str = Field("inference", description="name used in logs, metrics and traces")
    grpc_port: int = Field(50055, ge=0, le=65535, description="gRPC port; 0 picks a free one")
    database_url: str = Field(
        "sqlite:///.run/inference/node.db",
        description="SQLAlchemy URL: completions (idempotency, metering outbox)",
    )
    object_store_url: str = Field(
        ".run/objects", description="where ModelFactory stored the adapters: dir or fsspec URL"
    )

    # Model and engine.
    base_model: str = Field(
        "smollm2-135m-instruct", description="catalogue id of the base model this node serves"
    )
    catalogue_file: Path | None = Field(
        None, description="YAML catalogue of base models (default: the packaged catalogue)"
    )
    model_cache_dir: Path = Field(
        Path(".run/models"), description="where packaged base models are built"
    )
    engine: EngineName = Field("torch", description="torch (CPU or one GPU) or vllm (GPU)")
    device: str = Field("cpu", description="torch engine device: cpu or cuda[:n]")
    max_concurrent_requests: int = Field(8, gt=0, description="requests batched together")
    max_queued_requests: int = Field(
        64, ge=0, description="requests waiting for a batch slot; beyond: RESOURCE_EXHAUSTED"
    )
    max_loras: int = Field(8, gt=0, description="adapters in the GPU tier (servable at once)")
    max_cpu_loras: int = Field(16, gt=0, description="adapters staged in host memory")
    max_lora_rank: int = Field(64, gt=0, description="largest LoRA rank accepted")
    max_context_tokens: int | None = Field(
        None, gt=0, description="context window served; default: the base model's"
    )
    gpu_memory_utilization: float = Field(
        0.9, gt=0, le=1, description="vLLM: fraction of GPU memory for weights and KV cache"
    )

    # Adapter cache.
    adapter_cache_dir: Path = Field(
        Path(".run/inference/adapters"), description="DISK tier: fetched, hash-checked adapters"
    )
    adapter_cache_max_bytes: int = Field(
        10 * 1024**3, gt=0, description="DISK tier size; least recently used adapters go first"
    )
    prefetch: bool = Field(
        True, description="fetch newly published adapters of the base model into the DISK tier"
    )
    modelfactory_addr: str = Field(
        "127.0.0.1:50054", description="ModelFactory gRPC address: adapter descriptors"
    )
    modelfactory_tls: bool = Field(False, description="use TLS towards ModelFactory")

    # Pool membership (all unset: the node serves outside a pool).
    router_addr: str | None = Field(
        None, description="pool router gRPC address; unset: no pool membership"
    )
    router_tls: bool = Field(False, description="use TLS towards the router")
    advertise_endpoint: str | None = Field(
        None, description="host:port the router reaches this node at (default: host:grpc_port)"
    )
    provider_key_file: Path | None = Field(
        None, description="key file of the provider account that signs registration, heartbeats"
    )
    node_metadata_file: Path | None = Field(
        None, description="the provider's public node metadata (JSON); its keccak is registered"
    )

    # Chain.
    chain_required: bool = Field(
        True, description="gate readiness on the L2 and the deployment manifest"
    )


class RouterSettings(ServiceSettings):
    """The inference pool router (env prefix ``OL_INFERENCE_ROUTER_``)."""

    model_config = service_config("INFERENCE_ROUTER")

    service_name: str = Field(
        "inference-router", description="name used in logs, metrics and traces"
    )
    grpc_port: int = Field(50056, ge=0, le=65535, description="gRPC port; 0 picks a free one")
    http_host: str = Field("127.0.0.1", description="address the OpenAI-compatible API binds")
    http_port: int | None = Field(
        8000, ge=0, le=65535, description="OpenAI-compatible HTTP port; unset: no HTTP API"
    )
    database_url: str = Field(
        "sqlite:///.run/inference/router.db", description="SQLAlchemy URL: pool membership"
    )
    heartbeat_interval_seconds: float = Field(2.0, gt=0, description="nodes heartbeat this often")
    lease_seconds: float = Field(6.0, gt=0, description="how long a heartbeat keeps a node ACTIVE")
    removal_grace_seconds: float = Field(
        60.0, gt=0, description="how long an UNHEALTHY node may come back before REMOVED"
    )
    modelfactory_addr: str = Field(
        "127.0.0.1:50054", description="ModelFactory gRPC address: an adapter's base model"
    )
    modelfactory_tls: bool = Field(False, description="use TLS towards ModelFactory")
    node_tls: bool = Field(False, description="use TLS towards the nodes")
    openai_keys_file: Path | None = Field(
        None,
        description="JSON object of OpenAI API key → payer address; unset: the HTTP API "
        "answers keyless requests billed to `openai_default_payer`",
    )
    openai_default_payer: str | None = Field(
        None, description="payer of keyless OpenAI requests; unset: a key is required"
    )
    chain_required: bool = Field(
        True, description="gate readiness on the L2 and the deployment manifest"
    )
