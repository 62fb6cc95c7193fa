"""SubmitContributions, GetContribution, ListContributions and GetContributor through the real
server: per-record integrity errors naming the record, request-level errors with ErrorInfo,
stake checks against the registry, idempotency, and curation outcomes as the worker records
them."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import field_mask_pb2

from openledger.datanet.v1 import contribution_pb2, curation_pb2, datanet_pb2
from openledger.datanet.v1 import datanet_service_pb2 as pb
from openledger_datanet.domain.model import chain_datanet_id
from openledger_datanet.server import DatanetServer
from openledger_kit.chain import TxSender
from openledger_kit.contracts import DatanetRegistry
from openledger_kit.server import bad_request, error_info
from services.datanet.tests.support import (
    SERVICE_TOKEN,
    Chain,
    create_request,
    record,
    request_id,
    stub,
    wait_active,
    wait_curated,
)

TEXTS = [
    "Photosynthesis turns light, water and carbon dioxide into sugar and oxygen in leaves.",
    "A balanced diet includes vegetables, whole grains, lean protein and enough water daily.",
    "Volcanic eruptions release ash and gases that can cool the climate for several years.",
    "The printing press made books cheaper and spread literacy across Europe quickly.",
]


def _submit(
    parent: str, *records: contribution_pb2.ContributionRecord
) -> pb.SubmitContributionsRequest:
    return pb.SubmitContributionsRequest(request_id=request_id(), parent=parent, records=records)


async def _datanet(server: DatanetServer, chain: Chain, datanet_id: str, **kwargs: object) -> str:
    curator = await chain.account()
    channel, api = stub(server.port, signer=curator)
    try:
        await api.CreateDatanet(create_request(datanet_id, curator.address, **kwargs))  # type: ignore[arg-type]
        await wait_active(api, f"datanets/{datanet_id}")
    finally:
        await channel.close()
    return f"datanets/{datanet_id}"


async def test_records_are_checked_one_by_one(server: DatanetServer, chain: Chain) -> None:
    parent = await _datanet(server, chain, "dn-integrity")
    alice = await chain.account()
    mallory = await chain.account()
    channel, api = stub(server.port, signer=alice)
    try:
        good = record(alice, {"text": TEXTS[0]})
        unsigned = record(alice, {"text": TEXTS[1]})
        unsigned.signature = b""
        wrongly_signed = record(alice, {"text": TEXTS[2]}, signer=mallory)
        bad_hash = record(alice, {"text": TEXTS[3]})
        bad_hash.content_hash = bytes(32)
        truncated = record(alice, {"text": "short but fine text for a record"})
        truncated.signature = truncated.signature[:64]
        too_big = record(alice, {"text": "x" * (300 * 1024)})
        no_content = contribution_pb2.ContributionRecord(contributor=alice.address)
        response = await api.SubmitContributions(
            _submit(
                parent, good, unsigned, wrongly_signed, bad_hash, truncated, too_big, no_content
            )
        )
        assert (response.queued_count, response.failed_count) == (1, 6)
        results = list(response.results)
        assert results[0].contribution.startswith(f"{parent}/contributions/")
        expected = [
            (1, "SUBMISSION_ERROR_REASON_SIGNATURE_INVALID", "records[1].signature"),
            (2, "SUBMISSION_ERROR_REASON_SIGNER_MISMATCH", "records[2].signature"),
            (3, "SUBMISSION_ERROR_REASON_CONTENT_HASH_MISMATCH", "records[3].content_hash"),
            (4, "SUBMISSION_ERROR_REASON_SIGNATURE_INVALID", "records[4].signature"),
            (5, "SUBMISSION_ERROR_REASON_RECORD_TOO_LARGE", "records[5].content"),
            (6, "SUBMISSION_ERROR_REASON_CONTENT_INVALID", "records[6].content"),
        ]
        for index, reason, field in expected:
            result = results[index]
            assert result.index == index
            assert result.WhichOneof("result") == "error"
            assert pb.SubmissionErrorReason.Name(result.error.reason) == reason
            assert result.error.message.startswith(field), result.error.message
    finally:
        await channel.close()


async def test_request_level_errors(server: DatanetServer, chain: Chain) -> None:
    parent = await _datanet(server, chain, "dn-request-errors")
    alice = await chain.account()
    bob = await chain.account()
    channel, api = stub(server.port, signer=alice)
    anonymous, anon_api = stub(server.port)
    service, service_api = stub(server.port, token=SERVICE_TOKEN)
    try:
        one = record(alice, {"text": TEXTS[0]})

        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await anon_api.SubmitContributions(_submit(parent, one))
        assert failed.value.code() == grpc.StatusCode.UNAUTHENTICATED

        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await api.SubmitContributions(_submit("datanets/no-such-datanet", one))
        assert failed.value.code() == grpc.StatusCode.NOT_FOUND
        info = error_info(failed.value)
        assert info is not None and info.reason == "DATANET_NOT_FOUND"

        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await api.SubmitContributions(_submit(parent))
        assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        details = bad_request(failed.value)
        assert details is not None and details.field_violations[0].field == "records"

        many = [record(alice, {"text": f"{TEXTS[0]} {i}"}) for i in range(1001)]
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await api.SubmitContributions(_submit(parent, *many))
        assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        details = bad_request(failed.value)
        assert details is not None and details.field_violations[0].field == "records"

        missing_id = _submit(parent, one)
        missing_id.request_id = ""
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await api.SubmitContributions(missing_id)
        details = bad_request(failed.value)
        assert details is not None and details.field_violations[0].field == "request_id"

        # Bob's record in Alice's request: she may not submit for him.
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await api.SubmitContributions(_submit(parent, one, record(bob, {"text": TEXTS[1]})))
        assert failed.value.code() == grpc.StatusCode.PERMISSION_DENIED
        info = error_info(failed.value)
        assert info is not None and info.reason == "CONTRIBUTOR_NOT_CALLER"
        assert info.metadata["field"] == "records[1].contributor"

        # A service may submit records of several contributors.
        both = await service_api.SubmitContributions(
            _submit(parent, one, record(bob, {"text": TEXTS[1]}))
        )
        assert both.queued_count == 2
    finally:
        await channel.close()
        await anonymous.close()
        await service.close()


async def test_idempotent_resubmission(server: DatanetServer, chain: Chain) -> None:
    parent = await _datanet(server, chain, "dn-idempotent")
    alice = await chain.account()
    channel, api = stub(server.port, signer=alice)
    try:
        records = [record(alice, {"text": t}) for t in TEXTS[:3]]
        bad = record(alice, {"text": TEXTS[3]})
        bad.signature = b""
        request = _submit(parent, *records, bad)
        first = await api.SubmitContributions(request)
        again = await api.SubmitContributions(request)
        assert [r.contribution for r in again.results] == [r.contribution for r in first.results]
        assert again.results[3].error.reason == first.results[3].error.reason
        assert not any(r.already_submitted for r in first.results)

        # The same content in a new request: the existing contributions, marked.
        fresh = await api.SubmitContributions(_submit(parent, *records))
        assert all(r.already_submitted for r in fresh.results)
        assert [r.contribution for r in fresh.results] == [
            r.contribution for r in first.results[:3]
        ]

        # The same request id with other records is refused.
        reused = _submit(parent, records[0])
        reused.request_id = request.request_id
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await api.SubmitContributions(reused)
        assert failed.value.code() == grpc.StatusCode.ALREADY_EXISTS

        await wait_curated(api, parent, 3)
        listed = await api.ListContributions(pb.ListContributionsRequest(parent=parent))
        assert listed.total_size == 3  # nothing was stored twice
    finally:
        await channel.close()


async def test_stake_is_checked_against_the_registry(server: DatanetServer, chain: Chain) -> None:
    parent = await _datanet(server, chain, "dn-staked", stake_required=10**16)
    alice = await chain.account()
    channel, api = stub(server.port, signer=alice)
    try:
        refused = await api.SubmitContributions(_submit(parent, record(alice, {"text": TEXTS[0]})))
        assert pb.SubmissionErrorReason.Name(refused.results[0].error.reason) == (
            "SUBMISSION_ERROR_REASON_INSUFFICIENT_STAKE"
        )
        standing = await api.GetContributor(
            pb.GetContributorRequest(name=f"{parent}/contributors/{alice.address}")
        )
        assert standing.contributor.standing == 2  # CONTRIBUTOR_STANDING_INSUFFICIENT_STAKE

        registry = await DatanetRegistry.load(
            chain.manifest, chain.l2, sender=TxSender(chain.l2, alice)
        )
        await registry.stake(chain_datanet_id("dn-staked"), 10**16)
        accepted = await api.SubmitContributions(_submit(parent, record(alice, {"text": TEXTS[0]})))
        assert accepted.queued_count == 1
        standing = await api.GetContributor(
            pb.GetContributorRequest(name=f"{parent}/contributors/{alice.address.lower()}")
        )
        assert standing.contributor.stake == str(10**16)
        assert standing.contributor.standing == 1  # GOOD
        assert standing.contributor.name == f"{parent}/contributors/{alice.address.lower()}"
    finally:
        await channel.close()


async def test_curation_outcomes_and_visibility(server: DatanetServer, chain: Chain) -> None:
    parent = await _datanet(server, chain, "dn-outcomes")
    alice = await chain.account()
    stranger = await chain.account()
    channel, api = stub(server.port, signer=alice)
    anonymous, reader = stub(server.port)
    try:
        response = await api.SubmitContributions(
            _submit(
                parent,
                record(alice, {"text": TEXTS[0], "topic": "biology"}),
                record(alice, {"text": 42}),  # schema: text must be a string
                record(alice, {"text": "  " + TEXTS[0] + "\r\n", "topic": "biology"}),  # exact dup
                record(alice, {"text": TEXTS[1] + " Mail me at alice.smith@example.org today."}),
            )
        )
        names = [r.contribution for r in response.results]
        await wait_curated(api, parent, 4)

        accepted = (
            await reader.GetContribution(pb.GetContributionRequest(name=names[0]))
        ).contribution
        assert accepted.status == contribution_pb2.CONTRIBUTION_STATUS_ACCEPTED
        assert accepted.accept_sequence == 1 and accepted.curate_time.seconds > 0
        assert accepted.content.fields["topic"].string_value == "biology"

        schema = (await api.GetContribution(pb.GetContributionRequest(name=names[1]))).contribution
        assert schema.status == contribution_pb2.CONTRIBUTION_STATUS_REJECTED
        assert schema.rejections[0].reason == curation_pb2.REJECTION_REASON_SCHEMA_INVALID
        assert schema.rejections[0].field_path == "/text"

        duplicate = (
            await api.GetContribution(pb.GetContributionRequest(name=names[2]))
        ).contribution
        assert [r.reason for r in duplicate.rejections] == [
            curation_pb2.REJECTION_REASON_EXACT_DUPLICATE
        ]
        assert duplicate.rejections[0].duplicate_of == names[0]

        redacted = (
            await api.GetContribution(pb.GetContributionRequest(name=names[3]))
        ).contribution
        assert redacted.status == contribution_pb2.CONTRIBUTION_STATUS_ACCEPTED
        assert redacted.pii_redactions[0].pii_type == curation_pb2.PII_TYPE_EMAIL_ADDRESS
        assert "[EMAIL_ADDRESS]" in redacted.content.fields["text"].string_value
        assert redacted.curated_content_hash != redacted.content_hash

        # Rejected content is for the contributor and the curator only.
        hidden = (
            await reader.GetContribution(pb.GetContributionRequest(name=names[1]))
        ).contribution
        assert not hidden.content.fields and hidden.status == schema.status

        rejected = await reader.ListContributions(
            pb.ListContributionsRequest(
                parent=parent,
                statuses=[contribution_pb2.CONTRIBUTION_STATUS_REJECTED],
                rejection_reasons=[curation_pb2.REJECTION_REASON_EXACT_DUPLICATE],
            )
        )
        assert [c.name for c in rejected.contributions] == [names[2]]
        everywhere = await reader.ListContributions(
            pb.ListContributionsRequest(parent="datanets/-", contributor=alice.address)
        )
        assert everywhere.total_size == 4
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await reader.ListContributions(pb.ListContributionsRequest(parent="datanets/-"))
        assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await reader.ListContributions(
                pb.ListContributionsRequest(
                    parent=parent, statuses=[contribution_pb2.CONTRIBUTION_STATUS_UNSPECIFIED]
                )
            )
        assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await reader.GetContribution(
                pb.GetContributionRequest(name=f"{parent}/contributions/nope")
            )
        assert failed.value.code() == grpc.StatusCode.NOT_FOUND

        standing = (
            await reader.GetContributor(
                pb.GetContributorRequest(name=f"{parent}/contributors/{alice.address}")
            )
        ).contributor
        assert (standing.accepted_count, standing.rejected_count) == (2, 2)
        assert standing.reputation == pytest.approx(3 / 6)
        nobody = (
            await reader.GetContributor(
                pb.GetContributorRequest(name=f"{parent}/contributors/{stranger.address}")
            )
        ).contributor
        assert (nobody.accepted_count, nobody.reputation) == (0, 0.5)
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await reader.GetContributor(
                pb.GetContributorRequest(name=f"{parent}/contributors/0x1234")
            )
        assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        await channel.close()
        await anonymous.close()


async def test_signed_reads_show_the_contributor_their_rejected_content(
    server: DatanetServer, chain: Chain
) -> None:
    parent = await _datanet(server, chain, "dn-own-rejected")
    alice = await chain.account()
    stranger = await chain.account()
    channel, api = stub(server.port, signer=alice)
    anonymous, reader = stub(server.port)
    other, stranger_api = stub(server.port, signer=stranger)
    try:
        response = await api.SubmitContributions(
            _submit(parent, record(alice, {"text": 42}))  # schema: text must be a string
        )
        name = response.results[0].contribution
        await wait_curated(api, parent, 1)
        get = pb.GetContributionRequest(name=name)
        listing = pb.ListContributionsRequest(parent="datanets/-", contributor=alice.address)

        own = (await api.GetContribution(get)).contribution
        assert own.status == contribution_pb2.CONTRIBUTION_STATUS_REJECTED
        assert own.content.fields["text"].number_value == 42
        (listed,) = (await api.ListContributions(listing)).contributions
        assert listed.content.fields["text"].number_value == 42

        for api_of_others in (reader, stranger_api):
            hidden = (await api_of_others.GetContribution(get)).contribution
            assert hidden.status == own.status and not hidden.content.fields
            (hidden_listed,) = (await api_of_others.ListContributions(listing)).contributions
            assert not hidden_listed.content.fields
    finally:
        await channel.close()
        await anonymous.close()
        await other.close()


async def test_paused_datanet_refuses_submissions(server: DatanetServer, chain: Chain) -> None:
    curator = await chain.account()
    channel, api = stub(server.port, signer=curator)
    try:
        await api.CreateDatanet(create_request("dn-paused", curator.address))
        await wait_active(api, "datanets/dn-paused")
        await api.UpdateDatanet(
            pb.UpdateDatanetRequest(
                request_id=request_id(),
                datanet=datanet_pb2.Datanet(
                    name="datanets/dn-paused", state=datanet_pb2.DATANET_STATE_PAUSED
                ),
                update_mask=field_mask_pb2.FieldMask(paths=["state"]),
            )
        )
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await api.SubmitContributions(
                _submit("datanets/dn-paused", record(curator, {"text": TEXTS[0]}))
            )
        assert failed.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        info = error_info(failed.value)
        assert info is not None and info.reason == "DATANET_NOT_ACTIVE"
    finally:
        await channel.close()
