"""``openledger datanet``: the curator's and contributor's command line.

    openledger datanet create spec.yaml --key-file curator.key
    openledger datanet contribute medical-qa records.jsonl --key-file alice.key
    openledger datanet status medical-qa [--contributor 0x...] [--contribution ID]
    openledger datanet snapshot medical-qa --key-file curator.key
    openledger datanet proof datanets/medical-qa/snapshots/v1 RECORD_ID [--on-chain]

The service is found at ``--addr`` (default ``$OL_DATANET_ADDR``, which ``openledger up``
exports); requests are signed with the key in ``--key-file`` for ``--deployment-id``.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import grpc
import typer
import yaml
from google.protobuf import json_format

from openledger.common.v1 import job_pb2
from openledger.datanet.v1 import contribution_pb2, curation_pb2, datanet_pb2
from openledger.datanet.v1 import datanet_service_pb2 as pb
from openledger.datanet.v1 import datanet_service_pb2_grpc as pb_grpc
from openledger_datanet.adapters.chain import RegistryGateway
from openledger_datanet.api.convert import dict_to_struct, struct_to_dict
from openledger_datanet.domain.canonical import content_hash
from openledger_datanet.domain.merkle import MerkleTree, leaf_hash
from openledger_datanet.domain.model import chain_datanet_id
from openledger_kit.chain import load_account
from openledger_kit.client import connect
from openledger_kit.server import error_info

T = TypeVar("T")

DEFAULT_ADDR = "127.0.0.1:50053"
DEFAULT_DEPLOYMENT = "openledger-local"

app = typer.Typer(
    help="Datanets: create, contribute, status, snapshot, proof.", no_args_is_help=True
)

AddrOption = Annotated[
    str | None, typer.Option("--addr", help="datanet service host:port (default $OL_DATANET_ADDR)")
]
KeyOption = Annotated[Path, typer.Option("--key-file", help="hex private key file that signs")]
DeploymentOption = Annotated[
    str, typer.Option("--deployment-id", help="deployment the signatures bind to")
]


def _addr(addr: str | None) -> str:
    return addr or os.environ.get("OL_DATANET_ADDR", DEFAULT_ADDR)


def _datanet(value: str) -> str:
    return value if value.startswith("datanets/") else f"datanets/{value}"


def _stub(
    addr: str | None, key_file: Path | None = None, deployment_id: str = DEFAULT_DEPLOYMENT
) -> tuple[grpc.aio.Channel, pb_grpc.DatanetServiceStub]:
    signer = load_account(file=key_file) if key_file is not None else None
    channel = connect(
        _addr(addr),
        signer=signer,
        deployment_id=deployment_id if signer is not None else None,
        options=[("grpc.max_send_message_length", 32 * 1024 * 1024)],
    )
    return channel, pb_grpc.DatanetServiceStub(channel)  # type: ignore[no-untyped-call]


def _run(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``work``; a failed RPC is printed with its reason and exits 1."""
    try:
        return asyncio.run(work())
    except grpc.aio.AioRpcError as err:
        info = error_info(err)
        reason = f" [{info.reason}]" if info is not None else ""
        typer.echo(f"error: {err.code().name}{reason}: {err.details()}", err=True)
        raise typer.Exit(1) from None


def _load_spec(path: Path) -> dict[str, Any]:
    text = path.read_text()
    data = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
    if not isinstance(data, dict):
        raise typer.BadParameter(f"{path} must hold a mapping")
    return data


def spec_request(spec: dict[str, Any], curator: str) -> pb.CreateDatanetRequest:
    """A ``CreateDatanetRequest`` from a spec file's mapping (``id``, ``display_name``,
    ``domain``, ``description``, ``record_schema``, ``curation_policy`` in the proto's JSON
    field names, ``stake_required``, optional ``curator``)."""
    policy = curation_pb2.CurationPolicy()
    if "curation_policy" in spec:
        json_format.ParseDict(spec["curation_policy"], policy)
    datanet = datanet_pb2.Datanet(
        display_name=str(spec.get("display_name", spec["id"])),
        domain=str(spec.get("domain", "general")),
        description=str(spec.get("description", "")),
        record_schema=dict_to_struct(spec["record_schema"]),
        stake_required=str(spec.get("stake_required", "0")),
        curator=str(spec.get("curator", curator)),
    )
    if "curation_policy" in spec:
        datanet.curation_policy.CopyFrom(policy)
    return pb.CreateDatanetRequest(
        request_id=str(spec.get("request_id", uuid.uuid4())),
        datanet_id=spec["id"],
        datanet=datanet,
    )


def signed_record(account: Any, content: dict[str, Any]) -> contribution_pb2.ContributionRecord:
    """One record signed by ``account``: EIP-191 over the keccak256 of its canonical JSON."""
    from eth_account.messages import encode_defunct

    digest = content_hash(content)
    signature = account.sign_message(encode_defunct(primitive=digest)).signature
    return contribution_pb2.ContributionRecord(
        content=dict_to_struct(content),
        contributor=account.address,
        content_hash=digest,
        signature=bytes(signature),
    )


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open() as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                value = json.loads(line)
                if not isinstance(value, dict):
                    raise typer.BadParameter(f"{path}:{number} is not a JSON object")
                yield value


@app.command()
def create(
    spec: Annotated[Path, typer.Argument(help="datanet spec, YAML or JSON")],
    key_file: KeyOption,
    addr: AddrOption = None,
    deployment_id: DeploymentOption = DEFAULT_DEPLOYMENT,
    wait: Annotated[bool, typer.Option(help="wait until registered on chain")] = True,
) -> None:
    """Create a datanet from a spec file; the key's address is the curator."""
    data = _load_spec(spec)

    async def work() -> None:
        channel, stub = _stub(addr, key_file, deployment_id)
        try:
            curator = load_account(file=key_file).address
            created = await stub.CreateDatanet(spec_request(data, curator))
            datanet = created.datanet
            while wait and datanet.state == datanet_pb2.DATANET_STATE_REGISTERING:
                await asyncio.sleep(0.5)
                datanet = (await stub.GetDatanet(pb.GetDatanetRequest(name=datanet.name))).datanet
            typer.echo(
                f"{datanet.name}: {datanet_pb2.DatanetState.Name(datanet.state)}, curator "
                f"{datanet.curator}, stake required {datanet.stake_required} wei"
            )
            if datanet.registration.tx_hash:
                typer.echo(
                    f"registered on L2 in tx 0x{datanet.registration.tx_hash.hex()} "
                    f"(block {datanet.registration.block_number})"
                )
        finally:
            await channel.close()

    _run(work)


@app.command()
def contribute(
    datanet: Annotated[str, typer.Argument(help="datanet id or name")],
    records: Annotated[Path, typer.Argument(help="JSON Lines file, one record object a line")],
    key_file: KeyOption,
    addr: AddrOption = None,
    deployment_id: DeploymentOption = DEFAULT_DEPLOYMENT,
    batch_size: Annotated[int, typer.Option(help="records per request", min=1, max=1000)] = 500,
) -> None:
    """Sign every record of a JSONL file with the key and submit them in batches."""
    account = load_account(file=key_file)
    parent = _datanet(datanet)

    async def work() -> None:
        channel, stub = _stub(addr, key_file, deployment_id)
        queued = failed = duplicates = 0
        try:
            batch: list[contribution_pb2.ContributionRecord] = []

            async def send() -> None:
                nonlocal queued, failed, duplicates
                response = await stub.SubmitContributions(
                    pb.SubmitContributionsRequest(
                        request_id=str(uuid.uuid4()), parent=parent, records=batch
                    )
                )
                queued += response.queued_count
                failed += response.failed_count
                for result in response.results:
                    duplicates += result.already_submitted
                    if result.HasField("error"):
                        typer.echo(f"  refused: {result.error.message}", err=True)
                batch.clear()

            for content in _jsonl(records):
                batch.append(signed_record(account, content))
                if len(batch) >= batch_size:
                    await send()
            if batch:
                await send()
        finally:
            await channel.close()
        typer.echo(f"{parent}: {queued} queued ({duplicates} already submitted), {failed} refused")

    _run(work)


@app.command()
def status(
    datanet: Annotated[str, typer.Argument(help="datanet id or name")],
    contributor: Annotated[str | None, typer.Option(help="a contributor's address")] = None,
    contribution: Annotated[str | None, typer.Option(help="a contribution id")] = None,
    addr: AddrOption = None,
) -> None:
    """A datanet's counts, or one contributor's standing, or one contribution's outcome."""
    parent = _datanet(datanet)

    async def work() -> None:
        channel, stub = _stub(addr)
        try:
            if contribution:
                found = await stub.GetContribution(
                    pb.GetContributionRequest(name=f"{parent}/contributions/{contribution}")
                )
                c = found.contribution
                typer.echo(
                    f"{c.name}: {contribution_pb2.ContributionStatus.Name(c.status)}"
                    + (f", accept_sequence {c.accept_sequence}" if c.accept_sequence else "")
                )
                for rejection in c.rejections:
                    typer.echo(
                        f"  {curation_pb2.RejectionReason.Name(rejection.reason)}: "
                        f"{rejection.detail}"
                    )
                for redaction in c.pii_redactions:
                    typer.echo(
                        f"  redacted {redaction.count} x "
                        f"{curation_pb2.PiiType.Name(redaction.pii_type)} in "
                        f"{redaction.field_path}"
                    )
            elif contributor:
                found_c = await stub.GetContributor(
                    pb.GetContributorRequest(name=f"{parent}/contributors/{contributor}")
                )
                p = found_c.contributor
                typer.echo(
                    f"{p.address}: stake {p.stake} wei, {p.accepted_count} accepted, "
                    f"{p.rejected_count} rejected, {p.pending_count} pending, reputation "
                    f"{p.reputation:.3f}, slashed {p.total_slashed} wei"
                )
                for penalty in p.penalties:
                    typer.echo(f"  penalty {penalty.id}: {penalty.amount} wei, {penalty.detail}")
            else:
                d = (await stub.GetDatanet(pb.GetDatanetRequest(name=parent))).datanet
                typer.echo(
                    f"{d.name} ({d.display_name}): {datanet_pb2.DatanetState.Name(d.state)}, "
                    f"{d.accepted_count} accepted, {d.rejected_count} rejected, "
                    f"{d.pending_count} pending, {d.contributor_count} contributors, "
                    f"latest snapshot {d.latest_snapshot or '-'}"
                )
        finally:
            await channel.close()

    _run(work)


@app.command()
def snapshot(
    datanet: Annotated[str, typer.Argument(help="datanet id or name")],
    key_file: KeyOption,
    addr: AddrOption = None,
    deployment_id: DeploymentOption = DEFAULT_DEPLOYMENT,
    description: Annotated[str, typer.Option(help="what the snapshot is for")] = "",
    wait: Annotated[bool, typer.Option(help="wait for a terminal state")] = True,
) -> None:
    """Take a snapshot (the curator's key) and wait until it is anchored."""
    parent = _datanet(datanet)

    async def work() -> None:
        channel, stub = _stub(addr, key_file, deployment_id)
        try:
            created = await stub.CreateSnapshot(
                pb.CreateSnapshotRequest(
                    request_id=str(uuid.uuid4()), parent=parent, description=description
                )
            )
            s = created.snapshot
            terminal = (job_pb2.JOB_STATE_SUCCEEDED, job_pb2.JOB_STATE_FAILED)
            while wait and s.state not in terminal:
                await asyncio.sleep(0.5)
                s = (await stub.GetSnapshot(pb.GetSnapshotRequest(name=s.name))).snapshot
            typer.echo(f"{s.name}: {job_pb2.JobState.Name(s.state)}")
            if s.state == job_pb2.JOB_STATE_SUCCEEDED:
                typer.echo(
                    f"  {s.record_count} records from {s.contributor_count} contributors, "
                    f"root 0x{s.merkle_root.hex()}, anchored in tx 0x{s.anchor.tx_hash.hex()} "
                    f"(block {s.anchor.block_number})"
                )
                typer.echo(f"  jsonl {s.jsonl.uri}\n  parquet {s.parquet.uri}")
            elif s.state == job_pb2.JOB_STATE_FAILED:
                typer.echo(f"  {s.error_reason}: {s.error_message}")
                raise typer.Exit(1)
        finally:
            await channel.close()

    _run(work)


def verify_proof(proof: Any) -> bool:
    """Recompute the leaf from the record's fields (the curated content's hash included) and
    fold the siblings up to the root."""
    record = proof.record
    curated = content_hash(struct_to_dict(record.content))
    if curated != record.curated_content_hash:
        return False
    leaf = leaf_hash(
        record.index,
        record.record_id,
        record.contributor,
        record.content_hash,
        record.curated_content_hash,
    )
    return leaf == proof.leaf_hash and MerkleTree.verify(
        leaf, list(proof.sibling_hashes), proof.merkle_root
    )


@app.command()
def proof(
    snapshot_name: Annotated[str, typer.Argument(help="datanets/{id}/snapshots/v{n}")],
    record_id: Annotated[str, typer.Argument(help="the record's contribution id")],
    addr: AddrOption = None,
    on_chain: Annotated[
        bool, typer.Option(help="also check the root and the proof on the DatanetRegistry")
    ] = False,
    l2_rpc: Annotated[
        str, typer.Option(envvar="OL_L2_RPC_URL", help="L2 JSON-RPC for --on-chain")
    ] = "http://127.0.0.1:9545",
    manifest: Annotated[
        Path, typer.Option(envvar="OL_DEPLOYMENT_MANIFEST", help="deployment manifest")
    ] = Path(".run/deployments.json"),
) -> None:
    """Fetch a record's inclusion proof and verify it locally (and on chain)."""

    async def work() -> None:
        channel, stub = _stub(addr)
        try:
            found = await stub.GetInclusionProof(
                pb.GetInclusionProofRequest(snapshot=snapshot_name, record_id=record_id)
            )
        finally:
            await channel.close()
        p = found.proof
        ok = verify_proof(p)
        typer.echo(
            f"record {record_id} is leaf {p.leaf_index} of {p.record_count} in {p.snapshot}; "
            f"{len(p.sibling_hashes)} siblings; root 0x{p.merkle_root.hex()}"
        )
        typer.echo(f"local verification: {'OK' if ok else 'FAILED'}")
        if on_chain:
            datanet_id = p.snapshot.split("/")[1]
            sequence = int(p.snapshot.rsplit("/v", 1)[1])
            gateway = RegistryGateway(l2_rpc, manifest, None)
            try:
                anchored = await gateway.anchored_root(chain_datanet_id(datanet_id), sequence)
                verified = await gateway.verify_record(
                    chain_datanet_id(datanet_id), sequence, p.leaf_hash, list(p.sibling_hashes)
                )
            finally:
                await gateway.close()
            same = anchored == p.merkle_root
            typer.echo(
                f"anchored root {'matches' if same else 'DIFFERS'}; "
                f"DatanetRegistry.verifyRecord: {verified}"
            )
            ok = ok and same and verified
        if not ok:
            raise typer.Exit(1)

    _run(work)
