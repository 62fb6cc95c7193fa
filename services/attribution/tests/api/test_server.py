"""The attribution server (role ``all``) on port 0 over real Redis, SQLite, the planted
platform's object store and tiny model, and the L2 anvil: the catalogue and completions are
published onto the real streams, the server's own worker scores them and its settlement loop
settles them on ``AttributionRewards``; every RPC is then called through a real channel, its
happy path and its errors (status, and the field named in ``BadRequest``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from eth_account import Account
from eth_utils.crypto import keccak
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health_pb2, health_pb2_grpc

from openledger.attribution.v1 import attribution_pb2, settlement_pb2
from openledger.attribution.v1 import attribution_service_pb2 as pb
from openledger.attribution.v1 import attribution_service_pb2_grpc as pb_grpc
from openledger.events.v1 import inference_events_pb2
from openledger_attribution.adapters.bus import COMPLETION_STREAM
from openledger_attribution.api.servicer import SERVICE_NAME
from openledger_attribution.config import Settings
from openledger_attribution.server import AttributionServer, create_attribution_server
from openledger_kit import bus
from openledger_kit.bus import Publisher, catalogue, new_event_id
from openledger_kit.client import connect
from openledger_kit.contracts.bindings.l2 import AttributionRewards
from openledger_kit.server import bad_request
from openledger_kit.testing.processes import RedisProcess
from services.attribution.tests.settlement.conftest import Chain
from services.attribution.tests.support.planted import PlantedPlatform

pytestmark = pytest.mark.slow

DEPLOYMENT_ID = "openledger-test-attribution"
TOKEN = "attribution-test-token"
REDIS_DB = 7
"""A database of the session's Redis of this module's own: its streams and consumer group
start empty whatever other modules published."""
WAIT_SECONDS = 240.0
"""A guard against a hung pipeline (under pytest-timeout's 300 s), not a timing expectation."""
FEE = 10**15


@dataclass
class Served:
    server: AttributionServer
    planted: PlantedPlatform
    chain: Chain
    settled: list[str]
    """Inference ids of completions reproducing records 0, 1, 2, 0 (CONFIRMED)."""
    base_only: str
    """Inference id of a base-model-only completion (NOT_ATTRIBUTABLE, settled)."""


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.2)


def stub(
    port: int, **credentials: object
) -> tuple[grpc.aio.Channel, pb_grpc.AttributionServiceStub]:
    if not credentials:
        credentials = {"token": TOKEN}
    channel = connect(f"127.0.0.1:{port}", **credentials)  # type: ignore[arg-type]
    return channel, pb_grpc.AttributionServiceStub(channel)  # type: ignore[no-untyped-call]


@pytest.fixture(scope="module")
async def served(
    chain: Chain,
    planted: PlantedPlatform,
    redis_server: RedisProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Served]:
    state = tmp_path_factory.mktemp("attribution-api")
    key_file = state / "settler.key"
    key_file.write_text("0x" + bytes(chain.settlers[0].key).hex())
    redis_url = redis_server.url.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    redis = bus.connect(redis_url)
    await redis.flushdb()
    settings = Settings(
        grpc_port=0,
        role="all",
        worker_name="api-test",
        redis_url=redis_url,
        database_url=f"sqlite:///{state / 'attribution.db'}",
        object_store_url=planted.store_url,
        model_cache_dir=planted.cache_dir,
        index_cache_dir=state / "indexes",
        gradient_cache_dir=state / "adapters",
        l2_rpc_url=chain.l2_url,
        deployment_manifest=chain.platform.manifest_path,
        account_key_file=key_file,
        service_token=TOKEN,
        deployment_id=DEPLOYMENT_ID,
        auth_nonce_store="memory",
        settlement_interval_seconds=0.2,
        params_refresh_seconds=0.0,
        adapter_wait_seconds=60.0,
        shutdown_grace_seconds=5.0,
        log_json=False,
    )
    server = await create_attribution_server(settings)
    await server.start()
    await server.wait_ready()

    inference = Publisher(redis, source="inference")
    await inference.publish(catalogue.DATANET_SNAPSHOT, planted.snapshot_event)
    await inference.publish(catalogue.MODELFACTORY_ADAPTER, planted.adapter_event)
    settled = []
    for record in (0, 1, 2, 0):
        _, event = planted.completion(record, inference_id=new_event_id(), fee=FEE)
        await inference.publish(COMPLETION_STREAM, event)
        settled.append(event.inference_id)
    _, template = planted.completion(3, inference_id=new_event_id())
    base_only = inference_events_pb2.CompletionRecorded()
    base_only.CopyFrom(template)
    base_only.adapter = ""
    base_only.adapter_sha256 = b""
    await inference.publish(COMPLETION_STREAM, base_only)

    async def confirmed() -> bool:
        for inference_id in [*settled, base_only.inference_id]:
            settlement = await asyncio.to_thread(server.repository.latest_settlement, inference_id)
            if settlement is None or settlement.state.value != "CONFIRMED":
                return False
        return True

    await eventually(confirmed, "every completion settled")
    yield Served(server, planted, chain, settled, base_only.inference_id)
    await server.stop(1.0)
    await redis.aclose()


async def refused(call: Awaitable[object]) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await call
    return failed.value


def violated_field(error: grpc.aio.AioRpcError) -> str:
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    details = bad_request(error)
    assert details is not None, error
    return str(details.field_violations[0].field)


async def test_health_and_auth(served: Served) -> None:
    channel, api = stub(served.server.port)
    health = health_pb2_grpc.HealthStub(channel)
    reply = await health.Check(health_pb2.HealthCheckRequest(service=SERVICE_NAME))
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    await channel.close()

    anonymous = connect(f"127.0.0.1:{served.server.port}")
    api = pb_grpc.AttributionServiceStub(anonymous)  # type: ignore[no-untyped-call]
    name = f"attributions/{served.settled[0]}"
    unsigned = await refused(api.GetAttribution(pb.GetAttributionRequest(name=name)))
    assert unsigned.code() == grpc.StatusCode.UNAUTHENTICATED
    await anonymous.close()

    # Any address may sign.
    channel, api = stub(served.server.port, signer=Account.create(), deployment_id=DEPLOYMENT_ID)
    signed = await api.GetAttribution(pb.GetAttributionRequest(name=name))
    assert signed.attribution.name == name
    await channel.close()


async def test_get_attribution(served: Served) -> None:
    channel, api = stub(served.server.port)
    planted = served.planted
    for record, inference_id in zip((0, 1, 2, 0), served.settled, strict=True):
        reply = await api.GetAttribution(
            pb.GetAttributionRequest(name=f"attributions/{inference_id}", include_evidence=True)
        )
        attribution = reply.attribution
        assert attribution.state == attribution_pb2.ATTRIBUTION_STATE_COMPLETED
        assert attribution.inference_id == inference_id
        assert attribution.adapter == planted.adapter.ref
        assert attribution.snapshot == planted.snapshot.name
        assert attribution.method != attribution_pb2.ATTRIBUTION_METHOD_UNSPECIFIED
        assert (
            attribution.contributors[0].contributor_address == planted.records[record].contributor
        )
        assert attribution.contributor_count == len(attribution.contributors) > 0
        assert attribution.parameters.scorer_version
        split = attribution.fee_split
        assert split.fee == str(FEE)
        assert (
            int(split.contributors_amount)
            + int(split.model_owner_amount)
            + int(split.protocol_amount)
            == FEE
        )
        assert sum(int(c.amount) for c in attribution.contributors) == int(
            split.contributors_amount
        )
        assert keccak(reply.evidence_bytes) == attribution.evidence_hash
        assert attribution.evidence_uri
        assert attribution.settlement.startswith("settlements/")
        assert attribution.settlement_state == settlement_pb2.SETTLEMENT_STATE_CONFIRMED
        assert len(attribution.settlement_tx_hash) == 32
        assert attribution.HasField("complete_time")

    without = await api.GetAttribution(
        pb.GetAttributionRequest(name=f"attributions/{served.settled[0]}")
    )
    assert without.evidence_bytes == b""

    base_only = await api.GetAttribution(
        pb.GetAttributionRequest(name=f"attributions/{served.base_only}")
    )
    assert base_only.attribution.state == attribution_pb2.ATTRIBUTION_STATE_NOT_ATTRIBUTABLE
    assert base_only.attribution.contributor_count == 0
    assert base_only.attribution.settlement_state == settlement_pb2.SETTLEMENT_STATE_CONFIRMED

    for bad in (
        "",
        served.settled[0],
        "attributions/not-a-uuid",
        "settlements/" + served.base_only,
    ):
        error = await refused(api.GetAttribution(pb.GetAttributionRequest(name=bad)))
        assert violated_field(error) == "name"
    unknown = await refused(
        api.GetAttribution(pb.GetAttributionRequest(name=f"attributions/{new_event_id()}"))
    )
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    await channel.close()


async def test_get_settlement(served: Served) -> None:
    channel, api = stub(served.server.port)
    inference_id = served.settled[1]
    by_inference = await api.GetSettlement(pb.GetSettlementRequest(inference_id=inference_id))
    settlement = by_inference.settlement
    assert settlement.inference_id == inference_id
    assert settlement.attribution == f"attributions/{inference_id}"
    assert settlement.state == settlement_pb2.SETTLEMENT_STATE_CONFIRMED
    assert settlement.batch_id
    assert settlement.transaction.chain_id == served.chain.chain_id
    assert settlement.transaction.contract_address == served.chain.rewards_address
    assert settlement.transaction.block_number > 0
    assert settlement.HasField("confirm_time") and settlement.attempts >= 1
    addresses = [int(p.contributor_address, 16) for p in settlement.payouts]
    assert addresses == sorted(addresses) and all(int(p.amount) > 0 for p in settlement.payouts)
    assert sum(int(p.amount) for p in settlement.payouts) == int(
        settlement.fee_split.contributors_amount
    )
    attribution = await api.GetAttribution(
        pb.GetAttributionRequest(name=f"attributions/{inference_id}")
    )
    assert settlement.evidence_hash == attribution.attribution.evidence_hash
    assert settlement.name == attribution.attribution.settlement

    by_name = await api.GetSettlement(pb.GetSettlementRequest(name=settlement.name))
    assert by_name.settlement == settlement

    neither = await refused(api.GetSettlement(pb.GetSettlementRequest()))
    assert violated_field(neither) == "key"
    bad_name = await refused(api.GetSettlement(pb.GetSettlementRequest(name="settlement/x")))
    assert violated_field(bad_name) == "name"
    bad_id = await refused(api.GetSettlement(pb.GetSettlementRequest(inference_id="nope")))
    assert violated_field(bad_id) == "inference_id"
    for request in (
        pb.GetSettlementRequest(name=f"settlements/{new_event_id()}"),
        pb.GetSettlementRequest(inference_id=new_event_id()),
    ):
        missing = await refused(api.GetSettlement(request))
        assert missing.code() == grpc.StatusCode.NOT_FOUND
    await channel.close()


async def test_list_contributor_rewards(served: Served) -> None:
    channel, api = stub(served.server.port)
    planted = served.planted
    alice = planted.records[0].contributor
    # Any letter case is accepted.
    everything = await api.ListContributorRewards(
        pb.ListContributorRewardsRequest(contributor_address=alice.lower())
    )
    ids = [credit.inference_id for credit in everything.credits]
    assert {served.settled[0], served.settled[3]} <= set(ids)
    assert everything.total_size == len(ids)
    assert int(everything.matched_amount) == sum(int(c.amount) for c in everything.credits)
    assert int(everything.total_earned) == int(everything.matched_amount)
    assert everything.total_pending == "0"
    rewards = await served.chain.platform.bind(AttributionRewards, served.chain.settlers[0])
    assert int(everything.total_claimable) == await rewards.claimable(alice)
    assert int(everything.total_claimable) == int(everything.total_earned)
    assert everything.total_claimed == "0"
    assert everything.as_of_block > 0
    for credit in everything.credits:
        assert credit.state == settlement_pb2.SETTLEMENT_STATE_CONFIRMED
        assert credit.datanet == "datanets/planted" and credit.adapter == planted.adapter.ref
        assert credit.settlement.startswith("settlements/")
        assert credit.transaction.block_number > 0
    times = [c.create_time.ToDatetime() for c in everything.credits]
    assert times == sorted(times, reverse=True)

    first = await api.ListContributorRewards(
        pb.ListContributorRewardsRequest(contributor_address=alice, page_size=1)
    )
    assert [c.inference_id for c in first.credits] == ids[:1] and first.next_page_token
    second = await api.ListContributorRewards(
        pb.ListContributorRewardsRequest(
            contributor_address=alice, page_size=1, page_token=first.next_page_token
        )
    )
    assert [c.inference_id for c in second.credits] == ids[1:2]
    reused = await refused(
        api.ListContributorRewards(
            pb.ListContributorRewardsRequest(
                contributor_address=alice,
                page_size=1,
                page_token=first.next_page_token,
                adapter=planted.adapter.ref,
            )
        )
    )
    assert violated_field(reused) == "page_token"

    filtered = await api.ListContributorRewards(
        pb.ListContributorRewardsRequest(
            contributor_address=alice,
            states=[settlement_pb2.SETTLEMENT_STATE_PENDING],
            datanet="datanets/other",
        )
    )
    assert filtered.total_size == 0 and not filtered.credits
    assert filtered.total_earned == everything.total_earned

    nobody = await api.ListContributorRewards(
        pb.ListContributorRewardsRequest(contributor_address="0x" + "12" * 20)
    )
    assert nobody.total_size == 0 and nobody.total_earned == "0"
    assert nobody.total_claimable == "0" and nobody.as_of_block > 0

    later, earlier = Timestamp(), Timestamp()
    now = datetime.now(UTC)
    later.FromDatetime(now)
    earlier.FromDatetime(now - timedelta(days=1))
    cases = {
        "contributor_address": pb.ListContributorRewardsRequest(contributor_address="0x1234"),
        "start_time": pb.ListContributorRewardsRequest(
            contributor_address=alice, start_time=later, end_time=earlier
        ),
        "states[0]": pb.ListContributorRewardsRequest(contributor_address=alice, states=[42]),  # type: ignore[list-item]
        "datanet": pb.ListContributorRewardsRequest(contributor_address=alice, datanet="x/y"),
        "adapter": pb.ListContributorRewardsRequest(contributor_address=alice, adapter="a@b"),
        "page_size": pb.ListContributorRewardsRequest(contributor_address=alice, page_size=-1),
        "page_token": pb.ListContributorRewardsRequest(
            contributor_address=alice, page_token="garbage"
        ),
    }
    for field, request in cases.items():
        error = await refused(api.ListContributorRewards(request))
        assert violated_field(error) == field
    await channel.close()


async def test_explain_completion(served: Served) -> None:
    channel, api = stub(served.server.port)
    planted = served.planted
    inference_id = served.settled[2]
    reply = await api.ExplainCompletion(
        pb.ExplainCompletionRequest(inference_id=inference_id, max_matches_per_span=2)
    )
    explanation = reply.explanation
    assert explanation.inference_id == inference_id
    assert explanation.snapshot == planted.snapshot.name
    assert explanation.spans and explanation.span_count >= len(explanation.spans)
    for span in explanation.spans:
        assert explanation.output_text[span.output_char_start : span.output_char_end] == span.text
        assert 0 < len(span.matches) <= 2 and span.match_count >= len(span.matches)
        for match in span.matches:
            assert match.datanet == "datanets/planted"
            snippet = match.snippet[match.snippet_match_start : match.snippet_match_end]
            assert snippet == span.text
    contributors = {m.contributor_address for s in explanation.spans for m in s.matches}
    assert planted.records[2].contributor in contributors

    cases = {
        "inference_id": pb.ExplainCompletionRequest(inference_id="nope"),
        "max_spans": pb.ExplainCompletionRequest(inference_id=inference_id, max_spans=201),
        "max_matches_per_span": pb.ExplainCompletionRequest(
            inference_id=inference_id, max_matches_per_span=51
        ),
        "snippet_chars": pb.ExplainCompletionRequest(inference_id=inference_id, snippet_chars=2001),
    }
    for field, request in cases.items():
        error = await refused(api.ExplainCompletion(request))
        assert violated_field(error) == field
    unknown = await refused(
        api.ExplainCompletion(pb.ExplainCompletionRequest(inference_id=new_event_id()))
    )
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    not_attributable = await refused(
        api.ExplainCompletion(pb.ExplainCompletionRequest(inference_id=served.base_only))
    )
    assert not_attributable.code() == grpc.StatusCode.FAILED_PRECONDITION
    await channel.close()


async def test_attribute(served: Served) -> None:
    channel, api = stub(served.server.port)
    planted = served.planted
    record = planted.records[1]
    reply = await api.Attribute(
        pb.AttributeRequest(
            text=record.content["output"],
            prompt=record.content["instruction"],
            snapshot=planted.snapshot.name,
            adapter=planted.adapter.ref,
            method=attribution_pb2.ATTRIBUTION_METHOD_SPAN,
            fee="1000000",
            include_explanation=True,
        )
    )
    assert reply.method == attribution_pb2.ATTRIBUTION_METHOD_SPAN
    assert reply.contributors[0].contributor_address == record.contributor
    assert reply.contributor_count == len(reply.contributors)
    assert reply.snapshot_merkle_root == planted.snapshot.merkle_root
    assert reply.parameters.min_span_tokens > 0
    assert reply.fee_split.fee == "1000000"
    assert sum(int(c.amount) for c in reply.contributors) == int(
        reply.fee_split.contributors_amount
    )
    assert reply.explanation.inference_id == "" and reply.explanation.spans

    no_fee = await api.Attribute(
        pb.AttributeRequest(text=record.content["output"], snapshot=planted.snapshot.name)
    )
    assert not no_fee.HasField("fee_split") and not no_fee.HasField("explanation")
    assert all(c.amount == "0" for c in no_fee.contributors)

    snapshot = planted.snapshot.name
    cases = {
        "text": pb.AttributeRequest(snapshot=snapshot),
        "fee": pb.AttributeRequest(text="x", snapshot=snapshot, fee="1.5"),
        "method": pb.AttributeRequest(text="x", snapshot=snapshot, method=42),  # type: ignore[arg-type]
        "adapter": pb.AttributeRequest(
            text="x", snapshot=snapshot, method=attribution_pb2.ATTRIBUTION_METHOD_GRADIENT
        ),
        "snapshot": pb.AttributeRequest(text="x", snapshot="datanets/planted"),
        "max_spans": pb.AttributeRequest(
            text="x", snapshot=snapshot, include_explanation=True, max_spans=500
        ),
    }
    for field, request in cases.items():
        error = await refused(api.Attribute(request))
        assert violated_field(error) == field
    missing = await refused(
        api.Attribute(pb.AttributeRequest(text="x", snapshot="datanets/planted/snapshots/v9"))
    )
    assert missing.code() == grpc.StatusCode.NOT_FOUND
    await channel.close()
