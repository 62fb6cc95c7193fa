"""The modelfactory service's settings: ``OL_MODELFACTORY_*`` environment variables.

The shared fields (ports, Redis, database, object store, chains, the service account key file,
auth) come from ``ServiceSettings``; the fields here are this service's own. The training
driver (``python -m openledger_modelfactory.driver``) reads the same variables, so a RayJob on
Kubernetes gets its configuration the way the service does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from openledger_kit.config import ServiceSettings, service_config

Role = Literal["api", "worker", "all"]
Launcher = Literal["local", "kuberay"]


class Settings(ServiceSettings):
    """Every setting of the modelfactory service (env prefix ``OL_MODELFACTORY_``)."""

    model_config = service_config("MODELFACTORY")

    service_name: str = Field("modelfactory", description="name used in logs, metrics and traces")
    grpc_port: int = Field(50054, ge=0, le=65535, description="gRPC port; 0 picks a free one")
    database_url: str = Field(
        "sqlite:///.run/modelfactory/modelfactory.db", description="SQLAlchemy URL"
    )
    object_store_url: str = Field(
        ".run/objects", description="adapters, features, datasets: dir or fsspec URL"
    )
    role: Role = Field(
        "all", description="api: the gRPC server; worker: the job runner; all: both in one process"
    )

    # Other services.
    datanet_addr: str = Field("127.0.0.1:50053", description="datanet gRPC address (host:port)")
    datanet_tls: bool = Field(False, description="use TLS towards the datanet service")

    # Base models.
    catalogue_file: Path | None = Field(
        None, description="YAML catalogue of base models (default: the packaged catalogue)"
    )
    model_cache_dir: Path = Field(
        Path(".run/models"),
        description="where packaged base models are built and hub models cached",
    )

    # Jobs and Ray.
    ray_address: str | None = Field(
        None, description="Ray cluster address (ray://... or host:port); unset: a local Ray"
    )
    launcher: Launcher = Field(
        "local",
        description="local: a driver subprocess per job; kuberay: a KubeRay RayJob per job",
    )
    kuberay_namespace: str = Field("default", description="namespace of the RayJobs")
    kuberay_image: str = Field("", description="image of the RayJob's Ray containers")
    checkpoint_dir: str = Field(
        ".run/modelfactory/ray", description="Ray Train storage path (dir or fsspec URL)"
    )
    work_dir: Path = Field(
        Path(".run/modelfactory/work"), description="per-job scratch space of the drivers"
    )
    max_concurrent_jobs: int = Field(1, gt=0, description="jobs this runner trains at once")
    max_active_jobs_per_owner: int = Field(
        4, gt=0, description="QUEUED/RUNNING/CANCELLING jobs one owner may have"
    )
    worker_memory_bytes: int | None = Field(
        None, gt=0, description="memory of one Ray worker; larger estimates are refused"
    )
    runner_poll_seconds: float = Field(
        1.0, gt=0, description="how often queued jobs are looked for"
    )
    progress_interval_seconds: float = Field(
        2.0, gt=0, description="how often rank 0 reports progress to the service"
    )

    # Chain.
    account_key_file: Path | None = Field(
        None,
        description="key file of the account holding ModelRegistry's REGISTRAR and CATALOGUE roles",
    )
    chain_required: bool = Field(
        True, description="gate readiness on the L2 and the deployment manifest"
    )
