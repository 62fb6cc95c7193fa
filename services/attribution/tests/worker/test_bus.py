"""The bus edges: CompletionRecorded validated into a CompletionInput, and AttributionSettled
carrying every field of a confirmed settlement."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from eth_utils.address import to_checksum_address

from openledger.common.v1 import chain_pb2
from openledger.events.v1 import attribution_events_pb2 as events
from openledger.events.v1 import inference_events_pb2 as inference
from openledger_attribution.adapters.bus import (
    completion_from_event,
    settled_event_id,
    settled_message,
)
from openledger_attribution.domain.model import (
    Attribution,
    AttributionState,
    ContributorResult,
    FeeSplitAmounts,
    NegativeInfluence,
    Settlement,
    SettlementState,
)
from openledger_attribution.domain.policy import Method
from openledger_attribution.settlement.payouts import FeeSplitBps
from openledger_kit.errors import FailedPrecondition, InvalidArgument
from openledger_kit.values import ChainTx, TxStatus
from openledger_kit.values_proto import timestamp

INFERENCE = "0190a5c4-9a1b-7c3d-8e4f-0123456789ab"
WHEN = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
ALICE = "0x" + "a1" * 20
BOB = "0x" + "b2" * 20
OWNER = "0x" + "0e" * 20
TREASURY = "0x" + "7e" * 20


def event(**changes: object) -> inference.CompletionRecorded:
    message = inference.CompletionRecorded(
        inference_id=INFERENCE,
        adapter="legal-qa@3",
        adapter_sha256=b"\x11" * 32,
        base_model="tiny-llama",
        payer_address="0x" + "ab" * 20,
        prompt_token_ids=[1, 2, 3],
        output_token_ids=[4, 5],
        prompt_token_count=3,
        output_token_count=2,
        finish_reason=inference.COMPLETION_FINISH_REASON_LENGTH,
        fee="123456789012345678901234567890",
        output_text="hello",
    )
    message.complete_time.CopyFrom(timestamp(WHEN))
    for name, value in changes.items():
        if value is None:
            message.ClearField(name)
        else:
            setattr(message, name, value)
    return message


def test_a_completion_event_becomes_a_completion_input() -> None:
    completion = completion_from_event(event())
    assert completion.inference_id == INFERENCE
    assert (completion.adapter, completion.adapter_sha256) == ("legal-qa@3", b"\x11" * 32)
    assert completion.base_model == "tiny-llama"
    assert completion.payer == to_checksum_address("0x" + "ab" * 20)
    assert (completion.prompt_ids, completion.output_ids) == ((1, 2, 3), (4, 5))
    assert completion.fee == 123456789012345678901234567890
    assert completion.finish_reason == "LENGTH"
    assert completion.complete_time == WHEN


def test_a_base_model_completion_without_fee_is_valid() -> None:
    completion = completion_from_event(
        event(
            adapter="",
            adapter_sha256=b"",
            fee="0",
            finish_reason=inference.COMPLETION_FINISH_REASON_ERROR,
        )
    )
    assert (completion.adapter, completion.fee, completion.finish_reason) == ("", 0, "ERROR")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"inference_id": "not-a-uuid"}, "inference_id"),
        ({"adapter": "legal-qa"}, "adapter"),
        ({"adapter": "legal-qa@x"}, "adapter"),
        ({"adapter_sha256": b"\x11" * 31}, "adapter_sha256"),
        ({"adapter": ""}, "adapter_sha256"),
        ({"base_model": ""}, "base_model"),
        ({"payer_address": "0x1234"}, "payer_address"),
        ({"fee": "-1"}, "fee"),
        ({"fee": "01"}, "fee"),
        ({"fee": ""}, "fee"),
        ({"finish_reason": inference.COMPLETION_FINISH_REASON_UNSPECIFIED}, "finish_reason"),
        ({"prompt_token_count": 2}, "prompt_token_count"),
        ({"output_token_count": 3}, "output_token_count"),
        ({"complete_time": None}, "complete_time"),
    ],
)
def test_a_malformed_completion_event_names_its_field(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidArgument) as raised:
        completion_from_event(event(**changes))
    assert field in str(raised.value)


def split() -> FeeSplitAmounts:
    return FeeSplitAmounts(
        fee=1000,
        bps=FeeSplitBps(7000, 2000, 1000),
        contributors_amount=700,
        model_owner_amount=200,
        protocol_amount=100,
        model_owner_address=OWNER,
        protocol_address=TREASURY,
    )


def attribution() -> Attribution:
    return Attribution(
        inference_id=INFERENCE,
        state=AttributionState.COMPLETED,
        adapter="legal-qa@3",
        base_model="tiny-llama",
        fee=1000,
        payer="0x" + "ab" * 20,
        create_time=WHEN,
        snapshot="datanets/law/snapshots/s1",
        method=Method.COMBINED,
        span_weight_bps=5000,
        threshold_bps=500,
        contributors=(
            ContributorResult(ALICE, 0.6, 0.5, 0.7, 0.6, True, 0.6, 420, 3),
            ContributorResult(BOB, 0.4, 0.5, 0.3, 0.4, True, 0.4, 280, 1),
        ),
        fee_split=split(),
        negative=(
            NegativeInfluence("0x" + "c3" * 20, -0.1, ("datanets/law/contributions/r2",)),
            NegativeInfluence(
                "0x" + "d4" * 20,
                -0.3,
                ("datanets/law/contributions/r1", "datanets/law/contributions/r0"),
            ),
        ),
        evidence_hash=b"\x42" * 32,
        evidence_digest="ab" * 32,
        snapshot_merkle_root=b"\x99" * 32,
        complete_time=WHEN,
    )


def settlement(**changes: object) -> Settlement:
    values: dict[str, object] = {
        "settlement_id": "0190a5c4-9a1b-7c3d-8e4f-0000000000aa",
        "inference_id": INFERENCE,
        "state": SettlementState.CONFIRMED,
        "create_time": WHEN,
        "payouts": ((ALICE, 420), (BOB, 280)),
        "fee_split": split(),
        "evidence_hash": b"\x42" * 32,
        "batch_id": "0190a5c4-9a1b-7c3d-8e4f-0000000000bb",
        "transaction": ChainTx(1337, "0x" + "5e" * 20, b"\x07" * 32, TxStatus.SUCCEEDED, 42),
        "submit_time": WHEN,
        "confirm_time": WHEN,
        "attempts": 1,
    }
    values.update(changes)
    return Settlement(**values)  # type: ignore[arg-type]


def test_the_settled_event_carries_every_field_of_the_settlement() -> None:
    message = settled_message(attribution(), settlement(), evidence_uri="file:///store/ab")
    assert message.inference_id == INFERENCE
    assert message.attribution == f"attributions/{INFERENCE}"
    assert message.settlement == "settlements/0190a5c4-9a1b-7c3d-8e4f-0000000000aa"
    assert message.adapter == "legal-qa@3"
    assert message.method == events.SETTLEMENT_METHOD_COMBINED
    assert message.snapshot == "datanets/law/snapshots/s1"
    assert message.snapshot_merkle_root == b"\x99" * 32
    assert message.threshold_bps == 500
    assert [(p.contributor_address, p.amount, p.share) for p in message.payouts] == [
        (ALICE, "420", 0.6),
        (BOB, "280", 0.4),
    ]
    assert (message.fee, message.contributors_amount) == ("1000", "700")
    assert (message.contributors_bps, message.model_owner_bps, message.protocol_bps) == (
        7000,
        2000,
        1000,
    )
    assert (message.model_owner_amount, message.model_owner_address) == ("200", OWNER)
    assert (message.protocol_amount, message.protocol_address) == ("100", TREASURY)
    assert message.evidence_hash == b"\x42" * 32
    assert message.evidence_uri == "file:///store/ab"
    assert message.transaction == chain_pb2.ChainTransaction(
        chain_id=1337,
        contract_address="0x" + "5e" * 20,
        tx_hash=b"\x07" * 32,
        status=chain_pb2.CHAIN_TRANSACTION_STATUS_SUCCEEDED,
        block_number=42,
    )
    assert message.settle_time.ToDatetime(tzinfo=UTC) == WHEN
    # Most negative first, for the datanet penalty path.
    assert [(n.contributor_address, n.score) for n in message.negative_influences] == [
        ("0x" + "d4" * 20, -0.3),
        ("0x" + "c3" * 20, -0.1),
    ]
    assert list(message.negative_influences[0].contributions) == [
        "datanets/law/contributions/r1",
        "datanets/law/contributions/r0",
    ]
    assert settled_event_id(settlement()) == "settlement:0190a5c4-9a1b-7c3d-8e4f-0000000000aa"


def test_a_not_attributable_settlement_has_no_method() -> None:
    plain = Attribution(
        inference_id=INFERENCE,
        state=AttributionState.NOT_ATTRIBUTABLE,
        adapter="",
        base_model="tiny-llama",
        fee=1000,
        payer="",
        create_time=WHEN,
        fee_split=split(),
    )
    message = settled_message(plain, settlement(payouts=()), evidence_uri="")
    assert message.method == events.SETTLEMENT_METHOD_UNSPECIFIED
    assert (message.snapshot, list(message.payouts)) == ("", [])


def test_an_unconfirmed_settlement_is_not_published() -> None:
    with pytest.raises(FailedPrecondition):
        settled_message(attribution(), settlement(confirm_time=None), evidence_uri="")
