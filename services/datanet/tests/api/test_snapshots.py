"""CreateSnapshot, GetSnapshot, ListSnapshots, ExportSnapshot and GetInclusionProof through the
real server: the root recomputed from the export equals the one anchored on the registry, the
JSONL file in the object store is the one the registry commits to, and every inclusion proof
verifies locally and with ``DatanetRegistry.verifyRecord``."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import grpc
import pytest

from openledger.common.v1 import job_pb2
from openledger.datanet.v1 import datanet_service_pb2 as pb
from openledger.datanet.v1 import datanet_service_pb2_grpc as pb_grpc
from openledger_datanet.adapters.snapshot_files import iter_parquet_records, root_from_jsonl
from openledger_datanet.api.convert import dict_to_struct, policy_to_proto, struct_to_dict
from openledger_datanet.cli import verify_proof
from openledger_datanet.domain.canonical import content_hash
from openledger_datanet.domain.corpus import Corpus, Label, generate_corpus
from openledger_datanet.domain.merkle import MerkleTree, leaf_hash
from openledger_datanet.domain.model import chain_datanet_id
from openledger_datanet.server import DatanetServer
from openledger_kit.chain import ServiceAccount
from openledger_kit.contracts import DatanetRegistry
from openledger_kit.server import error_info
from openledger_kit.store import open_store
from services.datanet.tests.support import (
    SERVICE_TOKEN,
    Chain,
    create_request,
    eventually,
    record,
    request_id,
    stub,
    wait_active,
    wait_curated,
)

CLEAN = [r.content for r in generate_corpus(300, seed=7).by_label(Label.CLEAN)]


async def _populated(
    api: pb_grpc.DatanetServiceStub, datanet_id: str, contributors: list[ServiceAccount], n: int
) -> str:
    """A datanet with ``n`` clean records spread over ``contributors``, all curated."""
    request = create_request(
        datanet_id,
        contributors[0].address,
        schema=Corpus(records=[], seed=0).schema,
        curation_policy=policy_to_proto(Corpus.policy()),
    )
    await api.CreateDatanet(request)
    parent = f"datanets/{datanet_id}"
    await wait_active(api, parent)
    return parent


async def _snapshot(api: pb_grpc.DatanetServiceStub, parent: str) -> pb.GetSnapshotResponse:
    created = await api.CreateSnapshot(
        pb.CreateSnapshotRequest(request_id=request_id(), parent=parent)
    )
    assert created.snapshot.state in (
        job_pb2.JOB_STATE_QUEUED,
        job_pb2.JOB_STATE_RUNNING,
        job_pb2.JOB_STATE_SUCCEEDED,
    )
    done: pb.GetSnapshotResponse = await eventually(
        lambda: api.GetSnapshot(pb.GetSnapshotRequest(name=created.snapshot.name)),
        lambda r: r.snapshot.state in (job_pb2.JOB_STATE_SUCCEEDED, job_pb2.JOB_STATE_FAILED),
        what="snapshot finished",
    )
    assert done.snapshot.state == job_pb2.JOB_STATE_SUCCEEDED, done.snapshot
    return done


@pytest.fixture(scope="module")
async def snapshotted(
    server: DatanetServer, chain: Chain
) -> AsyncIterator[tuple[str, pb.GetSnapshotResponse, list[ServiceAccount]]]:
    """A datanet of 30 records by 3 contributors with one SUCCEEDED snapshot."""
    people = [await chain.account() for _ in range(3)]
    curator_channel, curator = stub(server.port, signer=people[0])
    parent = await _populated(curator, "dn-snap", people, 30)
    for i, person in enumerate(people):
        channel, api = stub(server.port, signer=person)
        await api.SubmitContributions(
            pb.SubmitContributionsRequest(
                request_id=request_id(),
                parent=parent,
                records=[record(person, c) for c in CLEAN[i * 10 : (i + 1) * 10]],
            )
        )
        await channel.close()
    await wait_curated(curator, parent, 30)
    done = await _snapshot(curator, parent)
    yield parent, done, people
    await curator_channel.close()


async def test_export_recomputes_the_anchored_root(
    server: DatanetServer,
    chain: Chain,
    snapshotted: tuple[str, pb.GetSnapshotResponse, list[ServiceAccount]],
) -> None:
    parent, done, _ = snapshotted
    snap = done.snapshot
    channel, reader = stub(server.port)
    try:
        datanet = (await reader.GetDatanet(pb.GetDatanetRequest(name=parent))).datanet
        assert snap.record_count == datanet.accepted_count > 0
        assert datanet.latest_snapshot == snap.name
        records = []
        async for message in reader.ExportSnapshot(pb.ExportSnapshotRequest(name=snap.name)):
            records.extend(message.records)
        assert [r.index for r in records] == list(range(snap.record_count))
        leaves = []
        for r in records:
            assert content_hash(struct_to_dict(r.content)) == r.curated_content_hash
            leaf = leaf_hash(
                r.index, r.record_id, r.contributor, r.content_hash, r.curated_content_hash
            )
            assert leaf == r.leaf_hash
            leaves.append(leaf)
        root = MerkleTree(leaves).root
        assert root == snap.merkle_root
        assert snap.contributor_count == len({r.contributor for r in records}) == 3

        registry = await DatanetRegistry.load(chain.manifest, chain.l2)
        anchored = await registry.snapshot(chain_datanet_id("dn-snap"), snap.sequence)
        assert anchored is not None
        assert anchored.merkle_root == root
        assert anchored.record_count == snap.record_count
        assert anchored.jsonl_sha256 == snap.jsonl.sha256
        assert snap.anchor.status == 2  # CHAIN_TRANSACTION_STATUS_SUCCEEDED

        # The files in the object store: the JSONL the registry commits to, and the Parquet.
        store = open_store(server.settings.object_store_url)
        jsonl = store.get_bytes(f"sha256:{snap.jsonl.sha256.hex()}")
        assert hashlib.sha256(jsonl).digest() == anchored.jsonl_sha256
        assert root_from_jsonl(store, f"sha256:{snap.jsonl.sha256.hex()}") == (
            root,
            snap.record_count,
        )
        parquet = list(iter_parquet_records(store, f"sha256:{snap.parquet.sha256.hex()}"))
        assert [p.leaf_hash for p in parquet] == leaves

        # Ranges and omitted content.
        part = []
        async for message in reader.ExportSnapshot(
            pb.ExportSnapshotRequest(name=snap.name, start_index=5, end_index=9, omit_content=True)
        ):
            part.extend(message.records)
        assert [r.index for r in part] == [5, 6, 7, 8]
        assert not part[0].HasField("content")
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            async for _ in reader.ExportSnapshot(
                pb.ExportSnapshotRequest(name=snap.name, start_index=snap.record_count + 1)
            ):
                pass
        assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        await channel.close()


async def test_inclusion_proofs_verify_locally_and_on_chain(
    server: DatanetServer,
    chain: Chain,
    snapshotted: tuple[str, pb.GetSnapshotResponse, list[ServiceAccount]],
) -> None:
    _, done, _ = snapshotted
    snap = done.snapshot
    channel, reader = stub(server.port)
    registry = await DatanetRegistry.load(chain.manifest, chain.l2)
    try:
        for index in range(snap.record_count):
            proof = (
                await reader.GetInclusionProof(
                    pb.GetInclusionProofRequest(snapshot=snap.name, leaf_index=index)
                )
            ).proof
            assert proof.merkle_root == snap.merkle_root
            assert verify_proof(proof)
            assert await registry.verify_record(
                chain_datanet_id("dn-snap"),
                snap.sequence,
                proof.leaf_hash,
                list(proof.sibling_hashes),
            )
        by_id = (
            await reader.GetInclusionProof(
                pb.GetInclusionProofRequest(snapshot=snap.name, record_id=proof.record.record_id)
            )
        ).proof
        assert by_id.leaf_index == snap.record_count - 1
        # A tampered leaf does not verify, on chain either.
        forged = bytes(32)
        assert not await registry.verify_record(
            chain_datanet_id("dn-snap"), snap.sequence, forged, list(proof.sibling_hashes)
        )
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await reader.GetInclusionProof(
                pb.GetInclusionProofRequest(snapshot=snap.name, leaf_index=snap.record_count)
            )
        assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await reader.GetInclusionProof(
                pb.GetInclusionProofRequest(snapshot=snap.name, record_id="not-in-it")
            )
        assert failed.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await reader.GetInclusionProof(pb.GetInclusionProofRequest(snapshot=snap.name))
        assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        await channel.close()


async def test_snapshot_permissions_and_listing(
    server: DatanetServer,
    chain: Chain,
    snapshotted: tuple[str, pb.GetSnapshotResponse, list[ServiceAccount]],
) -> None:
    parent, done, people = snapshotted
    curator_channel, curator = stub(server.port, signer=people[0])
    other_channel, other = stub(server.port, signer=people[1])
    service_channel, service = stub(server.port, token=SERVICE_TOKEN)
    try:
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await other.CreateSnapshot(
                pb.CreateSnapshotRequest(request_id=request_id(), parent=parent)
            )
        assert failed.value.code() == grpc.StatusCode.PERMISSION_DENIED

        # A service may take snapshots; the same request id returns the same snapshot.
        request = pb.CreateSnapshotRequest(
            request_id=request_id(), parent=parent, description="svc"
        )
        first = (await service.CreateSnapshot(request)).snapshot
        again = (await service.CreateSnapshot(request)).snapshot
        assert first.name == again.name == f"{parent}/snapshots/v2"
        await eventually(
            lambda: curator.GetSnapshot(pb.GetSnapshotRequest(name=first.name)),
            lambda r: r.snapshot.state == job_pb2.JOB_STATE_SUCCEEDED,
        )
        listed = await curator.ListSnapshots(pb.ListSnapshotsRequest(parent=parent))
        assert [s.name for s in listed.snapshots] == [first.name, done.snapshot.name]
        succeeded = await curator.ListSnapshots(
            pb.ListSnapshotsRequest(parent="datanets/-", states=[job_pb2.JOB_STATE_SUCCEEDED])
        )
        assert {first.name, done.snapshot.name} <= {s.name for s in succeeded.snapshots}

        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await curator.GetSnapshot(pb.GetSnapshotRequest(name=f"{parent}/snapshots/v99"))
        assert failed.value.code() == grpc.StatusCode.NOT_FOUND

        # A datanet with nothing accepted cannot be snapshotted.
        await curator.CreateDatanet(create_request("dn-empty", people[0].address))
        await wait_active(curator, "datanets/dn-empty")
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await curator.CreateSnapshot(
                pb.CreateSnapshotRequest(request_id=request_id(), parent="datanets/dn-empty")
            )
        assert failed.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        info = error_info(failed.value)
        assert info is not None and info.reason == "NO_ACCEPTED_RECORDS"
    finally:
        await curator_channel.close()
        await other_channel.close()
        await service_channel.close()


def test_struct_roundtrip_keeps_the_content_hash() -> None:
    content = {"topic": "a", "text": "b", "n": 1.0, "nested": {"list": [1, "x", None, True]}}
    assert content_hash(struct_to_dict(dict_to_struct(content))) == content_hash(content)
