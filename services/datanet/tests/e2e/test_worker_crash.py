"""A curation worker killed with SIGKILL mid-curation loses nothing: the API runs in this
process, the worker in a real subprocess; after the kill a new worker process with the same
consumer name replays the pending entries, and every contribution ends curated exactly once
(counters consistent, ``accept_sequence`` gapless)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from openledger.datanet.v1 import contribution_pb2
from openledger.datanet.v1 import datanet_service_pb2 as pb
from openledger_datanet.api.convert import policy_to_proto
from openledger_datanet.domain.corpus import Corpus, generate_corpus
from openledger_datanet.server import create_datanet_server
from openledger_kit.testing.processes import RedisProcess
from services.datanet.tests.support import (
    SERVICE_TOKEN,
    Chain,
    create_request,
    eventually,
    record,
    request_id,
    settings,
    settings_env,
    stub,
    wait_active,
    wait_curated,
)

pytestmark = pytest.mark.slow

N = 3000


def _spawn_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "openledger_datanet", "--role", "worker"],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


async def test_sigkilled_worker_loses_nothing(
    chain: Chain, datanet_redis: RedisProcess, tmp_path: Path
) -> None:
    api_settings = settings(chain, datanet_redis.url, tmp_path, role="api")
    worker_settings = settings(
        chain,
        datanet_redis.url,
        tmp_path,
        role="worker",
        bus_consumer_name="crash-test-worker",
        curation_batch_size=64,
        curation_concurrency=64,
    )
    api = await create_datanet_server(api_settings)
    await api.start()
    await api.wait_ready()
    worker: subprocess.Popen[bytes] | None = None
    log = tmp_path / "worker.log"
    curator = await chain.account()
    contributors = [await chain.account() for _ in range(5)]
    channel, client = stub(api.port, signer=curator)
    service_channel, service = stub(api.port, token=SERVICE_TOKEN)
    try:
        await client.CreateDatanet(
            create_request(
                "dn-crash",
                curator.address,
                schema=Corpus(records=[], seed=0).schema,
                curation_policy=policy_to_proto(Corpus.policy()),
            )
        )
        parent = "datanets/dn-crash"
        await wait_active(client, parent)
        corpus = generate_corpus(N, seed=11)
        records = [
            record(contributors[i % len(contributors)], r.content)
            for i, r in enumerate(corpus.records)
        ]
        stored: set[str] = set()
        for start in range(0, N, 500):
            response = await service.SubmitContributions(
                pb.SubmitContributionsRequest(
                    request_id=request_id(), parent=parent, records=records[start : start + 500]
                )
            )
            assert response.failed_count == 0
            stored.update(r.contribution for r in response.results)
        # Exact copies by the same contributor are one contribution (already_submitted).
        total = len(stored)

        worker = _spawn_worker(settings_env(worker_settings), log)

        async def curated() -> int:
            d = (await client.GetDatanet(pb.GetDatanetRequest(name=parent))).datanet
            return int(d.accepted_count + d.rejected_count)

        at_kill = await eventually(curated, lambda n: n >= 200, timeout=120, what="curation began")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        assert worker.returncode == -signal.SIGKILL
        at_kill = await curated()
        assert at_kill < total, "the worker finished before it was killed: nothing was tested"

        worker = _spawn_worker(settings_env(worker_settings), log)
        await wait_curated(client, parent, total, timeout=300)

        datanet = (await client.GetDatanet(pb.GetDatanetRequest(name=parent))).datanet
        assert datanet.pending_count == 0
        assert datanet.accepted_count + datanet.rejected_count == total
        sequences: list[int] = []
        statuses: dict[int, int] = {}
        token = ""
        while True:
            page = await client.ListContributions(
                pb.ListContributionsRequest(
                    parent=parent, page_size=1000, page_token=token, omit_content=True
                )
            )
            for c in page.contributions:
                statuses[c.status] = statuses.get(c.status, 0) + 1
                if c.status == contribution_pb2.CONTRIBUTION_STATUS_ACCEPTED:
                    sequences.append(c.accept_sequence)
            token = page.next_page_token
            if not token:
                break
        assert statuses.get(contribution_pb2.CONTRIBUTION_STATUS_PENDING, 0) == 0
        assert sum(statuses.values()) == total
        # Every accepted contribution got exactly one place in the acceptance order.
        assert sorted(sequences) == list(range(1, datanet.accepted_count + 1))
        # Contributor counters add up to the datanet's (each outcome applied once).
        totals = [0, 0]
        for person in contributors:
            standing = (
                await client.GetContributor(
                    pb.GetContributorRequest(name=f"{parent}/contributors/{person.address}")
                )
            ).contributor
            totals[0] += standing.accepted_count
            totals[1] += standing.rejected_count
            assert standing.pending_count == 0
        assert totals == [datanet.accepted_count, datanet.rejected_count]
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
        await channel.close()
        await service_channel.close()
        await api.stop(1.0)
