"""The node's membership in a pool: register with the router under the provider's key, then
heartbeat until stopped.

``PoolMembership.start()`` returns at once; a background task signs the registration
(capacity, engine and base model from the node's status, chain id and pool contract from the
deployment manifest), calls ``RegisterNode`` until the router admits the node, sets
``node.identity``, then sends a signed ``Heartbeat`` every interval the router asks for,
applying each answer with ``node.set_pool_state``. A node the router no longer knows
(NOT_FOUND) or has removed (FAILED_PRECONDITION: its lease lapsed past the removal grace)
registers again and gets a new node id; one removed while draining was deregistered on
purpose and stays out until restarted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import grpc
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from openledger.inference.v1 import inference_pool_service_pb2 as pb
from openledger.inference.v1 import inference_pool_service_pb2_grpc as pb_grpc
from openledger.inference.v1 import node_pb2
from openledger_inference.api.convert import capacity_to_proto, load_report_to_proto
from openledger_inference.config import NodeSettings
from openledger_inference.domain.model import NodeIdentity
from openledger_inference.domain.node import NodeStatusView
from openledger_inference.router.convert import registration_to_proto
from openledger_inference.router.registration import (
    NodeRegistration,
    sign_registration,
    whole_seconds,
)
from openledger_kit.chain import DeploymentManifest, load_account
from openledger_kit.client import NO_RETRY, TlsConfig, connect
from openledger_kit.errors import FailedPrecondition

logger = logging.getLogger(__name__)

REGISTRATION_VALIDITY = timedelta(hours=1)
"""How long a signed registration may be accepted: enough for retries, short for replays."""
RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 15.0
_REREGISTER = (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION)


class MemberNode(Protocol):
    """What membership needs of the node (``domain.node.InferenceNode``)."""

    identity: NodeIdentity

    def status(self) -> NodeStatusView: ...

    def set_pool_state(self, state: str, *, draining: bool) -> None: ...


class PoolMembership:
    """One node's membership (see the module docstring)."""

    def __init__(
        self, node: MemberNode, settings: NodeSettings, *, advertise_endpoint: str
    ) -> None:
        if settings.router_addr is None:
            raise FailedPrecondition("no router address (OL_INFERENCE_ROUTER_ADDR)")
        if settings.provider_key_file is None:
            raise FailedPrecondition(
                "pool membership needs the provider key (OL_INFERENCE_PROVIDER_KEY_FILE)",
                reason="SIGNING_KEY_MISSING",
            )
        self._node = node
        self._settings = settings
        self._router = settings.router_addr
        self._key_file = settings.provider_key_file
        self._endpoint = advertise_endpoint
        self._task: asyncio.Task[None] | None = None
        self._channel: grpc.aio.Channel | None = None
        self.registered = asyncio.Event()
        """Set once the router has admitted the node (again after each re-registration)."""
        self.state = ""
        """The node's state as the router last answered, e.g. ``ACTIVE``."""

    async def start(self) -> None:
        account = await asyncio.to_thread(load_account, file=self._key_file)
        self._channel = connect(
            self._router,
            tls=TlsConfig() if self._settings.router_tls else None,
            signer=account,
            deployment_id=self._settings.deployment_id,
            retry=NO_RETRY,
        )
        stub = pb_grpc.InferencePoolServiceStub(self._channel)  # type: ignore[no-untyped-call]
        self._task = asyncio.create_task(self._run(stub, account), name="pool membership")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    async def _run(self, stub: pb_grpc.InferencePoolServiceStub, account: LocalAccount) -> None:
        while True:
            name, interval = await self._register(stub, account)
            await self._heartbeat_until_forgotten(stub, name, interval)
            self.registered.clear()
            if self.state == "DRAINING":
                logger.info("%s was deregistered from the pool", name)
                self.state = "REMOVED"
                self._node.set_pool_state(self.state, draining=True)
                return

    async def _register(
        self, stub: pb_grpc.InferencePoolServiceStub, account: LocalAccount
    ) -> tuple[str, float]:
        request_id = str(uuid.uuid4())
        backoff = RETRY_SECONDS
        while True:
            try:
                registration = await asyncio.to_thread(self._registration, account)
                response = await stub.RegisterNode(
                    pb.RegisterNodeRequest(registration=registration, request_id=request_id)
                )
            except grpc.aio.AioRpcError as err:
                logger.warning(
                    "registering with the router at %s failed: %s %s",
                    self._router,
                    err.code().name,
                    err.details(),
                )
            except (OSError, ValueError, KeyError) as err:
                logger.warning("cannot build the node registration: %s", err)
            else:
                name = response.node.name
                self._node.identity = NodeIdentity(node=name, provider_address=account.address)
                self._apply(response.node.state, draining=False)
                self.registered.set()
                logger.info("registered in the pool as %s", name)
                return name, response.heartbeat_interval.ToTimedelta().total_seconds()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_RETRY_SECONDS)

    async def _heartbeat_until_forgotten(
        self, stub: pb_grpc.InferencePoolServiceStub, name: str, interval: float
    ) -> None:
        while True:
            await asyncio.sleep(interval)
            status = self._node.status()
            try:
                response = await stub.Heartbeat(
                    pb.HeartbeatRequest(
                        name=name,
                        capacity=capacity_to_proto(status.capacity),
                        load=load_report_to_proto(status.load),
                        healthy=status.healthy,
                    )
                )
            except grpc.aio.AioRpcError as err:
                if err.code() in _REREGISTER:
                    logger.warning(
                        "the router forgot %s (%s): registering again", name, err.details()
                    )
                    return
                logger.warning("heartbeat of %s failed: %s", name, err.code().name)
                continue
            self._apply(response.state, draining=response.drain)
            interval = response.heartbeat_interval.ToTimedelta().total_seconds() or interval

    def _apply(self, state: node_pb2.NodeState, *, draining: bool) -> None:
        self.state = node_pb2.NodeState.Name(state).removeprefix("NODE_STATE_")
        self._node.set_pool_state(self.state, draining=draining)

    def _registration(self, account: LocalAccount) -> node_pb2.NodeRegistration:
        manifest = DeploymentManifest.load(self._settings.deployment_manifest)
        status = self._node.status()
        registration = NodeRegistration(
            provider_address=str(account.address),
            endpoint=self._endpoint,
            metadata_hash=_metadata_hash(self._settings.node_metadata_file),
            engine=status.engine,
            base_models=status.base_models,
            capacity=status.capacity,
            chain_id=manifest.chains["l2"].chain_id,
            pool_contract=str(manifest.entry("l2", "InferencePool").address),
            expire_time=whole_seconds(datetime.now(UTC) + REGISTRATION_VALIDITY),
        )
        return registration_to_proto(sign_registration(registration, account))


def _metadata_hash(path: Path | None) -> bytes:
    return keccak(path.read_bytes() if path is not None else b"{}")
