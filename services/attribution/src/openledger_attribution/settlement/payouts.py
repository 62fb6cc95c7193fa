"""A completion's fee divided between contributors, the model owner and the protocol, in integer
wei, with the rules of ``openledger.attribution.v1.FeeSplit`` and
``ContributorAttribution.amount`` (so a verifier recomputes every amount from the evidence):

- scores are fixed point (``score_e9``); with P the sum of the positive scores, a contributor is
  eligible when ``score_e9 > 0`` and ``score_e9 * 10000 >= threshold_bps * P``;
- ``owner = floor(fee * model_owner_bps / 10000)``, ``pool = floor(fee * contributors_bps /
  10000)``; eligible contributor i gets ``floor(pool * s_i / S)`` (S: the eligible scores' sum)
  and the units left over go one each to the largest remainders, ties to the lower address
  (compared as 20 bytes) -- largest remainder rather than floor-then-dust so that a contributor's
  amount is as close to its exact share as integers allow;
- the protocol treasury gets the rest: its own share, the rounding dust of the two floors, the
  whole pool when nobody is eligible (nobody earned it, and burning it would shrink the supply
  that fees are paid in), and the owner's share of a base-model-only completion (no owner: the
  catalogue's base models are registered with the zero address).

So the amounts always add up to the fee exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from eth_utils.address import to_checksum_address

from openledger_kit.errors import InvalidArgument

MAX_BPS = 10_000
ZERO_ADDRESS = "0x" + "00" * 20
SCALE_E9 = 9


def score_e9(score: float) -> int:
    """``score`` in fixed point: ``round_half_even(score * 10^9)``, computed on the float's
    exact binary value so every platform rounds it the same way."""
    return int(Decimal(score).scaleb(SCALE_E9).to_integral_value(rounding=ROUND_HALF_EVEN))


def checksummed(address: str, field: str) -> str:
    """``address`` in EIP-55 form; ``InvalidArgument(field)`` if it is not an address."""
    try:
        return str(to_checksum_address(address))
    except (ValueError, TypeError):
        raise InvalidArgument(field, f"not an Ethereum address: {address!r}") from None


def address_order(address: str) -> int:
    """Sort key of an address: its 20 bytes as a big-endian integer."""
    return int(address, 16)


@dataclass(frozen=True)
class FeeSplitBps:
    """The governed division of a fee (``ProtocolParams.feeSplit()``), in basis points."""

    contributors_bps: int
    model_owner_bps: int
    protocol_bps: int

    def __post_init__(self) -> None:
        for name in ("contributors_bps", "model_owner_bps", "protocol_bps"):
            if not 0 <= getattr(self, name) <= MAX_BPS:
                raise InvalidArgument(f"fee_split.{name}", "must be between 0 and 10000")
        if self.contributors_bps + self.model_owner_bps + self.protocol_bps != MAX_BPS:
            raise InvalidArgument("fee_split", "the three shares must add up to 10000 bps")


@dataclass(frozen=True)
class Payout:
    """An amount in wei credited to an address (EIP-55)."""

    address: str
    amount: int


@dataclass(frozen=True)
class ContributorShare:
    """One contributor with a non-zero score: its fixed-point score, whether it passed the
    threshold, and its amount (0 when not eligible)."""

    address: str
    score_e9: int
    eligible: bool
    amount: int


@dataclass(frozen=True)
class Payouts:
    """The whole division of one fee. ``shares`` holds every contributor with a non-zero score,
    by address ascending."""

    fee: int
    split: FeeSplitBps
    threshold_bps: int
    shares: tuple[ContributorShare, ...]
    owner: Payout
    protocol: Payout

    @property
    def contributors(self) -> tuple[Payout, ...]:
        """The eligible contributors' amounts, by address ascending."""
        return tuple(Payout(s.address, s.amount) for s in self.shares if s.eligible)

    @property
    def contributors_amount(self) -> int:
        return sum(s.amount for s in self.shares)

    def credits(self) -> tuple[Payout, ...]:
        """What ``AttributionRewards.settle`` credits (``chain_credits``)."""
        return chain_credits(self.contributors, self.owner, self.protocol)


def chain_credits(
    contributors: Iterable[Payout], owner: Payout, protocol: Payout
) -> tuple[Payout, ...]:
    """What ``AttributionRewards.settle`` credits: every non-zero amount (contributors, owner,
    protocol) by address ascending. An address that is both contributor and owner appears
    twice; the contract adds its credits up."""
    entries = [p for p in (*contributors, owner, protocol) if p.amount > 0]
    return tuple(sorted(entries, key=lambda p: address_order(p.address)))


def split_fee(
    fee: int,
    scores_e9: Mapping[str, int],
    *,
    threshold_bps: int,
    split: FeeSplitBps,
    owner: str | None,
    treasury: str,
) -> Payouts:
    """Divide ``fee`` (wei) by the rules in the module docstring. ``scores_e9`` maps contributor
    addresses (any letter case) to fixed-point scores, negative ones included (never paid);
    ``owner`` is the adapter owner, None (or the zero address) for a base-model-only
    completion; ``treasury`` is ``ProtocolParams.treasury()``."""
    if fee < 0:
        raise InvalidArgument("fee", "must be >= 0")
    if not 0 <= threshold_bps <= MAX_BPS:
        raise InvalidArgument("threshold_bps", "must be between 0 and 10000")
    treasury = checksummed(treasury, "treasury")
    if treasury == ZERO_ADDRESS:
        raise InvalidArgument("treasury", "must not be the zero address")
    owner_address = ZERO_ADDRESS if owner is None else checksummed(owner, "owner")
    scores = _canonical_scores(scores_e9)

    positive_total = sum(score for score in scores.values() if score > 0)
    eligible = {
        address: score
        for address, score in scores.items()
        if score > 0 and score * MAX_BPS >= threshold_bps * positive_total
    }
    owner_amount = 0 if owner_address == ZERO_ADDRESS else fee * split.model_owner_bps // MAX_BPS
    pool = fee * split.contributors_bps // MAX_BPS
    amounts = _largest_remainder(pool, eligible) if eligible else {}
    protocol_amount = fee - owner_amount - sum(amounts.values())
    shares = tuple(
        ContributorShare(address, score, address in eligible, amounts.get(address, 0))
        for address, score in sorted(scores.items(), key=lambda item: address_order(item[0]))
    )
    return Payouts(
        fee=fee,
        split=split,
        threshold_bps=threshold_bps,
        shares=shares,
        owner=Payout(owner_address, owner_amount),
        protocol=Payout(treasury, protocol_amount),
    )


def _canonical_scores(scores_e9: Mapping[str, int]) -> dict[str, int]:
    scores: dict[str, int] = {}
    for raw, score in scores_e9.items():
        address = checksummed(raw, f"scores_e9[{raw}]")
        if address in scores:
            raise InvalidArgument(f"scores_e9[{raw}]", "the same address is given twice")
        if address == ZERO_ADDRESS:
            raise InvalidArgument(f"scores_e9[{raw}]", "the zero address cannot be credited")
        if score != 0:
            scores[address] = int(score)
    return scores


def _largest_remainder(pool: int, scores: Mapping[str, int]) -> dict[str, int]:
    total = sum(scores.values())
    amounts = {address: pool * score // total for address, score in scores.items()}
    left = pool - sum(amounts.values())
    by_remainder = sorted(
        scores, key=lambda address: (-(pool * scores[address] % total), address_order(address))
    )
    for address in by_remainder[:left]:
        amounts[address] += 1
    return amounts
