"""A contributor whose rejections fill the slashing window is slashed on the DatanetRegistry:
the stake drops on chain, the ``ContributorSlashed`` event carries the penalty's reason hash,
and ``GetContributor`` reports the CONFIRMED penalty with its transaction."""

from __future__ import annotations

from hexbytes import HexBytes

from openledger.datanet.v1 import contributor_pb2
from openledger.datanet.v1 import datanet_service_pb2 as pb
from openledger_datanet.domain.model import chain_datanet_id
from openledger_datanet.server import DatanetServer
from openledger_kit.chain import TxSender
from openledger_kit.contracts import DatanetRegistry
from services.datanet.tests.support import (
    Chain,
    create_request,
    eventually,
    policy,
    record,
    request_id,
    stub,
    wait_active,
    wait_curated,
)

STAKE = 10**17
SLASH = 5 * 10**15
GOOD = "Tides rise and fall twice a day because of the pull of the moon and the sun."
JUNK = ["no", "?!", "hm", "ok"]  # all TOO_SHORT (and worse): counted reasons


async def test_repeated_rejections_slash_on_chain(server: DatanetServer, chain: Chain) -> None:
    curator = await chain.account()
    mallory = await chain.account()
    honest = await chain.account()
    channel, api = stub(server.port, signer=curator)
    mallory_channel, mallory_api = stub(server.port, signer=mallory)
    honest_channel, honest_api = stub(server.port, signer=honest)
    try:
        await api.CreateDatanet(
            create_request(
                "dn-slash",
                curator.address,
                stake_required=STAKE,
                curation_policy=policy(
                    slash_rejection_rate=0.5, slash_window_size=4, slash_amount=str(SLASH)
                ),
            )
        )
        parent = "datanets/dn-slash"
        await wait_active(api, parent)
        datanet = chain_datanet_id("dn-slash")
        for person in (mallory, honest):
            registry = await DatanetRegistry.load(
                chain.manifest, chain.l2, sender=TxSender(chain.l2, person)
            )
            await registry.stake(datanet, STAKE)

        await honest_api.SubmitContributions(
            pb.SubmitContributionsRequest(
                request_id=request_id(), parent=parent, records=[record(honest, {"text": GOOD})]
            )
        )
        await mallory_api.SubmitContributions(
            pb.SubmitContributionsRequest(
                request_id=request_id(),
                parent=parent,
                records=[record(mallory, {"text": text}) for text in JUNK],
            )
        )
        await wait_curated(api, parent, 5)

        name = f"{parent}/contributors/{mallory.address}"
        standing = (
            await eventually(
                lambda: api.GetContributor(pb.GetContributorRequest(name=name)),
                lambda r: (
                    bool(r.contributor.penalties)
                    and r.contributor.penalties[0].state != contributor_pb2.PENALTY_STATE_PENDING
                ),
                what="the slash settled",
            )
        ).contributor
        (penalty,) = standing.penalties
        assert penalty.state == contributor_pb2.PENALTY_STATE_CONFIRMED, penalty
        assert penalty.kind == contributor_pb2.PENALTY_KIND_SLASH
        assert penalty.trigger == contributor_pb2.PENALTY_TRIGGER_REJECTION_RATE
        assert penalty.amount == str(SLASH) and penalty.rejection_rate == 1.0
        assert len(penalty.contributions) == 4
        assert standing.total_slashed == str(SLASH)
        assert standing.stake == str(STAKE - SLASH)
        # The window restarted after the slash.
        assert standing.window_curated_count == 0

        registry = await DatanetRegistry.load(chain.manifest, chain.l2)
        position = await registry.stake_of(datanet, mallory.address)
        assert position.staked == STAKE - SLASH
        receipt = await chain.l2.eth.get_transaction_receipt(HexBytes(penalty.transaction.tx_hash))
        (event,) = registry.events(receipt, "ContributorSlashed")
        stored = server.repository.get_penalty(penalty.id)
        assert event["args"]["reasonHash"] == stored.reason_hash
        assert (event["args"]["contributor"], event["args"]["amount"]) == (mallory.address, SLASH)

        # The honest contributor is untouched.
        assert (await registry.stake_of(datanet, honest.address)).staked == STAKE
        clean = (
            await api.GetContributor(
                pb.GetContributorRequest(name=f"{parent}/contributors/{honest.address}")
            )
        ).contributor
        assert not clean.penalties and clean.accepted_count == 1
    finally:
        await channel.close()
        await mallory_channel.close()
        await honest_channel.close()
