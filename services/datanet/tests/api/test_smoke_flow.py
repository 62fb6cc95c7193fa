"""Smoke: a datanet from creation to an anchored snapshot through the real server."""

from __future__ import annotations

from prometheus_client import generate_latest

from openledger.common.v1 import job_pb2
from openledger.datanet.v1 import contribution_pb2
from openledger.datanet.v1 import datanet_service_pb2 as pb
from openledger_datanet.server import DatanetServer
from services.datanet.tests.support import (
    Chain,
    create_request,
    eventually,
    record,
    request_id,
    stub,
    wait_active,
    wait_curated,
)


async def test_create_submit_curate_snapshot(server: DatanetServer, chain: Chain) -> None:
    curator = await chain.account()
    alice = await chain.account()
    channel, curator_stub = stub(server.port, signer=curator)
    alice_channel, alice_stub = stub(server.port, signer=alice)
    try:
        created = await curator_stub.CreateDatanet(create_request("smoke-one", curator.address))
        name = created.datanet.name
        await wait_active(curator_stub, name)
        texts = [
            "The heart pumps blood through a network of arteries and veins every second.",
            "Regular exercise lowers blood pressure in most adults over several months.",
            "The heart pumps blood through a network of arteries and veins every second.",
        ]
        response = await alice_stub.SubmitContributions(
            pb.SubmitContributionsRequest(
                request_id=request_id(),
                parent=name,
                records=[record(alice, {"text": t}) for t in texts],
            )
        )
        assert response.queued_count == 3, response
        await wait_curated(curator_stub, name, 2)
        listed = await curator_stub.ListContributions(pb.ListContributionsRequest(parent=name))
        statuses = [c.status for c in listed.contributions]
        assert statuses.count(contribution_pb2.CONTRIBUTION_STATUS_ACCEPTED) == 2, listed
        snapshot = await curator_stub.CreateSnapshot(
            pb.CreateSnapshotRequest(request_id=request_id(), parent=name)
        )
        done = await eventually(
            lambda: curator_stub.GetSnapshot(pb.GetSnapshotRequest(name=snapshot.snapshot.name)),
            lambda r: r.snapshot.state in (job_pb2.JOB_STATE_SUCCEEDED, job_pb2.JOB_STATE_FAILED),
        )
        assert done.snapshot.state == job_pb2.JOB_STATE_SUCCEEDED, done.snapshot
        assert done.snapshot.record_count == 2

        # The service's own metrics, in the server's registry (served on the metrics port).
        exposed = generate_latest(server.grpc.metrics_registry).decode()
        assert 'openledger_datanet_contributions_curated_total{outcome="ACCEPTED"}' in exposed
        assert 'openledger_datanet_contributions_submitted_total{result="duplicate"} 1.0' in exposed
        assert 'openledger_datanet_snapshot_duration_seconds_count{state="SUCCEEDED"}' in exposed
    finally:
        await channel.close()
        await alice_channel.close()
