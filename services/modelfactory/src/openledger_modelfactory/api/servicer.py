"""``ModelFactory`` over gRPC: each RPC translates its request to a domain call and the result
back, nothing else. Errors are ``openledger_kit.errors`` raised by the domain; the kit's error
interceptor turns them into statuses with ``ErrorInfo`` and ``BadRequest``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from openledger.modelfactory.v1 import modelfactory_service_pb2 as pb
from openledger.modelfactory.v1 import modelfactory_service_pb2_grpc as pb_grpc
from openledger_kit.auth import current_caller
from openledger_modelfactory.api import convert
from openledger_modelfactory.domain.service import ModelFactory

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ModelFactoryService"].full_name
"""``openledger.modelfactory.v1.ModelFactoryService``."""


class ModelFactoryServicer(pb_grpc.ModelFactoryServiceServicer):
    """Translates ``openledger.modelfactory.v1.ModelFactoryService`` to ``ModelFactory``."""

    def __init__(self, service: ModelFactory) -> None:
        self.service = service

    async def ListBaseModels(  # noqa: N802 - gRPC method names
        self, request: pb.ListBaseModelsRequest, context: Any
    ) -> pb.ListBaseModelsResponse:
        page = await self.service.list_base_models(
            available_only=request.available_only,
            architecture=request.architecture,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListBaseModelsResponse(
            base_models=[convert.base_model_to_proto(m) for m in page.items],
            next_page_token=page.next_page_token,
            total_size=page.total_size,
        )

    async def GetJobConfigSchema(  # noqa: N802
        self, request: pb.GetJobConfigSchemaRequest, context: Any
    ) -> pb.GetJobConfigSchemaResponse:
        schema = await self.service.job_config_schema(request.base_model)
        return pb.GetJobConfigSchemaResponse(
            json_schema=schema.json_schema,
            schema_id=schema.schema_id,
            schema_sha256=schema.schema_sha256,
            presets=[convert.preset_to_proto(p.preset, p.memory_estimates) for p in schema.presets],
            defaults=convert.job_config_to_proto(schema.defaults),
        )

    async def CreateTrainingJob(  # noqa: N802
        self, request: pb.CreateTrainingJobRequest, context: Any
    ) -> pb.CreateTrainingJobResponse:
        job = request.training_job
        created = await self.service.create_job(
            request_id=request.request_id,
            display_name=job.display_name,
            owner=job.owner,
            config=convert.job_config_from_proto(job.config),
            caller=current_caller(),
            validate_only=request.validate_only,
        )
        return pb.CreateTrainingJobResponse(training_job=convert.training_job_to_proto(created))

    async def GetJob(  # noqa: N802
        self, request: pb.GetJobRequest, context: Any
    ) -> pb.GetJobResponse:
        job = await self.service.get_job(request.name)
        return pb.GetJobResponse(training_job=convert.training_job_to_proto(job))

    async def ListJobs(  # noqa: N802
        self, request: pb.ListJobsRequest, context: Any
    ) -> pb.ListJobsResponse:
        page = await self.service.list_jobs(
            states=[convert.job_state_from_proto(s, "states") for s in request.states],
            snapshot=request.snapshot,
            base_model=request.base_model,
            owner=request.owner,
            adapter_id=request.adapter_id,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListJobsResponse(
            training_jobs=[convert.training_job_to_proto(j) for j in page.items],
            next_page_token=page.next_page_token,
            total_size=page.total_size,
        )

    async def CancelJob(  # noqa: N802
        self, request: pb.CancelJobRequest, context: Any
    ) -> pb.CancelJobResponse:
        job = await self.service.cancel_job(request.name, current_caller())
        return pb.CancelJobResponse(training_job=convert.training_job_to_proto(job))

    async def WatchJob(  # noqa: N802
        self, request: pb.WatchJobRequest, context: Any
    ) -> AsyncIterator[pb.WatchJobResponse]:
        updates = self.service.watch_job(request.name)
        try:
            async for update in updates:
                yield pb.WatchJobResponse(update=convert.job_update_to_proto(update))
        finally:
            await updates.aclose()  # type: ignore[attr-defined]

    async def GetAdapter(  # noqa: N802
        self, request: pb.GetAdapterRequest, context: Any
    ) -> pb.GetAdapterResponse:
        adapter = await self.service.get_adapter(request.name)
        return pb.GetAdapterResponse(adapter=convert.adapter_to_proto(adapter))

    async def ListAdapters(  # noqa: N802
        self, request: pb.ListAdaptersRequest, context: Any
    ) -> pb.ListAdaptersResponse:
        page = await self.service.list_adapters(
            adapter_id=request.adapter_id,
            base_model=request.base_model,
            owner=request.owner,
            snapshot=request.snapshot,
            latest_only=request.latest_only,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListAdaptersResponse(
            adapters=[convert.adapter_to_proto(a) for a in page.items],
            next_page_token=page.next_page_token,
            total_size=page.total_size,
        )

    async def ExportAdapter(  # noqa: N802
        self, request: pb.ExportAdapterRequest, context: Any
    ) -> AsyncIterator[pb.ExportAdapterResponse]:
        chunks = self.service.export_adapter(
            request.name,
            include_features=request.include_attribution_features,
            start_file=request.start_file,
            start_offset=request.start_offset,
            caller=current_caller(),
        )
        try:
            async for chunk in chunks:
                yield convert.export_chunk_to_proto(chunk)
        finally:
            await chunks.aclose()  # type: ignore[attr-defined]
