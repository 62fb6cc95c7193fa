"""What ModelFactory publishes, as the router reads it: ``ModelFactoryLister`` pages through
``ListBaseModels`` / ``ListAdapters`` (the OpenAI API's ``/v1/models``), and
``ModelFactoryCatalogue`` is the base-model catalogue the pool checks registrations against
(``pool.BaseModelCatalogue``), cached for a minute with the last good copy kept while
ModelFactory is unreachable."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol

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
BASE_MODEL_OWNER = "openledger"
MAX_LISTED_MODELS = 5000
_PAGE_SIZE = 500


@dataclass(frozen=True)
class ListedModel:
    """One entry of ``/v1/models``."""

    id: str
    created: int
    owned_by: str

    def body(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "model",
            "created": self.created,
            "owned_by": self.owned_by,
        }


class ModelCatalogue(Protocol):
    """What ModelFactory publishes: its base models and the adapters on each."""

    async def base_models(self) -> list[ListedModel]: ...

    async def adapters(self, base_model: str) -> list[ListedModel]: ...


class ModelFactoryLister:
    """``ModelCatalogue`` read from ModelFactory's ``ListBaseModels`` / ``ListAdapters``."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = mf_grpc.ModelFactoryServiceStub(channel)  # type: ignore[no-untyped-call]

    async def base_models(self) -> list[ListedModel]:
        models: list[ListedModel] = []
        token = ""
        while len(models) < MAX_LISTED_MODELS:
            page = await self._stub.ListBaseModels(
                mf_pb.ListBaseModelsRequest(page_size=_PAGE_SIZE, page_token=token)
            )
            # The catalogue has no creation time; 0 is what OpenAI-compatible servers report.
            models.extend(
                ListedModel(model.name.removeprefix("baseModels/"), 0, BASE_MODEL_OWNER)
                for model in page.base_models
            )
            token = page.next_page_token
            if not token:
                break
        return models

    async def adapters(self, base_model: str) -> list[ListedModel]:
        models: list[ListedModel] = []
        token = ""
        while len(models) < MAX_LISTED_MODELS:
            page = await self._stub.ListAdapters(
                mf_pb.ListAdaptersRequest(
                    page_size=_PAGE_SIZE, page_token=token, base_model=f"baseModels/{base_model}"
                )
            )
            models.extend(
                ListedModel(
                    adapter.name.removeprefix("adapters/"),
                    adapter.create_time.seconds,
                    adapter.owner or BASE_MODEL_OWNER,
                )
                for adapter in page.adapters
            )
            token = page.next_page_token
            if not token:
                break
        return models


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
        self._lister = ModelFactoryLister(self._channel)
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
        return frozenset(model.id for model in await self._lister.base_models())

    async def close(self) -> None:
        await self._channel.close()
