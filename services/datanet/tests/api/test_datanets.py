"""CreateDatanet, GetDatanet, ListDatanets and UpdateDatanet through the real server: auth,
validation naming the field, idempotency and the registration on the DatanetRegistry."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import field_mask_pb2
from hexbytes import HexBytes

from openledger.datanet.v1 import datanet_pb2
from openledger.datanet.v1 import datanet_service_pb2 as pb
from openledger_datanet.api.convert import dict_to_struct
from openledger_datanet.domain.model import chain_datanet_id
from openledger_datanet.server import DatanetServer
from openledger_kit.contracts import DatanetRegistry
from openledger_kit.server import bad_request, error_info
from services.datanet.tests.support import (
    SERVICE_TOKEN,
    Chain,
    create_request,
    policy,
    request_id,
    stub,
    wait_active,
)


def _field(err: grpc.aio.AioRpcError) -> str:
    details = bad_request(err)
    assert details is not None, f"no BadRequest in {err}"
    return str(details.field_violations[0].field)


def _reason(err: grpc.aio.AioRpcError) -> str:
    info = error_info(err)
    assert info is not None, f"no ErrorInfo in {err}"
    return str(info.reason)


async def test_create_registers_on_chain_and_the_signer_is_the_curator(
    server: DatanetServer, chain: Chain
) -> None:
    curator = await chain.account()
    channel, api = stub(server.port, signer=curator)
    try:
        created = await api.CreateDatanet(
            create_request("dn-create", curator.address.lower(), stake_required=10**17)
        )
        assert created.datanet.state == datanet_pb2.DATANET_STATE_REGISTERING
        assert created.datanet.curator == curator.address  # returned checksummed
        active = await wait_active(api, "datanets/dn-create")
        assert active.revision == 1 and active.registration.tx_hash
        registry = await DatanetRegistry.load(chain.manifest, chain.l2)
        onchain = await registry.datanet(chain_datanet_id("dn-create"))
        assert onchain is not None
        assert (onchain.curator, onchain.stake_required) == (curator.address, 10**17)
        assert (
            active.registration.block_number
            == (await chain.l2.eth.get_transaction_receipt(HexBytes(active.registration.tx_hash)))[
                "blockNumber"
            ]
        )
    finally:
        await channel.close()


async def test_create_rejects_bad_input_naming_the_field(
    server: DatanetServer, chain: Chain
) -> None:
    curator = await chain.account()
    other = await chain.account()
    channel, api = stub(server.port, signer=curator)
    anonymous, anon_api = stub(server.port)
    try:
        cases: list[tuple[pb.CreateDatanetRequest, grpc.StatusCode, str]] = []
        bad_id = create_request("Bad_Id", curator.address)
        cases.append((bad_id, grpc.StatusCode.INVALID_ARGUMENT, "datanet_id"))
        bad_schema = create_request("dn-bad-schema", curator.address)
        bad_schema.datanet.record_schema.CopyFrom(dict_to_struct({"type": "no-such-type"}))
        cases.append((bad_schema, grpc.StatusCode.INVALID_ARGUMENT, "datanet.record_schema"))
        remote_ref = create_request("dn-remote-ref", curator.address)
        remote_ref.datanet.record_schema.CopyFrom(
            dict_to_struct({"$ref": "https://example.com/schema.json"})
        )
        cases.append((remote_ref, grpc.StatusCode.INVALID_ARGUMENT, "datanet.record_schema"))
        bad_policy = create_request(
            "dn-bad-policy", curator.address, curation_policy=policy(max_symbol_ratio=1.5)
        )
        cases.append(
            (
                bad_policy,
                grpc.StatusCode.INVALID_ARGUMENT,
                "datanet.curation_policy.max_symbol_ratio",
            )
        )
        bad_stake = create_request("dn-bad-stake", curator.address)
        bad_stake.datanet.stake_required = "-1"
        cases.append((bad_stake, grpc.StatusCode.INVALID_ARGUMENT, "datanet.stake_required"))
        too_much_slash = create_request(
            "dn-slash-cap", curator.address, curation_policy=policy(slash_amount="1000")
        )
        cases.append(
            (
                too_much_slash,
                grpc.StatusCode.INVALID_ARGUMENT,
                "datanet.curation_policy.slash_amount",
            )
        )
        bad_request_id = create_request("dn-bad-request-id", curator.address)
        bad_request_id.request_id = "not-a-uuid"
        cases.append((bad_request_id, grpc.StatusCode.INVALID_ARGUMENT, "request_id"))
        for request, code, field in cases:
            with pytest.raises(grpc.aio.AioRpcError) as failed:
                await api.CreateDatanet(request)
            assert failed.value.code() == code, (field, failed.value)
            # Schema errors also point inside the schema: "datanet.record_schema/type".
            assert _field(failed.value).split("/")[0] == field
            assert error_info(failed.value) is not None

        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await api.CreateDatanet(create_request("dn-for-other", other.address))
        assert failed.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert _reason(failed.value) == "NOT_CURATOR"

        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await anon_api.CreateDatanet(create_request("dn-unsigned", curator.address))
        assert failed.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert _reason(failed.value) == "CREDENTIALS_MISSING"
    finally:
        await channel.close()
        await anonymous.close()


async def test_create_is_idempotent_and_ids_are_unique(server: DatanetServer, chain: Chain) -> None:
    curator = await chain.account()
    channel, api = stub(server.port, signer=curator)
    service, service_api = stub(server.port, token=SERVICE_TOKEN)
    try:
        request = create_request("dn-idem", curator.address)
        first = await api.CreateDatanet(request)
        again = await api.CreateDatanet(request)
        assert again.datanet.name == first.datanet.name
        assert again.datanet.create_time == first.datanet.create_time

        changed = pb.CreateDatanetRequest()
        changed.CopyFrom(request)
        changed.datanet.display_name = "something else"
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await api.CreateDatanet(changed)
        assert failed.value.code() == grpc.StatusCode.ALREADY_EXISTS
        assert _reason(failed.value) == "REQUEST_ID_REUSED"

        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await api.CreateDatanet(create_request("dn-idem", curator.address))
        assert failed.value.code() == grpc.StatusCode.ALREADY_EXISTS
        assert _reason(failed.value) == "DATANET_ALREADY_EXISTS"

        # A service token may name any curator.
        by_service = await service_api.CreateDatanet(
            create_request("dn-by-service", curator.address)
        )
        assert by_service.datanet.curator == curator.address
        await wait_active(api, "datanets/dn-by-service")
    finally:
        await channel.close()
        await service.close()


async def test_get_and_list(server: DatanetServer, chain: Chain) -> None:
    curator = await chain.account()
    channel, api = stub(server.port, signer=curator)
    anonymous, reader = stub(server.port)
    try:
        for suffix in ("a", "b", "c"):
            await api.CreateDatanet(create_request(f"dn-list-{suffix}", curator.address))
        got = await reader.GetDatanet(pb.GetDatanetRequest(name="datanets/dn-list-b"))
        assert got.datanet.display_name == "Test dn-list-b"

        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await reader.GetDatanet(pb.GetDatanetRequest(name="datanets/no-such-datanet"))
        assert failed.value.code() == grpc.StatusCode.NOT_FOUND
        assert _reason(failed.value) == "DATANET_NOT_FOUND"
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await reader.GetDatanet(pb.GetDatanetRequest(name="datasets/x"))
        assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert _field(failed.value) == "name"

        names: list[str] = []
        token = ""
        while True:
            page = await reader.ListDatanets(
                pb.ListDatanetsRequest(curator=curator.address, page_size=2, page_token=token)
            )
            assert page.total_size == 3
            names += [d.name for d in page.datanets]
            token = page.next_page_token
            if not token:
                break
        # Newest first.
        assert names == ["datanets/dn-list-c", "datanets/dn-list-b", "datanets/dn-list-a"]
    finally:
        await channel.close()
        await anonymous.close()


async def test_update_by_the_curator_only(server: DatanetServer, chain: Chain) -> None:
    curator = await chain.account()
    stranger = await chain.account()
    channel, api = stub(server.port, signer=curator)
    other, other_api = stub(server.port, signer=stranger)
    try:
        await api.CreateDatanet(create_request("dn-update", curator.address))
        current = await wait_active(api, "datanets/dn-update")

        update = pb.UpdateDatanetRequest(
            request_id=request_id(),
            datanet=datanet_pb2.Datanet(
                name="datanets/dn-update",
                display_name="Renamed",
                stake_required="5",
                curation_policy=policy(min_length_chars=5),
                etag=current.etag,
            ),
            update_mask=field_mask_pb2.FieldMask(
                paths=["display_name", "stake_required", "curation_policy.min_length_chars"]
            ),
        )
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await other_api.UpdateDatanet(update)
        assert failed.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert _reason(failed.value) == "NOT_CURATOR"

        updated = (await api.UpdateDatanet(update)).datanet
        assert updated.display_name == "Renamed"
        assert updated.stake_required == "5"
        assert updated.curation_policy.min_length_chars == 5
        assert updated.revision == 2
        registry = await DatanetRegistry.load(chain.manifest, chain.l2)
        onchain = await registry.datanet(chain_datanet_id("dn-update"))
        assert onchain is not None and onchain.stake_required == 5

        # The same request again changes nothing (no second revision bump).
        again = (await api.UpdateDatanet(update)).datanet
        assert again.revision == 2

        stale = pb.UpdateDatanetRequest()
        stale.CopyFrom(update)
        stale.request_id = request_id()
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await api.UpdateDatanet(stale)
        assert failed.value.code() == grpc.StatusCode.ABORTED

        bad_path = pb.UpdateDatanetRequest(
            request_id=request_id(),
            datanet=datanet_pb2.Datanet(name="datanets/dn-update"),
            update_mask=field_mask_pb2.FieldMask(paths=["revision"]),
        )
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await api.UpdateDatanet(bad_path)
        assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert _field(failed.value).startswith("update_mask")

        paused = pb.UpdateDatanetRequest(
            request_id=request_id(),
            datanet=datanet_pb2.Datanet(
                name="datanets/dn-update", state=datanet_pb2.DATANET_STATE_PAUSED
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["state"]),
        )
        assert (await api.UpdateDatanet(paused)).datanet.state == datanet_pb2.DATANET_STATE_PAUSED

        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await api.UpdateDatanet(
                pb.UpdateDatanetRequest(
                    request_id=request_id(),
                    datanet=datanet_pb2.Datanet(name="datanets/no-such-datanet"),
                    update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
                )
            )
        assert failed.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        await channel.close()
        await other.close()
