"""``openledger train``: the model owner's command line.

    openledger train models
    openledger train schema [--base-model baseModels/x] [--out schema.json]
    openledger train create job.yaml --key-file owner.key [--watch] [--validate-only]
    openledger train watch jobs/ID
    openledger train status jobs/ID
    openledger train jobs [--owner 0x...]
    openledger train cancel jobs/ID --key-file owner.key
    openledger train adapters [--adapter-id x]
    openledger train export adapters/x@1 --out DIR --key-file owner.key [--features]

A job file is YAML (or JSON): a ``TrainingJobConfig`` in its proto3 JSON form (the published
JSON Schema, ``openledger train schema``) plus an optional top-level ``display_name``. It is
checked against the server's schema before it is sent, so a typo is caught with its path. The
service is found at ``--addr`` (default ``$OL_MODELFACTORY_ADDR``, which ``openledger up``
exports); requests are signed with the key in ``--key-file`` for ``--deployment-id``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import grpc
import jsonschema
import typer
import yaml
from google.protobuf import json_format
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from openledger.common.v1 import job_pb2
from openledger.modelfactory.v1 import job_config_pb2, training_job_pb2
from openledger.modelfactory.v1 import modelfactory_service_pb2 as pb
from openledger.modelfactory.v1 import modelfactory_service_pb2_grpc as pb_grpc
from openledger_kit.chain import load_account
from openledger_kit.client import connect
from openledger_kit.server import error_info

T = TypeVar("T")

DEFAULT_ADDR = "127.0.0.1:50054"
DEFAULT_DEPLOYMENT = "openledger-local"
TERMINAL = (job_pb2.JOB_STATE_SUCCEEDED, job_pb2.JOB_STATE_FAILED, job_pb2.JOB_STATE_CANCELLED)

app = typer.Typer(
    help="ModelFactory: base models, LoRA training jobs, adapters.", no_args_is_help=True
)

AddrOption = Annotated[
    str | None,
    typer.Option("--addr", help="modelfactory service host:port (default $OL_MODELFACTORY_ADDR)"),
]
KeyOption = Annotated[Path, typer.Option("--key-file", help="hex private key file that signs")]
DeploymentOption = Annotated[
    str, typer.Option("--deployment-id", help="deployment the signatures bind to")
]


def _stub(
    addr: str | None, key_file: Path | None = None, deployment_id: str = DEFAULT_DEPLOYMENT
) -> tuple[grpc.aio.Channel, pb_grpc.ModelFactoryServiceStub]:
    signer = load_account(file=key_file) if key_file is not None else None
    channel = connect(
        addr or os.environ.get("OL_MODELFACTORY_ADDR", DEFAULT_ADDR),
        signer=signer,
        deployment_id=deployment_id if signer is not None else None,
    )
    return channel, pb_grpc.ModelFactoryServiceStub(channel)  # type: ignore[no-untyped-call]


def _run(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``work``; a failed RPC is printed with its reason and exits 1."""
    try:
        return asyncio.run(work())
    except grpc.aio.AioRpcError as err:
        info = error_info(err)
        reason = f" [{info.reason}]" if info is not None else ""
        typer.echo(f"error: {err.code().name}{reason}: {err.details()}", err=True)
        raise typer.Exit(1) from None


def _name(prefix: str, value: str) -> str:
    return value if value.startswith(f"{prefix}/") else f"{prefix}/{value}"


def load_job_file(path: Path, json_schema: str) -> tuple[str, job_config_pb2.TrainingJobConfig]:
    """``(display_name, config)`` from a job file, checked against the published schema."""
    text = path.read_text()
    data = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
    if not isinstance(data, dict):
        raise typer.BadParameter(f"{path} must hold a mapping")
    display_name = str(data.pop("display_name", ""))
    validator = jsonschema.Draft202012Validator(json.loads(json_schema))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        raise typer.BadParameter(f"{path}: {where}: {first.message}")
    return display_name, json_format.ParseDict(data, job_config_pb2.TrainingJobConfig())


def _state(state: int) -> str:
    return job_pb2.JobState.Name(state).removeprefix("JOB_STATE_")


async def follow_job(
    stub: pb_grpc.ModelFactoryServiceStub, name: str
) -> AsyncIterator[training_job_pb2.TrainingJobUpdate]:
    """The job's updates from ``WatchJob``, reconnecting when the stream breaks before the job
    ends (the first update after a reconnect is the current state, so nothing is lost)."""
    while True:
        try:
            async for response in stub.WatchJob(pb.WatchJobRequest(name=name)):
                yield response.update
                if response.update.state in TERMINAL:
                    return
        except grpc.aio.AioRpcError as err:
            if err.code() != grpc.StatusCode.UNAVAILABLE:
                raise
        await asyncio.sleep(1.0)


async def watch_with_progress(
    stub: pb_grpc.ModelFactoryServiceStub, name: str, console: Console | None = None
) -> list[training_job_pb2.TrainingJobUpdate]:
    """Show a job's progress as a bar fed by ``WatchJob``; returns every update received, the
    terminal one last."""
    updates: list[training_job_pb2.TrainingJobUpdate] = []
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[detail]}"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as progress:
        bar = progress.add_task(name, total=1.0, detail="")
        async for update in follow_job(stub, name):
            updates.append(update)
            detail = f"{_state(update.state):<10} step {update.step}/{update.total_steps}"
            if update.loss:
                detail += f" loss {update.loss:.3f}"
            if update.tokens_per_second:
                detail += f" {update.tokens_per_second:,.0f} tok/s"
            if update.message:
                detail += f" · {update.message}"
            progress.update(bar, completed=update.progress, detail=detail)
    return updates


def _print_update(update: training_job_pb2.TrainingJobUpdate) -> None:
    typer.echo(f"{update.job}: {_state(update.state)}")
    if update.adapter:
        typer.echo(f"  adapter {update.adapter}")
    if update.error_reason:
        typer.echo(f"  failed: {update.error_reason}: {update.error_message}")


@app.command()
def models(addr: AddrOption = None) -> None:
    """List the base-model catalogue."""

    async def work() -> None:
        channel, stub = _stub(addr)
        async with channel:
            response = await stub.ListBaseModels(pb.ListBaseModelsRequest(page_size=500))
        for model in response.base_models:
            status = "available" if model.available else f"unavailable: {model.unavailable_reason}"
            typer.echo(
                f"{model.name:<36} {model.parameter_count / 1e6:8.1f}M params, "
                f"context {model.context_length}, max LoRA rank {model.max_lora_rank}, {status}"
            )

    _run(work)


@app.command()
def schema(
    addr: AddrOption = None,
    base_model: Annotated[str, typer.Option("--base-model", help="estimates for this model")] = "",
    out: Annotated[Path | None, typer.Option("--out", help="write the JSON Schema here")] = None,
) -> None:
    """Print the job-config JSON Schema's id and the presets with their memory estimates."""

    async def work() -> None:
        channel, stub = _stub(addr)
        async with channel:
            response = await stub.GetJobConfigSchema(
                pb.GetJobConfigSchemaRequest(
                    base_model=_name("baseModels", base_model) if base_model else ""
                )
            )
        if hashlib.sha256(response.json_schema.encode()).digest() != response.schema_sha256:
            raise typer.BadParameter("the schema does not match its sha256")
        if out is not None:
            out.write_text(response.json_schema)
        typer.echo(f"schema {response.schema_id} sha256 {response.schema_sha256.hex()}")
        for preset in response.presets:
            typer.echo(f"preset {preset.name}: {preset.description}")
            for estimate in preset.memory_estimates:
                typer.echo(
                    f"  {estimate.base_model:<36} {estimate.total_bytes / 2**20:9.0f} MiB "
                    f"{'GPU' if estimate.on_gpu else 'host'}"
                )

    _run(work)


@app.command()
def create(
    job_file: Annotated[Path, typer.Argument(help="job config (YAML or JSON)")],
    key_file: KeyOption,
    addr: AddrOption = None,
    deployment_id: DeploymentOption = DEFAULT_DEPLOYMENT,
    watch: Annotated[bool, typer.Option("--watch", help="follow the job until it ends")] = False,
    validate_only: Annotated[
        bool, typer.Option("--validate-only", help="resolve and check the config; create nothing")
    ] = False,
) -> None:
    """Create a training job from a job file."""

    async def work() -> None:
        channel, stub = _stub(addr, key_file, deployment_id)
        async with channel:
            published = await stub.GetJobConfigSchema(pb.GetJobConfigSchemaRequest())
            display_name, config = load_job_file(job_file, published.json_schema)
            response = await stub.CreateTrainingJob(
                pb.CreateTrainingJobRequest(
                    request_id="" if validate_only else str(uuid.uuid4()),
                    training_job=training_job_pb2.TrainingJob(
                        display_name=display_name, config=config
                    ),
                    validate_only=validate_only,
                )
            )
            job = response.training_job
            if validate_only:
                typer.echo(json_format.MessageToJson(job.config, preserving_proto_field_name=True))
                typer.echo(f"memory per worker ≈ {job.memory_estimate.total_bytes / 2**20:.0f} MiB")
                return
            typer.echo(f"created {job.name} ({_state(job.state)})")
            if watch:
                final = (await watch_with_progress(stub, job.name))[-1]
                _print_update(final)
                if final.state != job_pb2.JOB_STATE_SUCCEEDED:
                    raise typer.Exit(1)

    _run(work)


@app.command()
def watch(job: str, addr: AddrOption = None) -> None:
    """Follow a job with a progress bar until it ends."""

    async def work() -> None:
        channel, stub = _stub(addr)
        async with channel:
            final = (await watch_with_progress(stub, _name("jobs", job)))[-1]
        _print_update(final)
        if final.state != job_pb2.JOB_STATE_SUCCEEDED:
            raise typer.Exit(1)

    _run(work)


@app.command()
def status(job: str, addr: AddrOption = None) -> None:
    """Print one job as JSON."""

    async def work() -> None:
        channel, stub = _stub(addr)
        async with channel:
            response = await stub.GetJob(pb.GetJobRequest(name=_name("jobs", job)))
        typer.echo(
            json_format.MessageToJson(response.training_job, preserving_proto_field_name=True)
        )

    _run(work)


@app.command()
def jobs(
    addr: AddrOption = None,
    owner: Annotated[str, typer.Option("--owner", help="only this owner's jobs")] = "",
) -> None:
    """List training jobs, newest first."""

    async def work() -> None:
        channel, stub = _stub(addr)
        async with channel:
            response = await stub.ListJobs(pb.ListJobsRequest(owner=owner, page_size=100))
        for job in response.training_jobs:
            typer.echo(
                f"{job.name}  {_state(job.state):<10} {job.progress:4.0%}  "
                f"{job.config.adapter_id:<24} {job.adapter or job.error_reason}"
            )

    _run(work)


@app.command()
def cancel(
    job: str,
    key_file: KeyOption,
    addr: AddrOption = None,
    deployment_id: DeploymentOption = DEFAULT_DEPLOYMENT,
) -> None:
    """Cancel a job."""

    async def work() -> None:
        channel, stub = _stub(addr, key_file, deployment_id)
        async with channel:
            response = await stub.CancelJob(pb.CancelJobRequest(name=_name("jobs", job)))
        typer.echo(f"{response.training_job.name}: {_state(response.training_job.state)}")

    _run(work)


@app.command()
def adapters(
    addr: AddrOption = None,
    adapter_id: Annotated[
        str, typer.Option("--adapter-id", help="only this adapter's versions")
    ] = "",
) -> None:
    """List adapters with their lineage."""

    async def work() -> None:
        channel, stub = _stub(addr)
        async with channel:
            response = await stub.ListAdapters(
                pb.ListAdaptersRequest(adapter_id=adapter_id, page_size=100)
            )
        for adapter in response.adapters:
            snapshots = ", ".join(s.snapshot for s in adapter.snapshots)
            typer.echo(
                f"{adapter.name:<32} on {adapter.base_model} from {snapshots}; eval loss "
                f"{adapter.metrics.eval_loss:.3f}; sha256 {adapter.adapter_sha256.hex()[:16]}…"
            )

    _run(work)


@app.command()
def export(
    adapter: str,
    out: Annotated[Path, typer.Option("--out", help="directory to write the files into")],
    key_file: KeyOption,
    addr: AddrOption = None,
    deployment_id: DeploymentOption = DEFAULT_DEPLOYMENT,
    features: Annotated[
        bool, typer.Option("--features", help="also the attribution features (owner only)")
    ] = False,
) -> None:
    """Download an adapter's files, checking each file's sha256."""

    async def work() -> None:
        out.mkdir(parents=True, exist_ok=True)
        channel, stub = _stub(addr, key_file, deployment_id)
        digests: dict[str, Any] = {}
        async with channel:
            stream = stub.ExportAdapter(
                pb.ExportAdapterRequest(
                    name=_name("adapters", adapter), include_attribution_features=features
                )
            )
            async for chunk in stream:
                path = out / Path(chunk.file_name).name
                with path.open("r+b" if chunk.offset else "wb") as f:
                    f.seek(chunk.offset)
                    f.write(chunk.data)
                digest = digests.setdefault(chunk.file_name, hashlib.sha256())
                digest.update(chunk.data)
                if chunk.last_chunk:
                    if digest.digest() != chunk.file_sha256:
                        raise typer.BadParameter(f"{chunk.file_name}: sha256 mismatch")
                    typer.echo(f"{path} ({chunk.file_size} bytes, sha256 ok)")

    _run(work)
