"""Wiring the attribution service: storage, the object store, the base-model catalogue with the
span-index and gradient libraries, the chain (governed parameters, the settler, the rewards
reader), the ``Attributor``, the gRPC server (with auth and dependency-gated health) and, per
role, the worker (completion and catalogue consumers) and the settlement loop.

``create_attribution_server(settings)`` builds everything and binds the port (0 picks a free
one) without starting; ``AttributionServer.start()`` serves and, once the dependency checks
pass, starts the worker and the settlement loop (roles ``worker`` and ``all``). ``stop()`` stops
consuming (jobs under way finish; one cut short stays pending in the group and is replayed),
ends the settlement loop after its round, then stops the server and closes connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from openledger.attribution.v1 import attribution_service_pb2_grpc as pb_grpc
from openledger_attribution.adapters.bus import SettledPublisher
from openledger_attribution.adapters.catalogue import CatalogueHandlers
from openledger_attribution.adapters.chain import ParamsReader, Settler
from openledger_attribution.adapters.evidence import ProtobufEvidence
from openledger_attribution.adapters.gradients import GradientLibrary
from openledger_attribution.adapters.indexes import IndexLibrary
from openledger_attribution.adapters.models import BaseModelLibrary
from openledger_attribution.adapters.repository import Repository
from openledger_attribution.adapters.rewards import RewardsReader
from openledger_attribution.api.servicer import SERVICE_NAME, AttributionServicer
from openledger_attribution.config import Settings
from openledger_attribution.domain.attributor import ScoringConfig
from openledger_attribution.domain.policy import PolicyConfig
from openledger_attribution.influence.scoring import InfluenceParameters
from openledger_attribution.metrics import (
    AttributionMetrics,
    MeteredAttributor,
    MeteredIndexes,
    MeteredRepository,
)
from openledger_attribution.spans.attribution import SpanParameters
from openledger_attribution.workers.completions import AttributionWorker
from openledger_attribution.workers.settlement import SettlementLoop
from openledger_kit import bus
from openledger_kit.auth import Access, AuthPolicy, Rule
from openledger_kit.auth.interceptor import AuthInterceptor
from openledger_kit.bus import ConsumerOptions, Publisher
from openledger_kit.server import (
    DependencyCheck,
    GrpcService,
    create_server,
    database_check,
    new_registry,
    redis_check,
)
from openledger_kit.store import ObjectStore, open_store

logger = logging.getLogger(__name__)

AUTH_POLICY = AuthPolicy(
    {f"/{SERVICE_NAME}/*": Rule(Access.SIGNED, allow_service_token=True)},
)
"""Every RPC: a request signature by any address, or the service token. Results are public
(their evidence is hashed on chain); the signature meters and rate-limits callers."""


def scoring_config(settings: Settings) -> ScoringConfig:
    """The scoring recipe the settings describe."""
    return ScoringConfig(
        policy=PolicyConfig(
            gradient_only_max_parameters=settings.gradient_only_max_parameters,
            span_only_min_parameters=settings.span_only_min_parameters,
            span_weight_bps=settings.span_weight_bps,
        ),
        spans=SpanParameters(
            min_tokens=settings.span_min_tokens,
            max_count=settings.span_max_count,
            keep_fraction=settings.span_keep_fraction,
            max_documents=settings.span_max_documents,
        ),
        max_examples=settings.max_examples,
        adapter_wait_seconds=settings.adapter_wait_seconds,
    )


@dataclass
class AttributionServer:
    """The running pieces of one attribution process (see the module docstring)."""

    settings: Settings
    grpc: GrpcService
    port: int
    database: Repository
    repository: MeteredRepository
    """``database`` as the rest of the service uses it, metered."""
    store: ObjectStore
    attributor: MeteredAttributor
    params: ParamsReader
    settler: Settler
    rewards: RewardsReader
    indexes: IndexLibrary
    redis: Redis
    metrics: AttributionMetrics
    worker: AttributionWorker | None = None
    settlement: SettlementLoop | None = None
    _starting: asyncio.Task[None] | None = field(default=None, repr=False)
    _settling: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def role(self) -> str:
        return self.settings.role

    async def start(self) -> None:
        """Serve (NOT_SERVING until dependencies pass), then start the worker and the
        settlement loop in the background."""
        await self.grpc.start()
        self._starting = asyncio.create_task(self._after_ready())

    async def _after_ready(self) -> None:
        await self.grpc.wait_ready()
        if self.worker is not None:
            await self.worker.start()
        if self.settlement is not None:
            self._settling = asyncio.create_task(self.settlement.run(), name="settlement loop")
        logger.info("attribution %s ready on port %d", self.role, self.port)

    async def wait_ready(self) -> None:
        """Return once serving (and consuming and settling, where this role does)."""
        await self.grpc.wait_ready()
        if self._starting is not None:
            await asyncio.shield(self._starting)

    async def stop(self, grace: float | None = None) -> None:
        await self._stop_work()
        await self.grpc.stop(grace)
        await self._close()

    async def serve_forever(self) -> None:
        """Until SIGTERM/SIGINT: the kit's graceful stop, then this server's own cleanup."""
        self.grpc.add_shutdown_hook(self._cleanup)
        self._starting = asyncio.create_task(self._after_ready())
        await self.grpc.serve_forever()

    async def _cleanup(self) -> None:
        await self._stop_work()
        await self._close()

    async def _stop_work(self) -> None:
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._starting
        grace = self.settings.shutdown_grace_seconds
        if self.settlement is not None:
            self.settlement.stop()
        if self.worker is not None:
            try:
                await self.worker.stop(grace)
            except Exception:
                logger.exception("the attribution worker failed while stopping")
        if self._settling is not None:
            try:
                await asyncio.wait_for(self._settling, grace)
            except (TimeoutError, asyncio.CancelledError):
                pass
            except Exception:
                logger.exception("the settlement loop failed while stopping")
        await self.indexes.close()

    async def _close(self) -> None:
        await self.params.close()
        await self.settler.close()
        await self.rewards.close()
        await self.redis.aclose()
        await asyncio.to_thread(self.database.close)


def dependency_checks(
    settings: Settings, repository: Repository, rewards: RewardsReader
) -> list[DependencyCheck]:
    """Redis, the database and (unless ``chain_required`` is off) the L2 with
    ``AttributionRewards`` deployed at the manifest's address."""
    checks = [redis_check(settings.redis_url), database_check(repository.engine)]
    if settings.chain_required:
        checks.append(DependencyCheck(name="l2", probe=rewards.probe, timeout_seconds=30.0))
    return checks


async def create_attribution_server(
    settings: Settings,
    *,
    metrics_registry: CollectorRegistry | None = None,
) -> AttributionServer:
    """Build the service for ``settings.role`` and bind its port (see the module docstring).
    Call inside the event loop."""
    registry = metrics_registry or new_registry()
    metrics = AttributionMetrics(registry)
    opened = await asyncio.to_thread(Repository.open, settings.database_url)
    repository = MeteredRepository(opened, metrics)
    store = open_store(settings.object_store_url)
    redis = bus.connect(settings.redis_url)
    chain = (settings.l2_rpc_url, settings.deployment_manifest)
    params = ParamsReader(*chain, refresh_seconds=settings.params_refresh_seconds)
    settler = Settler.from_key_file(
        *chain, settings.account_key_file, receipt_timeout=settings.receipt_timeout_seconds
    )
    rewards = RewardsReader(*chain, None)
    models = BaseModelLibrary(settings.catalogue_file, settings.model_cache_dir)
    indexes = IndexLibrary(repository, store, models, settings.index_cache_dir)
    gradients = GradientLibrary(
        repository,
        store,
        models,
        settings.gradient_cache_dir,
        influence=InfluenceParameters(
            damping=settings.influence_damping,
            top_examples=settings.influence_top_examples,
            negative_z=settings.influence_negative_z,
        ),
    )
    attributor = MeteredAttributor(
        metrics=metrics,
        repository=repository,
        store=store,
        base_models=models,
        indexes=MeteredIndexes(indexes, metrics),
        gradients=gradients,
        params=params,
        chain=settler,
        evidence=ProtobufEvidence(),
        config=scoring_config(settings),
    )

    worker = settlement = None
    if settings.role in ("worker", "all"):
        worker = AttributionWorker(
            redis=redis,
            repository=repository,
            attributor=attributor,
            catalogue=CatalogueHandlers(repository, indexes),
            name=settings.worker_name,
            options=ConsumerOptions(
                concurrency=settings.bus_concurrency,
                batch_size=settings.bus_concurrency,
                visibility_timeout_seconds=settings.bus_visibility_timeout_seconds,
                max_deliveries=settings.bus_max_deliveries,
            ),
            registry=registry,
        )
        settlement = SettlementLoop(
            repository=repository,
            chain=settler,
            publisher=SettledPublisher(
                Publisher(
                    redis,
                    source=settings.service_name,
                    maxlen=settings.bus_stream_maxlen,
                    registry=registry,
                ),
                store,
            ),
            worker=settings.worker_name,
            batch_size=settings.settlement_batch_size,
            interval_seconds=settings.settlement_interval_seconds,
            lease_seconds=settings.settlement_lease_seconds,
            confirmations=settings.settlement_confirmations,
            max_attempts=settings.settlement_max_attempts,
        )
    api = settings.role in ("api", "all")

    def register(server: Any) -> None:
        if api:
            pb_grpc.add_AttributionServiceServicer_to_server(  # type: ignore[no-untyped-call]
                AttributionServicer(
                    repository=repository, attributor=attributor, store=store, rewards=rewards
                ),
                server,
            )

    interceptors = [AuthInterceptor.from_settings(settings, AUTH_POLICY)] if api else []
    grpc_service, port = create_server(
        settings,
        register=register,
        service_names=[SERVICE_NAME] if api else [],
        dependency_checks=dependency_checks(settings, opened, rewards),
        interceptors=interceptors,
        metrics_registry=registry,
    )
    return AttributionServer(
        settings=settings,
        grpc=grpc_service,
        port=port,
        database=opened,
        repository=repository,
        store=store,
        attributor=attributor,
        params=params,
        settler=settler,
        rewards=rewards,
        indexes=indexes,
        redis=redis,
        metrics=metrics,
        worker=worker,
        settlement=settlement,
    )
