"""The Attributor on the planted platform: the real repository (SQLite), object store, span
index and gradient libraries on ``tiny-llama``, and the governed parameters and rewards
contract on anvil."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from openledger_attribution.adapters.evidence import decode_evidence
from openledger_attribution.adapters.gradients import GradientLibrary
from openledger_attribution.domain.adhoc import AdHocRequest
from openledger_attribution.domain.attributor import Attributor
from openledger_attribution.domain.explain import ExplainLimits
from openledger_attribution.domain.model import AttributionState, SettlementEntry
from openledger_attribution.domain.policy import Method
from openledger_attribution.influence.scoring import InfluenceParameters
from openledger_attribution.settlement.payouts import ZERO_ADDRESS
from openledger_kit.errors import FailedPrecondition, InvalidArgument, NotFound, Unavailable
from openledger_kit.store import Digest
from services.attribution.tests.attributor.conftest import SPAN_ONLY, Platform

pytestmark = pytest.mark.slow


async def test_span_path_credits_the_planted_contributor_first(platform: Platform) -> None:
    attributor = platform.attributor(policy=SPAN_ONLY)
    records = platform.planted.records
    hits = 0
    for record in records:
        scored = await attributor.attribute(platform.planted.completion(record.index)[0])
        attribution = scored.attribution
        assert attribution.state is AttributionState.COMPLETED
        assert attribution.method is Method.SPAN
        hits += attribution.contributors[0].address == record.contributor
    assert hits >= 0.9 * len(records)


async def test_combined_path_credits_the_planted_contributor_first(platform: Platform) -> None:
    attributor = platform.attributor()
    records = platform.planted.records
    hits = 0
    for record in records:
        scored = await attributor.attribute(platform.planted.completion(record.index)[0])
        attribution = scored.attribution
        assert attribution.method is Method.COMBINED
        assert attribution.parameters.projection_dim > 0 and attribution.parameters.damping > 0
        hits += attribution.contributors[0].address == record.contributor
    assert hits >= 0.9 * len(records)


async def test_scoring_is_deterministic_and_the_evidence_is_stored(platform: Platform) -> None:
    completion = platform.planted.completion(4)[0]
    first = await platform.attributor().attribute(completion)
    second = await platform.attributor().attribute(completion)

    assert first.attribution.evidence_hash == second.attribution.evidence_hash
    assert SettlementEntry.of(first.settlement) == SettlementEntry.of(second.settlement)
    assert first.settlement.settlement_id != second.settlement.settlement_id
    data = platform.planted.store.get_bytes(Digest(first.attribution.evidence_digest))
    evidence = decode_evidence(data)
    assert evidence.inference_id == completion.inference_id
    assert evidence.span_index_sha256 and evidence.gradient_features_sha256
    assert all(r.content_hash for span in evidence.spans for r in span.records)
    # The settlement pays what the evidence says.
    paid = {c.score.address: c.amount for c in evidence.contributors if c.eligible}
    assert dict(first.settlement.payouts) == paid
    assert first.settlement.state.value == "PENDING"
    split = first.attribution.fee_split
    assert split is not None and split.model_owner_address == platform.planted.adapter.owner
    assert split.contributors_amount + split.model_owner_amount + split.protocol_amount == (
        completion.fee
    )


async def test_base_model_only_is_not_attributable_but_settled(platform: Platform) -> None:
    completion = replace(
        platform.planted.completion(0)[0], adapter="", adapter_sha256=b"", inference_id=_id(1)
    )
    scored = await platform.attributor().attribute(completion)

    attribution = scored.attribution
    assert attribution.state is AttributionState.NOT_ATTRIBUTABLE
    assert attribution.contributors == () and scored.settlement.payouts == ()
    split = attribution.fee_split
    assert split is not None
    assert split.model_owner_address == ZERO_ADDRESS and split.model_owner_amount == 0
    assert split.protocol_amount == completion.fee
    evidence = decode_evidence(
        platform.planted.store.get_bytes(Digest(attribution.evidence_digest))
    )
    assert evidence.method is None and evidence.inference_id == completion.inference_id


async def test_an_adapter_without_lineage_pays_its_owner_and_the_protocol(
    platform: Platform,
) -> None:
    orphan = replace(platform.planted.adapter, ref="orphan@1", snapshot="", features_digest="")
    platform.repository.record_adapter(orphan)
    completion = replace(platform.planted.completion(0)[0], adapter=orphan.ref, inference_id=_id(2))
    scored = await platform.attributor().attribute(completion)

    assert scored.attribution.state is AttributionState.NOT_ATTRIBUTABLE
    split = scored.attribution.fee_split
    assert split is not None and split.model_owner_address == orphan.owner
    assert split.model_owner_amount > 0 and split.contributors_amount == 0


async def test_a_threshold_excludes_small_contributors(platform: Platform) -> None:
    completion = platform.planted.completion(6)[0]
    open_ = await platform.attributor(params=platform.frozen(0)).attribute(completion)
    positive = [c for c in open_.attribution.contributors if c.score > 0]
    assert len(positive) > 1 and all(c.eligible for c in positive)

    threshold = 4_000
    strict = await platform.attributor(params=platform.frozen(threshold)).attribute(completion)
    contributors = strict.attribution.contributors
    assert strict.attribution.threshold_bps == threshold
    for c in contributors:
        assert c.eligible == (c.score > 0 and c.raw_share >= threshold / 10_000)
        assert (c.amount > 0) == c.eligible
    excluded = [c for c in contributors if c.score > 0 and not c.eligible]
    assert excluded
    assert sum(c.share for c in contributors if c.eligible) == pytest.approx(1.0)
    assert open_.attribution.evidence_hash != strict.attribution.evidence_hash


async def test_only_strongly_negative_influence_goes_to_the_penalty_path(
    platform: Platform, tmp_path: Path
) -> None:
    def attributor(negative_z: float) -> Attributor:
        gradients = GradientLibrary(
            platform.repository,
            platform.planted.store,
            platform.models,
            tmp_path / str(negative_z),
            influence=InfluenceParameters(negative_z=negative_z),
        )
        return platform.attributor(gradients=gradients)

    every_negative_sum, never = attributor(0.0), attributor(1e9)
    reported = 0
    for record in platform.planted.records:
        completion = platform.planted.completion(record.index)[0]
        loose = (await every_negative_sum.attribute(completion)).attribution
        harmful = {c.address for c in loose.contributors if c.score < 0 and c.gradient_score < 0}
        assert {n.address for n in loose.negative} == harmful
        assert all(n.contributions for n in loose.negative)
        assert (await never.attribute(completion)).attribution.negative == ()
        reported += len(harmful)
    assert reported > 0


async def test_a_different_adapter_hash_fails_for_good(platform: Platform) -> None:
    completion = replace(platform.planted.completion(0)[0], adapter_sha256=b"\x09" * 32)
    with pytest.raises(FailedPrecondition) as raised:
        await platform.attributor().attribute(completion)
    assert raised.value.reason == "ADAPTER_HASH_MISMATCH"


async def test_an_unknown_adapter_is_retried_later(platform: Platform) -> None:
    completion = replace(platform.planted.completion(0)[0], adapter="unknown@1")
    with pytest.raises(Unavailable) as raised:
        await platform.attributor(adapter_wait_seconds=0.3).attribute(completion)
    assert raised.value.reason == "ADAPTER_UNKNOWN"


async def test_explanation_points_at_the_matched_text(platform: Platform) -> None:
    planted = platform.planted
    record = planted.records[3]
    completion = replace(planted.completion(record.index)[0], inference_id=_id(3))
    repository = platform.repository
    repository.begin(completion, completion.complete_time)
    scored = await platform.attributor().attribute(completion)
    repository.finish(scored.attribution, scored.settlement)

    explanation = await platform.attributor().explain(completion.inference_id, ExplainLimits())

    assert explanation.inference_id == completion.inference_id
    assert explanation.method is Method.COMBINED and explanation.gradient_available
    assert explanation.spans and explanation.span_count >= len(explanation.spans)
    text = explanation.output_text
    record_text = f"{record.content['instruction']}\n{record.content['output']}"
    for span in explanation.spans:
        assert text[span.output_char_start : span.output_char_end] == span.text
        assert span.matches and span.match_count >= len(span.matches)
        assert record.record_id in {m.record_id for m in span.matches}
        for match in span.matches:
            shown = match.snippet[match.snippet_match_start : match.snippet_match_end]
            assert shown.strip() == span.text.strip()
        mine = next(m for m in span.matches if m.record_id == record.record_id)
        assert mine.contributor_address == record.contributor
        at = record_text.find(span.text.strip(), mine.record_char_offset - 1)
        assert abs(at - mine.record_char_offset) <= 1
    starts = [(s.output_char_start, s.output_char_end) for s in explanation.spans]
    assert starts == sorted(starts)
    scores = [e.score for e in explanation.examples]
    assert scores == sorted(scores, reverse=True) and len(scores) <= 20
    assert explanation.examples[0].contributor_address == record.contributor
    assert explanation.examples[0].snippet

    limited = await platform.attributor().explain(
        completion.inference_id, ExplainLimits(max_spans=1, max_examples=2, snippet_chars=10)
    )
    assert len(limited.spans) == 1 and len(limited.examples) == 2
    assert all(len(e.snippet) <= 10 for e in limited.examples)


async def test_explain_errors(platform: Platform) -> None:
    attributor = platform.attributor()
    with pytest.raises(InvalidArgument) as invalid:
        await attributor.explain("not-a-uuid", ExplainLimits())
    assert invalid.value.field == "inference_id"
    with pytest.raises(NotFound):
        await attributor.explain(_id(99), ExplainLimits())
    base_only = replace(
        platform.planted.completion(0)[0], adapter="", adapter_sha256=b"", inference_id=_id(4)
    )
    platform.repository.begin(base_only, base_only.complete_time)
    with pytest.raises(FailedPrecondition):  # still PENDING
        await attributor.explain(base_only.inference_id, ExplainLimits())
    scored = await attributor.attribute(base_only)
    platform.repository.finish(scored.attribution, scored.settlement)
    with pytest.raises(FailedPrecondition) as raised:
        await attributor.explain(base_only.inference_id, ExplainLimits())
    assert raised.value.reason == "ATTRIBUTION_NOT_ATTRIBUTABLE"


async def test_ad_hoc_text_is_scored_like_a_completion(platform: Platform) -> None:
    planted = platform.planted
    record = planted.records[9]
    await platform.attributor().attribute(planted.completion(0)[0])  # the index is built
    result = await platform.attributor().attribute_text(
        AdHocRequest(
            text=record.content["output"],
            prompt=record.content["instruction"],
            snapshot=planted.snapshot.name,
            adapter=planted.adapter.ref,
            method=Method.SPAN,
            fee=10**6,
            explain=ExplainLimits(),
        )
    )
    assert result.weights.method is Method.SPAN
    assert result.contributors[0].address == record.contributor
    assert result.snapshot_merkle_root == planted.snapshot.merkle_root
    assert result.fee_split is not None and result.fee_split.fee == 10**6
    assert result.explanation is not None and result.explanation.inference_id == ""
    assert result.explanation.output_text.strip() == record.content["output"]

    combined = await platform.attributor().attribute_text(
        AdHocRequest(
            text=record.content["output"],
            prompt=record.content["instruction"],
            snapshot=planted.snapshot.name,
            adapter=planted.adapter.ref,
        )
    )
    assert combined.weights.method is Method.COMBINED and combined.fee_split is None
    assert all(c.amount == 0 for c in combined.contributors)

    no_adapter = await platform.attributor().attribute_text(
        AdHocRequest(text=record.content["output"], snapshot=planted.snapshot.name)
    )
    assert no_adapter.weights.method is Method.SPAN
    assert no_adapter.contributors[0].address == record.contributor


async def test_ad_hoc_refusals(platform: Platform) -> None:
    planted = platform.planted
    attributor = platform.attributor()
    text = planted.records[0].content["output"]
    with pytest.raises(NotFound):
        await attributor.attribute_text(
            AdHocRequest(text=text, snapshot="datanets/planted/snapshots/v9")
        )
    with pytest.raises(NotFound):
        await attributor.attribute_text(
            AdHocRequest(text=text, snapshot=planted.snapshot.name, adapter="missing@1")
        )
    plain = replace(planted.adapter, ref="plain@1", features_digest="")
    platform.repository.record_adapter(plain)
    with pytest.raises(FailedPrecondition) as no_features:
        await attributor.attribute_text(
            AdHocRequest(
                text=text, snapshot=planted.snapshot.name, adapter=plain.ref, method=Method.GRADIENT
            )
        )
    assert no_features.value.reason == "NO_GRADIENT_FEATURES"

    other = replace(planted.snapshot, name="datanets/planted/snapshots/v2")
    platform.repository.record_snapshot(other)
    with pytest.raises(FailedPrecondition) as not_trained:
        await attributor.attribute_text(
            AdHocRequest(text=text, snapshot=other.name, adapter=planted.adapter.ref)
        )
    assert not_trained.value.reason == "ADAPTER_NOT_TRAINED_ON_SNAPSHOT"
    on_other = replace(planted.adapter, ref="other@1", snapshot=other.name)
    platform.repository.record_adapter(on_other)
    with pytest.raises(FailedPrecondition) as missing:
        await attributor.attribute_text(
            AdHocRequest(text=text, snapshot=other.name, adapter=on_other.ref)
        )
    assert missing.value.reason == "INDEX_MISSING"


def _id(n: int) -> str:
    return f"0190a1b2-c3d4-7e5f-8a9b-{n:012x}"
