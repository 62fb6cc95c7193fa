"""The attribution service's settings: ``OL_ATTRIBUTION_*`` environment variables.

The shared fields (ports, Redis, database, object store, chains, the deployment manifest, the
service account key file, auth, the bus consumer's name, concurrency and visibility timeout)
come from ``ServiceSettings``; the fields here are this service's own: its role, the base-model
catalogue and caches, the settlement loop, and the scoring recipe (policy, spans, influence).
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Literal

from pydantic import Field

from openledger_kit.config import ServiceSettings, service_config

Role = Literal["api", "worker", "all"]


class Settings(ServiceSettings):
    """Every setting of the attribution service (env prefix ``OL_ATTRIBUTION_``)."""

    model_config = service_config("ATTRIBUTION")

    service_name: str = Field("attribution", description="name used in logs, metrics and traces")
    grpc_port: int = Field(50057, ge=0, le=65535, description="gRPC port; 0 picks a free one")
    database_url: str = Field(
        "sqlite:///.run/attribution/attribution.db", description="SQLAlchemy URL"
    )
    object_store_url: str = Field(
        ".run/objects",
        description="snapshots, adapters and features are read, indexes and evidence written: "
        "dir or fsspec URL (the platform's shared store)",
    )
    role: Role = Field(
        "all",
        description="api: the gRPC server; worker: the completion consumer and the settlement "
        "loop; all: both in one process",
    )
    worker_name: str = Field(
        default_factory=socket.gethostname,
        description="this worker's consumer name and settlement lease owner: stable per replica "
        "(the pod name), unique in the fleet",
    )

    # Base models and local caches.
    catalogue_file: Path | None = Field(
        None, description="YAML catalogue of base models (default: the packaged catalogue)"
    )
    model_cache_dir: Path = Field(
        Path(".run/models"),
        description="where packaged base models are built and hub models cached",
    )
    index_cache_dir: Path = Field(
        Path(".run/attribution/indexes"),
        description="span indexes memory-mapped from here (fetched from the object store)",
    )
    gradient_cache_dir: Path = Field(
        Path(".run/attribution/adapters"),
        description="adapters and their gradient features fetched from the object store",
    )

    # Settlement on the L2 (``AttributionRewards``).
    settlement_batch_size: int = Field(
        32, gt=0, description="settlements sent in one settleBatch transaction at most"
    )
    settlement_interval_seconds: float = Field(
        1.0, gt=0, description="pause between settlement rounds with nothing to do"
    )
    settlement_lease_seconds: float = Field(
        60.0,
        gt=0,
        description="a claimed settlement is invisible to other workers this long; it must "
        "outlast one settleBatch with its receipt",
    )
    settlement_confirmations: int = Field(
        0, ge=0, description="blocks on top of a settlement's block before it is CONFIRMED"
    )
    settlement_max_attempts: int = Field(
        5, gt=0, description="sends of one settlement before it is FAILED (RETRIES_EXHAUSTED)"
    )
    params_refresh_seconds: float = Field(
        5.0,
        ge=0,
        description="ProtocolParams (threshold, fee split) are checked for changes this often",
    )

    # Method choice (``domain.policy.PolicyConfig``).
    span_weight_bps: int = Field(
        5_000, gt=0, lt=10_000, description="COMBINED: weight of the span scores (bps)"
    )
    gradient_only_max_parameters: int = Field(
        0, ge=0, description="base models this small (and with features) use GRADIENT alone"
    )
    span_only_min_parameters: int = Field(
        7_000_000_000, gt=0, description="base models this large use SPAN even with features"
    )

    # Span matching (``spans.attribution.SpanParameters``).
    span_min_tokens: int = Field(3, ge=1, description="shorter spans are ignored")
    span_max_count: int = Field(
        100, ge=1, description="spans occurring more often in the snapshot are ignored"
    )
    span_keep_fraction: float = Field(
        0.05, gt=0, le=1, description="at most ceil(fraction x output tokens) spans, the rarest"
    )
    span_max_documents: int = Field(
        10, ge=1, description="at most this many records share one span's credit"
    )

    # Gradient influence (``influence.scoring.InfluenceParameters``).
    influence_damping: float = Field(
        0.1, gt=0, description="damping, relative to the features' mean Fisher eigenvalue"
    )
    influence_top_examples: int = Field(
        10, ge=0, description="most influential records kept from the scorer"
    )
    influence_negative_z: float = Field(
        3.0, ge=0, description="standard deviations below zero a contributor is reported at"
    )
    max_examples: int = Field(20, ge=0, description="influential records kept in the evidence")

    # Scoring is CPU bound, so a worker runs about as many completions at once as it has
    # cores, and takes no more than that from the stream at a time: a burst is then shared out
    # across the fleet instead of queueing behind whichever worker read first.
    bus_concurrency: int = Field(
        2, gt=0, description="completions one worker scores at once, and reads at a time"
    )

    adapter_wait_seconds: float = Field(
        30.0,
        ge=0,
        description="a completion may arrive before its AdapterPublished or SnapshotPublished: "
        "how long scoring waits for them before retrying later",
    )

    # Chain.
    account_key_file: Path | None = Field(
        None,
        description="key file of the settler account holding AttributionRewards' "
        "ATTRIBUTION_ROLE (workers); the API only reads the chain",
    )
    chain_required: bool = Field(
        True, description="gate readiness on the L2 and the deployment manifest"
    )
