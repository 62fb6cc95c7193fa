"""Size limits of SubmitContributions on a server configured with small ones: an oversize
record is refused by itself, an oversize batch as a whole with RESOURCE_EXHAUSTED."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest

from openledger.datanet.v1 import datanet_service_pb2 as pb
from openledger_datanet.server import DatanetServer, create_datanet_server
from openledger_kit.server import error_info
from openledger_kit.testing.processes import RedisProcess
from services.datanet.tests.support import (
    Chain,
    create_request,
    record,
    request_id,
    settings,
    stub,
    wait_active,
)


@pytest.fixture(scope="module")
async def server(
    chain: Chain, datanet_redis: RedisProcess, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[DatanetServer]:
    running = await create_datanet_server(
        settings(
            chain,
            datanet_redis.url,
            tmp_path_factory.mktemp("datanet-limits"),
            max_record_bytes=1024,
            max_batch_bytes=4096,
            max_records_per_batch=20,
        )
    )
    await running.start()
    await running.wait_ready()
    yield running
    await running.stop(1.0)


async def test_oversize_record_and_batch(server: DatanetServer, chain: Chain) -> None:
    alice = await chain.account()
    channel, api = stub(server.port, signer=alice)
    try:
        await api.CreateDatanet(create_request("dn-limits", alice.address))
        await wait_active(api, "datanets/dn-limits")
        big = record(alice, {"text": "y" * 2000})
        fine = record(alice, {"text": "A record well under the limit of one kilobyte."})
        response = await api.SubmitContributions(
            pb.SubmitContributionsRequest(
                request_id=request_id(), parent="datanets/dn-limits", records=[fine, big]
            )
        )
        assert response.queued_count == 1
        error = response.results[1].error
        assert (
            pb.SubmissionErrorReason.Name(error.reason)
            == "SUBMISSION_ERROR_REASON_RECORD_TOO_LARGE"
        )
        assert error.message.startswith("records[1].content")

        batch = [record(alice, {"text": f"{i:04d} " + "z" * 900}) for i in range(6)]
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await api.SubmitContributions(
                pb.SubmitContributionsRequest(
                    request_id=request_id(), parent="datanets/dn-limits", records=batch
                )
            )
        assert failed.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        info = error_info(failed.value)
        assert info is not None and info.reason == "BATCH_TOO_LARGE"
        assert info.metadata["field"] == "records"

        too_many = [
            record(alice, {"text": f"record number {i} of a long batch"}) for i in range(21)
        ]
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await api.SubmitContributions(
                pb.SubmitContributionsRequest(
                    request_id=request_id(), parent="datanets/dn-limits", records=too_many
                )
            )
        assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        await channel.close()
