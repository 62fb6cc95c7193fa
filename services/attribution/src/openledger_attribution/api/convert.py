"""Domain values ↔ ``openledger.attribution.v1`` messages, and the request fields' parsing
(names, ids, addresses, amounts, enums), each error naming its field."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from eth_utils.address import to_checksum_address

from openledger.attribution.v1 import (
    attribution_pb2,
    explanation_pb2,
    reward_pb2,
    settlement_pb2,
)
from openledger_attribution.adapters.evidence import fee_split_message, parameters_message
from openledger_attribution.domain.explain import (
    ExplainedSpan,
    Explanation,
    InfluentialRecord,
    SpanMatch,
)
from openledger_attribution.domain.model import (
    ATTRIBUTION_PREFIX,
    SETTLEMENT_PREFIX,
    Attribution,
    AttributionState,
    ContributorResult,
    RewardCredit,
    Settlement,
    SettlementState,
)
from openledger_attribution.domain.policy import Method
from openledger_kit.errors import InvalidArgument
from openledger_kit.values_proto import chain_tx_message, timestamp

MAX_CONTRIBUTORS = 1000
"""Contributors returned in one Attribution or AttributeResponse (the highest scores)."""

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_DATANET = re.compile(r"datanets/[^/\s]+")
_ADAPTER = re.compile(r"[^@/\s]+@[1-9][0-9]*")


# ---------------------------------------------------------------- request fields


def uuid_string(value: str, field: str) -> str:
    """A UUID in its canonical lowercase form (how inference ids are stored)."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise InvalidArgument(field, f"not a UUID: {value!r}") from None


def inference_id_of(name: str, field: str = "name") -> str:
    """The inference id of ``attributions/{inference_id}``."""
    if not name.startswith(ATTRIBUTION_PREFIX):
        raise InvalidArgument(field, f"not attributions/{{inference_id}}: {name!r}")
    return uuid_string(name.removeprefix(ATTRIBUTION_PREFIX), field)


def settlement_id_of(name: str, field: str = "name") -> str:
    """The settlement id of ``settlements/{settlement}``."""
    if not name.startswith(SETTLEMENT_PREFIX):
        raise InvalidArgument(field, f"not settlements/{{settlement}}: {name!r}")
    return uuid_string(name.removeprefix(SETTLEMENT_PREFIX), field)


def address(value: str, field: str) -> str:
    """A 0x address in any letter case, checksummed (EIP-55)."""
    if not _ADDRESS.fullmatch(value):
        raise InvalidArgument(field, f"not a 0x-prefixed 20-byte address: {value!r}")
    return str(to_checksum_address(value.lower()))


def datanet_filter(value: str, field: str = "datanet") -> str:
    if value and not _DATANET.fullmatch(value):
        raise InvalidArgument(field, f"not datanets/{{datanet}}: {value!r}")
    return value


def adapter_ref(value: str, field: str = "adapter") -> str:
    """``{adapter_id}@{version}``, or empty."""
    if value and not _ADAPTER.fullmatch(value):
        raise InvalidArgument(field, f"not {{adapter_id}}@{{version}}: {value!r}")
    return value


def wei(value: str, field: str) -> int | None:
    """A decimal integer amount; None when empty."""
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or (len(value) > 1 and value[0] == "0"):
        raise InvalidArgument(field, f"not a decimal integer without leading zeros: {value!r}")
    return int(value)


# ---------------------------------------------------------------- enums


_METHODS = {
    Method.SPAN: attribution_pb2.ATTRIBUTION_METHOD_SPAN,
    Method.GRADIENT: attribution_pb2.ATTRIBUTION_METHOD_GRADIENT,
    Method.COMBINED: attribution_pb2.ATTRIBUTION_METHOD_COMBINED,
}
_ATTRIBUTION_STATES = {
    AttributionState.PENDING: attribution_pb2.ATTRIBUTION_STATE_PENDING,
    AttributionState.COMPLETED: attribution_pb2.ATTRIBUTION_STATE_COMPLETED,
    AttributionState.NOT_ATTRIBUTABLE: attribution_pb2.ATTRIBUTION_STATE_NOT_ATTRIBUTABLE,
    AttributionState.FAILED: attribution_pb2.ATTRIBUTION_STATE_FAILED,
}
_SETTLEMENT_STATES = {
    SettlementState.PENDING: settlement_pb2.SETTLEMENT_STATE_PENDING,
    SettlementState.SUBMITTED: settlement_pb2.SETTLEMENT_STATE_SUBMITTED,
    SettlementState.CONFIRMED: settlement_pb2.SETTLEMENT_STATE_CONFIRMED,
    SettlementState.FAILED: settlement_pb2.SETTLEMENT_STATE_FAILED,
}


def method_to_proto(method: Method | None) -> attribution_pb2.AttributionMethod:
    if method is None:
        return attribution_pb2.ATTRIBUTION_METHOD_UNSPECIFIED
    return _METHODS[method]


def method_from_proto(value: int, field: str = "method") -> Method | None:
    """None for UNSPECIFIED (the service chooses)."""
    if value == attribution_pb2.ATTRIBUTION_METHOD_UNSPECIFIED:
        return None
    for method, number in _METHODS.items():
        if number == value:
            return method
    raise InvalidArgument(field, f"unknown method {value}")


def attribution_state_to_proto(state: AttributionState) -> attribution_pb2.AttributionState:
    return _ATTRIBUTION_STATES[state]


def settlement_state_to_proto(state: SettlementState | None) -> settlement_pb2.SettlementState:
    if state is None:
        return settlement_pb2.SETTLEMENT_STATE_UNSPECIFIED
    return _SETTLEMENT_STATES[state]


def settlement_states_filter(
    values: Sequence[int], field: str = "states"
) -> tuple[SettlementState, ...]:
    """The states a filter keeps; empty (any state) when UNSPECIFIED is among them."""
    by_number: dict[int, SettlementState] = {
        int(number): state for state, number in _SETTLEMENT_STATES.items()
    }
    states: list[SettlementState] = []
    for i, value in enumerate(values):
        if value == settlement_pb2.SETTLEMENT_STATE_UNSPECIFIED:
            return ()
        state = by_number.get(value)
        if state is None:
            raise InvalidArgument(f"{field}[{i}]", f"unknown settlement state {value}")
        if state not in states:
            states.append(state)
    return tuple(states)


# ---------------------------------------------------------------- messages


def contributor_to_proto(contributor: ContributorResult) -> attribution_pb2.ContributorAttribution:
    return attribution_pb2.ContributorAttribution(
        contributor_address=contributor.address,
        score=contributor.score,
        span_score=contributor.span_score,
        gradient_score=contributor.gradient_score,
        raw_share=contributor.raw_share,
        eligible=contributor.eligible,
        share=contributor.share,
        amount=str(contributor.amount),
        record_count=contributor.record_count,
    )


def contributors_to_proto(
    contributors: Sequence[ContributorResult],
) -> list[attribution_pb2.ContributorAttribution]:
    """The first ``MAX_CONTRIBUTORS`` (they come ordered by score descending)."""
    return [contributor_to_proto(c) for c in contributors[:MAX_CONTRIBUTORS]]


def attribution_to_proto(
    attribution: Attribution, settlement: Settlement | None, evidence_uri: str
) -> attribution_pb2.Attribution:
    """``attribution`` with its latest ``settlement`` (None before one exists)."""
    message = attribution_pb2.Attribution(
        name=attribution.name,
        inference_id=attribution.inference_id,
        state=attribution_state_to_proto(attribution.state),
        adapter=attribution.adapter,
        base_model=attribution.base_model,
        snapshot=attribution.snapshot,
        method=method_to_proto(attribution.method),
        parameters=parameters_message(
            attribution.parameters, attribution.method, attribution.span_weight_bps
        ),
        threshold_bps=attribution.threshold_bps,
        contributors=contributors_to_proto(attribution.contributors),
        contributor_count=len(attribution.contributors),
        evidence_hash=attribution.evidence_hash,
        evidence_uri=evidence_uri,
        create_time=timestamp(attribution.create_time),
        error_reason=attribution.error_reason,
        error_message=attribution.error_message,
    )
    if attribution.fee_split is not None:
        message.fee_split.CopyFrom(fee_split_message(attribution.fee_split))
    if attribution.complete_time is not None:
        message.complete_time.CopyFrom(timestamp(attribution.complete_time))
    if settlement is not None:
        message.settlement = settlement.name
        message.settlement_state = settlement_state_to_proto(settlement.state)
        if settlement.transaction is not None:
            message.settlement_tx_hash = settlement.transaction.tx_hash
    return message


def settlement_to_proto(settlement: Settlement) -> settlement_pb2.Settlement:
    message = settlement_pb2.Settlement(
        name=settlement.name,
        inference_id=settlement.inference_id,
        attribution=f"{ATTRIBUTION_PREFIX}{settlement.inference_id}",
        state=settlement_state_to_proto(settlement.state),
        batch_id=settlement.batch_id,
        fee_split=fee_split_message(settlement.fee_split),
        payouts=[
            settlement_pb2.ContributorPayout(contributor_address=address, amount=str(amount))
            for address, amount in settlement.payouts
        ],
        evidence_hash=settlement.evidence_hash,
        create_time=timestamp(settlement.create_time),
        attempts=settlement.attempts,
        error_reason=settlement.error_reason,
        error_message=settlement.error_message,
    )
    if settlement.transaction is not None:
        message.transaction.CopyFrom(chain_tx_message(settlement.transaction))
    if settlement.submit_time is not None:
        message.submit_time.CopyFrom(timestamp(settlement.submit_time))
    if settlement.confirm_time is not None:
        message.confirm_time.CopyFrom(timestamp(settlement.confirm_time))
    return message


def credit_to_proto(credit: RewardCredit) -> reward_pb2.RewardCredit:
    message = reward_pb2.RewardCredit(
        inference_id=credit.inference_id,
        settlement=f"{SETTLEMENT_PREFIX}{credit.settlement_id}",
        adapter=credit.adapter,
        datanet=credit.datanet,
        score=credit.score,
        share=credit.share,
        amount=str(credit.amount),
        record_count=credit.record_count,
        state=settlement_state_to_proto(credit.state),
        create_time=timestamp(credit.create_time),
    )
    if credit.transaction is not None:
        message.transaction.CopyFrom(chain_tx_message(credit.transaction))
    if credit.confirm_time is not None:
        message.confirm_time.CopyFrom(timestamp(credit.confirm_time))
    return message


def explanation_to_proto(explanation: Explanation) -> explanation_pb2.CompletionExplanation:
    return explanation_pb2.CompletionExplanation(
        inference_id=explanation.inference_id,
        output_text=explanation.output_text,
        snapshot=explanation.snapshot,
        method=method_to_proto(explanation.method),
        spans=[_span_to_proto(span) for span in explanation.spans],
        span_count=explanation.span_count,
        gradient_available=explanation.gradient_available,
        examples=[_example_to_proto(example) for example in explanation.examples],
    )


def _span_to_proto(span: ExplainedSpan) -> explanation_pb2.AttributedSpan:
    return explanation_pb2.AttributedSpan(
        output_char_start=span.output_char_start,
        output_char_end=span.output_char_end,
        output_token_start=span.output_token_start,
        output_token_end=span.output_token_end,
        text=span.text,
        rarity=span.rarity,
        occurrence_count=span.occurrence_count,
        matches=[_match_to_proto(match) for match in span.matches],
        match_count=span.match_count,
    )


def _match_to_proto(match: SpanMatch) -> explanation_pb2.SpanMatch:
    return explanation_pb2.SpanMatch(
        record_id=match.record_id,
        datanet=match.datanet,
        contributor_address=match.contributor_address,
        snippet=match.snippet,
        snippet_match_start=match.snippet_match_start,
        snippet_match_end=match.snippet_match_end,
        record_char_offset=match.record_char_offset,
    )


def _example_to_proto(example: InfluentialRecord) -> explanation_pb2.InfluenceExample:
    return explanation_pb2.InfluenceExample(
        record_id=example.record_id,
        datanet=example.datanet,
        contributor_address=example.contributor_address,
        score=example.score,
        snippet=example.snippet,
    )
