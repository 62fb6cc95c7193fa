"""The attributor's pure parts: request validation, explanation limits and snippets, and the
evidence read back."""

from __future__ import annotations

import pytest

from openledger_attribution.adapters.evidence import decode_evidence, encode_evidence
from openledger_attribution.domain.adhoc import AdHocRequest
from openledger_attribution.domain.explain import ExplainLimits, _snippet
from openledger_attribution.domain.policy import Method
from openledger_attribution.settlement.evidence import (
    Evidence,
    ScoringParameters,
    scores_e9,
)
from openledger_attribution.settlement.payouts import split_fee
from openledger_kit.errors import InvalidArgument
from services.attribution.tests.settlement.test_evidence import (
    OWNER,
    REWARDS,
    SPLIT,
    TREASURY,
    evidence,
)

SNAPSHOT = "datanets/d/snapshots/v1"


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (AdHocRequest(text="", snapshot=SNAPSHOT), "text"),
        (AdHocRequest(text="x" * (32 * 1024 + 1), snapshot=SNAPSHOT), "text"),
        (AdHocRequest(text="é" * (16 * 1024 + 1), snapshot=SNAPSHOT), "text"),
        (AdHocRequest(text="hi", prompt="p" * (32 * 1024 + 1), snapshot=SNAPSHOT), "prompt"),
        (AdHocRequest(text="hi"), "snapshot"),
        (AdHocRequest(text="hi", snapshot="datanets/d"), "snapshot"),
        (AdHocRequest(text="hi", snapshot=SNAPSHOT, adapter="no-version"), "adapter"),
        (AdHocRequest(text="hi", snapshot=SNAPSHOT, adapter="a@0"), "adapter"),
        (AdHocRequest(text="hi", snapshot=SNAPSHOT, method=Method.GRADIENT), "adapter"),
        (AdHocRequest(text="hi", snapshot=SNAPSHOT, method=Method.COMBINED), "adapter"),
        (AdHocRequest(text="hi", snapshot=SNAPSHOT, fee=-1), "fee"),
    ],
)
def test_ad_hoc_validation_names_the_field(request_: AdHocRequest, field: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        request_.validate()
    assert raised.value.field == field


def test_a_valid_ad_hoc_request_passes() -> None:
    AdHocRequest(
        text="x" * (32 * 1024), snapshot=SNAPSHOT, adapter="qa@3", method=Method.SPAN, fee=0
    ).validate()


def test_limits_zero_means_default_and_ranges_name_the_field() -> None:
    assert ExplainLimits.of() == ExplainLimits(20, 5, 20, 200)
    assert ExplainLimits.of(max_spans=200, snippet_chars=2000).max_spans == 200
    for field, value in (
        ("max_spans", 201),
        ("max_matches_per_span", 51),
        ("max_examples", 201),
        ("snippet_chars", 2001),
    ):
        with pytest.raises(InvalidArgument) as raised:
            ExplainLimits.of(**{field: value})
        assert raised.value.field == field


def test_snippet_keeps_the_match_and_cuts_context_at_whitespace() -> None:
    text = "alpha beta gamma delta MATCH epsilon zeta eta theta"
    start = text.index("MATCH")
    snippet, lo = _snippet(text, start, start + 5, 16)
    # 8 code points each side would cut "gamma" and "zeta" mid-word: cut back to whitespace.
    assert snippet == "delta MATCH epsilon"
    assert snippet[start - lo : start - lo + 5] == "MATCH"


def test_snippet_at_the_record_edges_and_without_context() -> None:
    assert _snippet("MATCH tail", 0, 5, 200) == ("MATCH tail", 0)
    assert _snippet("head MATCH", 5, 10, 0) == ("MATCH", 5)


def test_evidence_reads_back_what_was_encoded() -> None:
    written = evidence()
    payouts = split_fee(
        10**18,
        scores_e9(written.contributors),
        threshold_bps=500,
        split=SPLIT,
        owner=OWNER,
        treasury=TREASURY,
    )
    decoded = decode_evidence(encode_evidence(written, payouts).data)
    assert decoded.method is Method.COMBINED
    assert decoded.rewards_contract.lower() == REWARDS
    assert decoded.threshold_bps == 500
    assert [(s.output_token_start, s.output_token_end, s.rarity) for s in decoded.spans] == [
        (0, 4, 1.5),
        (7, 9, 0.25),
    ]
    assert [r.record_id for r in decoded.spans[0].records] == ["r1", "r2"]
    assert [(e.record_id, e.score) for e in decoded.examples] == [
        ("r1", 0.3),
        ("r3", 0.3),
        ("r9", -0.2),
    ]
    by_address = {c.score.address.lower(): c for c in decoded.contributors}
    paid = {share.address.lower(): share for share in payouts.shares}
    for address, contributor in by_address.items():
        assert contributor.eligible == paid[address].eligible
        assert contributor.amount == paid[address].amount
    assert sum(c.amount for c in decoded.contributors) == payouts.contributors_amount


def test_not_attributable_evidence_has_no_method() -> None:
    payouts = split_fee(100, {}, threshold_bps=0, split=SPLIT, owner=None, treasury=TREASURY)
    data = encode_evidence(
        Evidence(
            inference_id="0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
            chain_id=901,
            rewards_contract=REWARDS,
            base_model="tiny-llama",
            weights=None,
            parameters=ScoringParameters(scorer_version="v"),
            contributors=(),
        ),
        payouts,
    ).data
    decoded = decode_evidence(data)
    assert decoded.method is None and decoded.contributors == () and decoded.spans == ()


def test_garbage_is_not_evidence() -> None:
    with pytest.raises(InvalidArgument) as raised:
        decode_evidence(b"\xff\xff\xff")
    assert raised.value.field == "evidence"
