"""ModelFactory's base-model catalogue as the pool checks registrations against it
(``pool.BaseModelCatalogue``): read with ``ListBaseModels``, cached for a minute, and the last
good copy kept while ModelFactory is unreachable."""

from __future__ import annotations

import logging
import time

import grpc

from openledger.modelfactory.v1 import (
    modelfactory_service_pb2 as mf_pb,
)
from openledger.modelfactory.v1 import (
    modelfactory_service_pb2_grpc as mf_grpc,
)
from openledger_kit.client import NO_RETRY, TlsConfig, connect

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 60.0


class ModelFactoryCatalogue:
    def __init__(
        self,
        address: str,
        *,
        tls: bool = False,
        service_token: str | None = None,
        timeout_seconds: float = 5.0,
    ) -> None:
        self._channel = connect(
            address,
            tls=TlsConfig() if tls else None,
            token=service_token,
            default_timeout=timeout_seconds,
            retry=NO_RETRY,
        )
        self._stub = mf_grpc.ModelFactoryServiceStub(self._channel)  # type: ignore[no-untyped-call]
        self._models: frozenset[str] | None = None
        self._read_at = float("-inf")

    async def base_models(self) -> frozenset[str] | None:
        if time.monotonic() - self._read_at < REFRESH_SECONDS:
            return self._models
        try:
            self._models = await self._read()
            self._read_at = time.monotonic()
        except grpc.aio.AioRpcError as err:
            logger.warning("cannot read ModelFactory's catalogue: %s", err.code().name)
        return self._models

    async def _read(self) -> frozenset[str]:
        models: set[str] = set()
        token = ""
        while True:
            page = await self._stub.ListBaseModels(
                mf_pb.ListBaseModelsRequest(page_size=500, page_token=token)
            )
            models.update(model.name.removeprefix("baseModels/") for model in page.base_models)
            token = page.next_page_token
            if not token:
                return frozenset(models)

    async def close(self) -> None:
        await self._channel.close()
