"""Attribution's step of ``openledger demo``: what every answer of the inference step earned
its contributors, why, a governance vote that changes the attribution threshold and the
payouts after it, a contributor claiming, and the closing report.

1. Each completion of the inference step is attributed and settled by the worker fleet; the
   step waits for every settlement to be CONFIRMED on the L2 and shows method, contributors,
   shares, amounts and the settlement transaction.
2. For each adapter answer, ``ExplainCompletion`` shows the output spans traced to datanet
   records, with the contributor and a snippet of the record.
3. Governance: a text quoting alice at length and carol briefly is scored ad hoc
   (``Attribute``, with a hypothetical fee of 1 OPEN). A token holder wraps OPEN into gOPEN,
   delegates, and proposes a threshold on ``ProtocolParams`` just above carol's share, votes,
   queues and executes it through the timelock (the local chain's clock is moved over the
   voting period and the delay).
4. The same text is scored again: carol is now below the threshold and alice takes the whole
   contributors' pool. An adapter question of the inference step is asked again and settled
   under the new threshold.
5. The contributor with the most claimable OPEN claims it from ``AttributionRewards``.
6. The report: each demo person's accepted and rejected records in the datanet and their
   rewards (earned, pending, claimable, claimed).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import grpc
from rich.console import Console
from rich.table import Table
from web3 import AsyncWeb3

from openledger.attribution.v1 import attribution_pb2, settlement_pb2
from openledger.attribution.v1 import attribution_service_pb2 as pb
from openledger.attribution.v1 import attribution_service_pb2_grpc as pb_grpc
from openledger.datanet.v1 import contributor_pb2
from openledger.datanet.v1 import datanet_service_pb2 as datanet_pb
from openledger.datanet.v1 import datanet_service_pb2_grpc as datanet_grpc
from openledger.inference.v1 import generation_pb2
from openledger.inference.v1 import inference_pool_service_pb2 as pool_pb
from openledger.inference.v1 import inference_pool_service_pb2_grpc as pool_grpc
from openledger_attribution.localnet import ADDR_ENV
from openledger_kit.chain import DeploymentManifest, TxSender, connected, parse_private_key
from openledger_kit.client import connect
from openledger_kit.contracts.bindings import ProtocolParams
from openledger_kit.contracts.bindings.governance import OpenGovernor, Proposal, TimelockController
from openledger_kit.contracts.bindings.l2 import AttributionRewards, GOpen
from openledger_kit.contracts.cli import MANIFEST_ENV
from openledger_kit.contracts.config import OPEN
from openledger_kit.contracts.testing import advance_time
from openledger_kit.localnet.components import L2_RPC_URL
from openledger_kit.localnet.demo import DemoContext, DemoStep
from openledger_kit.localnet.processes import ANVIL_DEV_KEYS

DEPLOYMENT_ID = "openledger-local"
PEOPLE = {1: "curator", 2: "alice", 3: "bob", 4: "mallory", 8: "carol"}
"""The datanet step's people, by anvil development key."""
USER_KEY = 6
"""The inference step's user, who pays for the question asked again."""
VOTER_KEY = 9
"""A token holder who votes the new threshold in."""
VOTER_STAKE = 1_000 * OPEN
HYPOTHETICAL_FEE = OPEN
SETTLE_WAIT_SECONDS = 900.0
"""The first completions wait for the workers to load the base model and build the index."""
ROUTER_ADDR_ENV = "OL_INFERENCE_ROUTER_ADDR"
DATANET_ADDR_ENV = "OL_DATANET_ADDR"
WEI_PER_OPEN = Decimal(10**18)
FINAL = (
    attribution_pb2.ATTRIBUTION_STATE_COMPLETED,
    attribution_pb2.ATTRIBUTION_STATE_NOT_ATTRIBUTABLE,
)
METHODS = {
    attribution_pb2.ATTRIBUTION_METHOD_SPAN: "span",
    attribution_pb2.ATTRIBUTION_METHOD_GRADIENT: "gradient",
    attribution_pb2.ATTRIBUTION_METHOD_COMBINED: "combined",
}


def _open(wei: int | str) -> str:
    return format((Decimal(int(wei or 0)) / WEI_PER_OPEN).normalize(), "f")


def _people() -> dict[str, str]:
    """Address -> name of the datanet step's people."""
    return {
        parse_private_key(ANVIL_DEV_KEYS[i], source=f"anvil key {i}").address: name
        for i, name in PEOPLE.items()
    }


def _who(address: str, people: dict[str, str]) -> str:
    return people.get(address, f"{address[:10]}…")


def _run(ctx: DemoContext) -> None:
    asyncio.run(_demo(ctx))


async def _demo(ctx: DemoContext) -> None:
    completions = ctx.shared.get("inference.completions")
    if not isinstance(completions, list) or not completions:
        raise RuntimeError("the inference step left no completions to attribute")
    people = _people()
    user = parse_private_key(ANVIL_DEV_KEYS[USER_KEY], source=f"anvil key {USER_KEY}")
    channel = connect(ctx.env(ADDR_ENV), signer=user, deployment_id=DEPLOYMENT_ID)
    stub = pb_grpc.AttributionServiceStub(channel)  # type: ignore[no-untyped-call]
    manifest = DeploymentManifest.load(ctx.env(MANIFEST_ENV))
    try:
        ctx.say(f"waiting for the workers to attribute and settle {len(completions)} completions")
        settled = [await _settled(stub, inference_id) for inference_id in completions]
        _show_settlements(ctx, settled, people)
        attributed = [a for a in settled if a.state == attribution_pb2.ATTRIBUTION_STATE_COMPLETED]
        for attribution in attributed[:3]:
            await _explain(ctx, stub, attribution, people)
        if attributed:
            await _governance(ctx, manifest, stub, attributed[0], people)
        await _claim(ctx, manifest, stub, people)
        await _report(ctx, stub, people)
    finally:
        await channel.close()


# --- settlements ---------------------------------------------------------------------------


async def _settled(
    stub: pb_grpc.AttributionServiceStub, inference_id: str
) -> attribution_pb2.Attribution:
    """The attribution once final and its settlement CONFIRMED."""
    deadline = time.monotonic() + SETTLE_WAIT_SECONDS
    request = pb.GetAttributionRequest(name=f"attributions/{inference_id}")
    while True:
        try:
            attribution: attribution_pb2.Attribution = (
                await stub.GetAttribution(request)
            ).attribution
        except grpc.aio.AioRpcError as error:  # NOT_FOUND until a worker has received it
            if error.code() != grpc.StatusCode.NOT_FOUND:
                raise
        else:
            if attribution.state == attribution_pb2.ATTRIBUTION_STATE_FAILED:
                raise RuntimeError(
                    f"attribution of {inference_id} failed: {attribution.error_reason} "
                    f"{attribution.error_message}"
                )
            if (
                attribution.state in FINAL
                and attribution.settlement_state == settlement_pb2.SETTLEMENT_STATE_CONFIRMED
            ):
                return attribution
        if time.monotonic() > deadline:
            raise RuntimeError(f"{inference_id} not settled after {SETTLE_WAIT_SECONDS:.0f}s")
        await asyncio.sleep(1.0)


def _paid(attribution: attribution_pb2.Attribution, people: dict[str, str]) -> str:
    paid = [c for c in attribution.contributors if c.eligible]
    if not paid:
        return "nobody (pool to the protocol)"
    return "\n".join(
        f"{_who(c.contributor_address, people)}: {c.share:.1%} = {_open(c.amount)} OPEN"
        for c in paid
    )


def _show_settlements(
    ctx: DemoContext, settled: Sequence[attribution_pb2.Attribution], people: dict[str, str]
) -> None:
    table = Table(title="Completions attributed and settled on AttributionRewards")
    for column in ("inference", "adapter", "method", "contributors paid", "fee split", "tx"):
        table.add_column(column, overflow="fold")
    for a in settled:
        split = a.fee_split
        table.add_row(
            a.inference_id[-12:],
            a.adapter or f"{a.base_model} (base)",
            METHODS.get(a.method, "not attributable"),
            _paid(a, people),
            f"fee {_open(split.fee)}: contributors {_open(split.contributors_amount)}, "
            f"owner {_open(split.model_owner_amount)}, protocol {_open(split.protocol_amount)}",
            f"0x{a.settlement_tx_hash.hex()[:12]}…",
        )
    Console(file=ctx.out, width=160).print(table)


async def _explain(
    ctx: DemoContext,
    stub: pb_grpc.AttributionServiceStub,
    attribution: attribution_pb2.Attribution,
    people: dict[str, str],
) -> None:
    explained = (
        await stub.ExplainCompletion(
            pb.ExplainCompletionRequest(
                inference_id=attribution.inference_id,
                max_spans=5,
                max_matches_per_span=2,
                max_examples=3,
                snippet_chars=80,
            )
        )
    ).explanation
    ctx.say(
        f"inference {attribution.inference_id}: {explained.span_count} spans traced in "
        f"{explained.snapshot}; output: {explained.output_text.strip()!r}"
    )
    for span in explained.spans:
        ctx.say(f"  span {span.text!r} (found {span.occurrence_count}×, rarity {span.rarity:.2f})")
        for match in span.matches:
            ctx.say(
                f"    {_who(match.contributor_address, people)}, record "
                f"{match.record_id[-12:]}: …{match.snippet}…"
            )
    for example in explained.examples:
        ctx.say(
            f"  influential record {example.record_id[-12:]} of "
            f"{_who(example.contributor_address, people)}: influence {example.score:+.3g}"
        )


# --- governance ----------------------------------------------------------------------------


async def _governance(
    ctx: DemoContext,
    manifest: DeploymentManifest,
    stub: pb_grpc.AttributionServiceStub,
    answer: attribution_pb2.Attribution,
    people: dict[str, str],
) -> None:
    """A text quoting alice at length and carol briefly is scored ad hoc with a hypothetical
    fee; a vote sets the threshold just above carol's share; the same text is scored again,
    and ``answer``'s question is asked again and settled under the new threshold."""
    request = pb.AttributeRequest(
        text=_quote(ctx), snapshot=answer.snapshot, fee=str(HYPOTHETICAL_FEE)
    )
    before = await stub.Attribute(request)
    ctx.say(
        f"ad hoc: {request.text!r} scored against {answer.snapshot} with a hypothetical fee of "
        f"{_open(HYPOTHETICAL_FEE)} OPEN"
    )
    threshold = _flipping_threshold(before)
    await _vote_threshold(ctx, manifest, threshold)
    after = await _applied(stub, request, threshold)
    _compare(ctx, before, after, people)
    again = await _ask_again(ctx, stub, answer.inference_id)
    ctx.say(f"  settled under {again.threshold_bps} bps: {_paid(again, people)}")


def _quote(ctx: DemoContext) -> str:
    answers = ctx.shared.get("datanet.answers")
    if not isinstance(answers, dict):
        raise RuntimeError("the datanet step left no records to quote")
    alice, carol = answers["alice"][2], answers["carol"][0]
    return f"{alice} {' '.join(carol.split()[:9])}."


def _flipping_threshold(scored: pb.AttributeResponse) -> int:
    """A threshold (bps) that flips whether the second contributor is paid: just above its
    raw share when it is paid now, at its raw share when it is not. With a single contributor
    nothing can flip; the bar is then lowered to 1 %."""
    shares = sorted(c.raw_share for c in scored.contributors if c.raw_share > 0)[::-1]
    if len(shares) < 2:
        return 100
    second = int(shares[1] * 10_000)
    return min(second + 1, 10_000) if scored.threshold_bps <= second else second


async def _vote_threshold(ctx: DemoContext, manifest: DeploymentManifest, bps: int) -> None:
    voter = parse_private_key(ANVIL_DEV_KEYS[VOTER_KEY], source=f"anvil key {VOTER_KEY}")
    async with connected(ctx.env(L2_RPC_URL)) as l2:
        sender = TxSender(l2, voter)
        gopen = await GOpen.load(manifest, l2, sender=sender)
        governor = await OpenGovernor.load(manifest, l2, sender=sender)
        timelock = await TimelockController.load(manifest, l2)
        params = await ProtocolParams.load(manifest, l2)
        old = await params.attribution_threshold_bps()
        if await gopen.balance_of(voter.address) < VOTER_STAKE:
            await gopen.deposit(VOTER_STAKE)
        await gopen.delegate(voter.address)
        await advance_time(l2, 1)
        proposal = Proposal.of(
            [params.set_attribution_threshold_call(bps)],
            f"Set the attribution threshold to {bps} bps ({uuid.uuid4()})",
        )
        proposal_id = await governor.propose(proposal)
        ctx.say(
            f"governance: {voter.address} wraps {_open(VOTER_STAKE)} OPEN into gOPEN and "
            f"proposes threshold {old} -> {bps} bps (proposal {str(proposal_id)[:12]}…)"
        )
        await _pass_time(l2, await governor.voting_delay())
        await governor.cast_vote(proposal_id)
        await _pass_time(l2, await governor.voting_period())
        await governor.queue(proposal)
        await _pass_time(l2, await timelock.min_delay())
        await governor.execute(proposal)
        ctx.say(
            f"voted FOR, queued in the timelock and executed: ProtocolParams threshold is now "
            f"{await params.attribution_threshold_bps()} bps"
        )


async def _pass_time(l2: AsyncWeb3[Any], seconds: int) -> None:
    await advance_time(l2, seconds + 1)


async def _applied(
    stub: pb_grpc.AttributionServiceStub, request: pb.AttributeRequest, bps: int
) -> pb.AttributeResponse:
    """``request`` scored once the service applies threshold ``bps`` (it refreshes
    ``ProtocolParams`` when the contract emits a change)."""
    deadline = time.monotonic() + 60.0
    while True:
        scored: pb.AttributeResponse = await stub.Attribute(request)
        if scored.threshold_bps == bps:
            return scored
        if time.monotonic() > deadline:
            raise RuntimeError(f"the service did not apply threshold {bps} within 60 s")
        await asyncio.sleep(0.5)


async def _ask_again(
    ctx: DemoContext, stub: pb_grpc.AttributionServiceStub, inference_id: str
) -> attribution_pb2.Attribution:
    """The inference step's request of ``inference_id`` again, as the same user."""
    specs = ctx.shared.get("inference.adapter_specs")
    recorded = specs.get(inference_id) if isinstance(specs, dict) else None
    if not isinstance(recorded, bytes):
        raise RuntimeError(f"the inference step left no request of {inference_id} to ask again")
    spec = generation_pb2.GenerationSpec.FromString(recorded)
    user = parse_private_key(ANVIL_DEV_KEYS[USER_KEY], source=f"anvil key {USER_KEY}")
    channel = connect(ctx.env(ROUTER_ADDR_ENV), signer=user, deployment_id=DEPLOYMENT_ID)
    try:
        pool = pool_grpc.InferencePoolServiceStub(channel)  # type: ignore[no-untyped-call]
        response = await pool.Generate(
            pool_pb.InferencePoolServiceGenerateRequest(spec=spec, request_id=str(uuid.uuid4())),
            timeout=300.0,
        )
    finally:
        await channel.close()
    again = response.completion.inference_id
    ctx.say(f"the question of {inference_id} asked again: inference {again}")
    return await _settled(stub, again)


def _compare(
    ctx: DemoContext,
    before: pb.AttributeResponse,
    after: pb.AttributeResponse,
    people: dict[str, str],
) -> None:
    table = Table(title="The same text, before and after the vote")
    for column in (
        "contributor",
        "raw share",
        f"paid at {before.threshold_bps} bps",
        f"paid at {after.threshold_bps} bps",
    ):
        table.add_column(column)
    rows: dict[str, list[str]] = {}
    for a, slot in ((before, 2), (after, 3)):
        for c in a.contributors:
            row = rows.setdefault(
                c.contributor_address,
                [_who(c.contributor_address, people), f"{c.raw_share:.2%}", "-", "-"],
            )
            row[slot] = f"{_open(c.amount)} OPEN" if c.eligible else "below threshold"
    for row in rows.values():
        table.add_row(*row)
    Console(file=ctx.out, width=140).print(table)


# --- claim and report ----------------------------------------------------------------------


async def _claim(
    ctx: DemoContext,
    manifest: DeploymentManifest,
    stub: pb_grpc.AttributionServiceStub,
    people: dict[str, str],
) -> None:
    async with connected(ctx.env(L2_RPC_URL)) as l2:
        rewards = await AttributionRewards.load(manifest, l2)
        claimable = {address: await rewards.claimable(address) for address in people}
        address, amount = max(claimable.items(), key=lambda item: item[1])
        if amount == 0:
            ctx.say("no demo contributor has rewards to claim")
            return
        key = next(i for i, name in PEOPLE.items() if name == people[address])
        account = parse_private_key(ANVIL_DEV_KEYS[key], source=f"anvil key {key}")
        balance = int(await l2.eth.get_balance(account.address))
        receipt = await rewards.with_sender(TxSender(l2, account)).claim()
        gas = int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])
        gained = int(await l2.eth.get_balance(account.address)) - balance + gas
        ctx.say(
            f"{people[address]} claims {_open(amount)} OPEN from AttributionRewards "
            f"(tx 0x{bytes(receipt['transactionHash']).hex()[:12]}…): balance +{_open(gained)} "
            f"OPEN before gas"
        )


async def _report(
    ctx: DemoContext, stub: pb_grpc.AttributionServiceStub, people: dict[str, str]
) -> None:
    datanet = ctx.shared.get("datanet.snapshot", "")
    datanet_name = "/".join(str(datanet).split("/")[:2])
    channel = connect(ctx.env(DATANET_ADDR_ENV))
    try:
        registry = datanet_grpc.DatanetServiceStub(channel)  # type: ignore[no-untyped-call]
        table = Table(title=f"Contributors of {datanet_name}: records and rewards")
        for column in (
            "contributor",
            "accepted",
            "rejected",
            "credits",
            "earned",
            "pending",
            "claimable",
            "claimed",
        ):
            table.add_column(column)
        for address, name in people.items():
            standing = await _standing(registry, f"{datanet_name}/contributors/{address}")
            rewards = await stub.ListContributorRewards(
                pb.ListContributorRewardsRequest(contributor_address=address)
            )
            table.add_row(
                name,
                str(standing.accepted_count),
                str(standing.rejected_count),
                str(rewards.total_size),
                _open(rewards.total_earned),
                _open(rewards.total_pending),
                _open(rewards.total_claimable),
                _open(rewards.total_claimed),
            )
        Console(file=ctx.out, width=140).print(table)
    finally:
        await channel.close()


async def _standing(
    registry: datanet_grpc.DatanetServiceStub, name: str
) -> contributor_pb2.Contributor:
    """The contributor's standing; all zero for someone who never contributed there."""
    try:
        response = await registry.GetContributor(datanet_pb.GetContributorRequest(name=name))
        standing: contributor_pb2.Contributor = response.contributor
        return standing
    except grpc.aio.AioRpcError as error:
        if error.code() != grpc.StatusCode.NOT_FOUND:
            raise
        return contributor_pb2.Contributor()


STEP = DemoStep(
    name="attribution",
    title="Proof of Attribution: spans traced to contributors, rewards settled, a vote, a claim",
    run=_run,
    order=50,
    services=("attribution",),
)
