"""A restarted service keeps everything and finishes what the previous process left: datanets,
contributions and snapshots survive; a registration still REGISTERING, a snapshot job still
QUEUED and a PENDING contribution whose event was never published (a crash between the commit
and the publish) are all picked up on start."""

from __future__ import annotations

import asyncio
from pathlib import Path

from openledger.common.v1 import job_pb2
from openledger.datanet.v1 import contribution_pb2, datanet_pb2
from openledger.datanet.v1 import datanet_service_pb2 as pb
from openledger_datanet.adapters.repository import Repository
from openledger_datanet.domain.canonical import canonical_json, content_hash
from openledger_datanet.domain.curation import Policy
from openledger_datanet.domain.model import Datanet, NewContribution, new_id
from openledger_datanet.server import DatanetServer, create_datanet_server
from openledger_kit.testing.processes import RedisProcess
from services.datanet.tests.support import (
    SCHEMA,
    Chain,
    create_request,
    eventually,
    record,
    request_id,
    settings,
    sign_hash,
    stub,
    wait_active,
    wait_curated,
)

TEXTS = [
    "Bees communicate the direction of flowers to each other with a waggle dance.",
    "Glaciers carve wide valleys as they slowly move downhill under their own weight.",
    "A rainbow appears when sunlight is refracted and reflected inside raindrops.",
]
LATE = "Copper turns green over the years because it reacts with air and water slowly."


async def _started(chain: Chain, redis_url: str, state: Path) -> DatanetServer:
    server = await create_datanet_server(settings(chain, redis_url, state))
    await server.start()
    await server.wait_ready()
    return server


async def test_restart_keeps_state_and_resumes_work(
    chain: Chain, datanet_redis: RedisProcess, tmp_path: Path
) -> None:
    curator = await chain.account()
    alice = await chain.account()

    first = await _started(chain, datanet_redis.url, tmp_path)
    channel, api = stub(first.port, signer=curator)
    try:
        await api.CreateDatanet(create_request("dn-restart", curator.address))
        parent = "datanets/dn-restart"
        await wait_active(api, parent)
        alice_channel, alice_api = stub(first.port, signer=alice)
        submitted = await alice_api.SubmitContributions(
            pb.SubmitContributionsRequest(
                request_id=request_id(),
                parent=parent,
                records=[record(alice, {"text": t}) for t in TEXTS],
            )
        )
        await alice_channel.close()
        await wait_curated(api, parent, 3)
        created = await api.CreateSnapshot(
            pb.CreateSnapshotRequest(request_id=request_id(), parent=parent)
        )
        v1 = (
            await eventually(
                lambda: api.GetSnapshot(pb.GetSnapshotRequest(name=created.snapshot.name)),
                lambda r: r.snapshot.state == job_pb2.JOB_STATE_SUCCEEDED,
            )
        ).snapshot
        before = (await api.GetDatanet(pb.GetDatanetRequest(name=parent))).datanet
    finally:
        await channel.close()
        await first.stop(1.0)

    # While it is down: what a crash can leave behind.
    repository = await asyncio.to_thread(Repository.open, f"sqlite:///{tmp_path / 'datanet.db'}")
    try:
        await asyncio.to_thread(
            repository.create_datanet,
            Datanet(
                id="dn-unregistered",
                display_name="left REGISTERING",
                domain="testing",
                description="",
                record_schema=SCHEMA,
                policy=Policy.default(),
                stake_required=0,
                curator=curator.address,
            ),
        )
        content = {"text": LATE}
        digest = content_hash(content)
        late_id = new_id()
        await asyncio.to_thread(
            lambda: repository.add_contributions(
                "dn-restart",
                [
                    NewContribution(
                        id=late_id,
                        contributor=alice.address,
                        content=content,
                        content_hash=digest,
                        signature=sign_hash(alice, digest),
                        content_size_bytes=len(canonical_json(content)),
                    )
                ],
                request_id=request_id(),
            )
        )
    finally:
        await asyncio.to_thread(repository.close)

    second = await _started(chain, datanet_redis.url, tmp_path)
    channel, api = stub(second.port, signer=curator)
    try:
        # The unpublished contribution is published again on start and curated.
        await wait_curated(api, parent, 4)
        late = (
            await api.GetContribution(
                pb.GetContributionRequest(name=f"{parent}/contributions/{late_id}")
            )
        ).contribution
        assert late.status == contribution_pb2.CONTRIBUTION_STATUS_ACCEPTED
        assert late.accept_sequence == before.accepted_count + 1

        after = (await api.GetDatanet(pb.GetDatanetRequest(name=parent))).datanet
        assert (after.create_time, after.revision, after.curator) == (
            before.create_time,
            before.revision,
            before.curator,
        )
        for result in submitted.results:
            kept = (
                await api.GetContribution(pb.GetContributionRequest(name=result.contribution))
            ).contribution
            assert kept.status != contribution_pb2.CONTRIBUTION_STATUS_PENDING

        # The old snapshot is intact and still proves its records.
        kept_v1 = (await api.GetSnapshot(pb.GetSnapshotRequest(name=v1.name))).snapshot
        assert (kept_v1.state, kept_v1.merkle_root) == (v1.state, v1.merkle_root)
        proof = (
            await api.GetInclusionProof(pb.GetInclusionProofRequest(snapshot=v1.name, leaf_index=0))
        ).proof
        assert proof.merkle_root == v1.merkle_root

        # The registration left REGISTERING is finished.
        registered = await wait_active(api, "datanets/dn-unregistered")
        assert registered.state == datanet_pb2.DATANET_STATE_ACTIVE
    finally:
        await channel.close()
        await second.stop(1.0)


async def test_queued_snapshot_resumes_after_restart(
    chain: Chain, datanet_redis: RedisProcess, tmp_path: Path
) -> None:
    curator = await chain.account()
    first = await _started(chain, datanet_redis.url, tmp_path)
    channel, api = stub(first.port, signer=curator)
    try:
        await api.CreateDatanet(create_request("dn-resume-snap", curator.address))
        parent = "datanets/dn-resume-snap"
        await wait_active(api, parent)
        await api.SubmitContributions(
            pb.SubmitContributionsRequest(
                request_id=request_id(),
                parent=parent,
                records=[record(curator, {"text": t}) for t in TEXTS],
            )
        )
        await wait_curated(api, parent, 3)
    finally:
        await channel.close()
        await first.stop(1.0)

    repository = await asyncio.to_thread(Repository.open, f"sqlite:///{tmp_path / 'datanet.db'}")
    try:
        queued = await asyncio.to_thread(
            lambda: repository.create_snapshot_job("dn-resume-snap", creator=curator.address)
        )
    finally:
        await asyncio.to_thread(repository.close)

    second = await _started(chain, datanet_redis.url, tmp_path)
    channel, api = stub(second.port, signer=curator)
    try:
        done = (
            await eventually(
                lambda: api.GetSnapshot(pb.GetSnapshotRequest(name=queued.name)),
                lambda r: (
                    r.snapshot.state in (job_pb2.JOB_STATE_SUCCEEDED, job_pb2.JOB_STATE_FAILED)
                ),
            )
        ).snapshot
        assert done.state == job_pb2.JOB_STATE_SUCCEEDED, done
        assert done.record_count == 3 and done.anchor.tx_hash
    finally:
        await channel.close()
        await second.stop(1.0)
