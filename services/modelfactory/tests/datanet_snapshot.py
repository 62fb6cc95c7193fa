"""A real datanet server with one SUCCEEDED snapshot, for the tests that read snapshots
(``adapters.datanet``) and train on them (the driver). Import ``datanet_snapshot`` (with
``platform`` and ``contract_artifacts``) into a test module or conftest.

The datanet runs in this process on the session's platform deployment and a Redis of its own
(its streams have fixed keys); its records are clean texts from the datanet's test corpus, by
two contributors, curated by the real curation pipeline.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from openledger.common.v1 import job_pb2
from openledger.datanet.v1 import datanet_service_pb2 as pb
from openledger_datanet.api.convert import policy_to_proto
from openledger_datanet.domain.corpus import Corpus, Label, generate_corpus
from openledger_datanet.server import create_datanet_server
from openledger_kit.testing.processes import running_redis
from services.datanet.tests.support import (
    SERVICE_TOKEN,
    create_request,
    eventually,
    record,
    request_id,
    settings,
    stub,
    wait_active,
    wait_curated,
)
from services.modelfactory.tests.chain_platform import Platform

__all__ = ["DatanetSnapshot", "datanet_snapshot"]

RECORDS = 24
DATANET_ID = "mf-training"


@dataclass(frozen=True)
class DatanetSnapshot:
    addr: str
    service_token: str
    name: str
    merkle_root: bytes
    record_count: int
    schema: dict[str, Any]
    contents: list[dict[str, Any]]
    """The submitted contents (curation may normalise them; the texts here are clean)."""


@pytest.fixture(scope="session")
async def datanet_snapshot(
    platform: Platform, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[DatanetSnapshot]:
    state = tmp_path_factory.mktemp("mf-datanet")
    clean = [r.content for r in generate_corpus(120, seed=11).by_label(Label.CLEAN)][:RECORDS]
    assert len(clean) == RECORDS
    with running_redis(state / "redis") as redis:
        server = await create_datanet_server(
            settings(platform.datanet, redis.url, state, admin_addresses=[])
        )
        await server.start()
        await server.wait_ready()
        people = [await platform.datanet.account() for _ in range(2)]
        curator_channel, curator = stub(server.port, signer=people[0])
        try:
            await curator.CreateDatanet(
                create_request(
                    DATANET_ID,
                    people[0].address,
                    schema=Corpus(records=[], seed=0).schema,
                    curation_policy=policy_to_proto(Corpus.policy()),
                )
            )
            parent = f"datanets/{DATANET_ID}"
            await wait_active(curator, parent)
            half = RECORDS // 2
            for i, person in enumerate(people):
                channel, api = stub(server.port, signer=person)
                await api.SubmitContributions(
                    pb.SubmitContributionsRequest(
                        request_id=request_id(),
                        parent=parent,
                        records=[record(person, c) for c in clean[i * half : (i + 1) * half]],
                    )
                )
                await channel.close()
            await wait_curated(curator, parent, RECORDS)
            created = await curator.CreateSnapshot(
                pb.CreateSnapshotRequest(request_id=request_id(), parent=parent)
            )
            done: pb.GetSnapshotResponse = await eventually(
                lambda: curator.GetSnapshot(pb.GetSnapshotRequest(name=created.snapshot.name)),
                lambda r: (
                    r.snapshot.state in (job_pb2.JOB_STATE_SUCCEEDED, job_pb2.JOB_STATE_FAILED)
                ),
                what="snapshot finished",
            )
            assert done.snapshot.state == job_pb2.JOB_STATE_SUCCEEDED, done.snapshot
            yield DatanetSnapshot(
                addr=f"127.0.0.1:{server.port}",
                service_token=SERVICE_TOKEN,
                name=done.snapshot.name,
                merkle_root=bytes(done.snapshot.merkle_root),
                record_count=done.snapshot.record_count,
                schema=dict(Corpus(records=[], seed=0).schema),
                contents=clean,
            )
        finally:
            await curator_channel.close()
            await server.stop(1.0)
