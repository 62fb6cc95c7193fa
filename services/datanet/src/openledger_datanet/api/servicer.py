"""``DatanetService`` over gRPC: each RPC translates its request to a domain call and the result
back, nothing else. Errors are ``openledger_kit.errors`` raised by the domain; the kit's error
interceptor turns them into statuses with ``ErrorInfo`` and ``BadRequest``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC as _UTC
from typing import Any

from openledger.datanet.v1 import datanet_service_pb2 as pb
from openledger.datanet.v1 import datanet_service_pb2_grpc as pb_grpc
from openledger_datanet.api import convert
from openledger_datanet.domain import validation
from openledger_datanet.domain.errors import invalid
from openledger_datanet.domain.service import DatanetService, DatanetSpec
from openledger_datanet.domain.submission import RecordInput
from openledger_kit.auth import current_caller

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["DatanetService"].full_name
"""``openledger.datanet.v1.DatanetService``."""

ALL_DATANETS = "datanets/-"
EXPORT_MESSAGE_BYTES = 3 * 1024 * 1024


def _parent(value: str, field: str = "parent") -> str | None:
    """A datanet id from ``datanets/{datanet}``, or None for ``datanets/-``."""
    if value == ALL_DATANETS:
        return None
    return validation.datanet_name(value, field)


class DatanetServicer(pb_grpc.DatanetServiceServicer):
    """Translates ``openledger.datanet.v1.DatanetService`` to ``DatanetService`` calls."""

    def __init__(self, service: DatanetService) -> None:
        self.service = service

    async def CreateDatanet(  # noqa: N802 - gRPC method names
        self, request: pb.CreateDatanetRequest, context: Any
    ) -> pb.CreateDatanetResponse:
        d = request.datanet
        spec = DatanetSpec(
            display_name=d.display_name,
            domain=d.domain,
            description=d.description,
            record_schema=convert.struct_to_dict(d.record_schema),
            policy=(
                convert.policy_from_proto(d.curation_policy, "datanet.curation_policy")
                if d.HasField("curation_policy")
                else None
            ),
            stake_required=d.stake_required,
            curator=d.curator,
        )
        datanet = await self.service.create_datanet(
            current_caller(), request.request_id, request.datanet_id, spec
        )
        return pb.CreateDatanetResponse(datanet=convert.datanet_to_proto(datanet))

    async def GetDatanet(  # noqa: N802
        self, request: pb.GetDatanetRequest, context: Any
    ) -> pb.GetDatanetResponse:
        datanet = await self.service.get_datanet(validation.datanet_name(request.name))
        return pb.GetDatanetResponse(datanet=convert.datanet_to_proto(datanet))

    async def ListDatanets(  # noqa: N802
        self, request: pb.ListDatanetsRequest, context: Any
    ) -> pb.ListDatanetsResponse:
        page = await self.service.list_datanets(
            page_size=request.page_size,
            page_token=request.page_token,
            curator=request.curator,
            domain=request.domain,
            states=[convert.datanet_state(s, "states") for s in request.states],
        )
        return pb.ListDatanetsResponse(
            datanets=[convert.datanet_to_proto(d) for d in page.items],
            next_page_token=page.next_page_token,
            total_size=page.total_size,
        )

    async def UpdateDatanet(  # noqa: N802
        self, request: pb.UpdateDatanetRequest, context: Any
    ) -> pb.UpdateDatanetResponse:
        d = request.datanet
        datanet_id = validation.datanet_name(d.name, "datanet.name")
        paths = list(request.update_mask.paths)
        if "*" in paths:
            raise invalid("update_mask", "'*' is not accepted: name each field")
        values: dict[str, Any] = {
            "display_name": d.display_name,
            "domain": d.domain,
            "description": d.description,
            "record_schema": convert.struct_to_dict(d.record_schema),
            "stake_required": d.stake_required,
            "curator": d.curator,
        }
        if any(p == "state" for p in paths):
            values["state"] = convert.datanet_state(d.state, "datanet.state").value
        if any(p.startswith("curation_policy") for p in paths):
            values["curation_policy"] = convert.policy_from_proto(
                d.curation_policy, "datanet.curation_policy"
            )
        datanet = await self.service.update_datanet(
            current_caller(), request.request_id, datanet_id, paths, values, etag=d.etag
        )
        return pb.UpdateDatanetResponse(datanet=convert.datanet_to_proto(datanet))

    async def SubmitContributions(  # noqa: N802
        self, request: pb.SubmitContributionsRequest, context: Any
    ) -> pb.SubmitContributionsResponse:
        datanet_id = validation.datanet_name(request.parent, "parent")
        records = [
            RecordInput(
                content=(convert.struct_to_dict(r.content) if r.HasField("content") else None),
                contributor=r.contributor,
                content_hash=r.content_hash,
                signature=r.signature,
            )
            for r in request.records
        ]
        response = await self.service.submit(
            current_caller(), request.request_id, datanet_id, records
        )
        results = []
        for result in response.results:
            item = pb.ContributionSubmissionResult(
                index=result.index, already_submitted=result.already_submitted
            )
            if result.failure is not None:
                item.error.CopyFrom(
                    pb.SubmissionError(
                        reason=f"SUBMISSION_ERROR_REASON_{result.failure.reason.value}",
                        message=result.failure.message,
                    )
                )
            else:
                item.contribution = f"datanets/{datanet_id}/contributions/{result.contribution_id}"
            results.append(item)
        return pb.SubmitContributionsResponse(
            results=results,
            queued_count=response.queued_count,
            failed_count=response.failed_count,
        )

    async def GetContribution(  # noqa: N802
        self, request: pb.GetContributionRequest, context: Any
    ) -> pb.GetContributionResponse:
        datanet_id, contribution_id = validation.contribution_name(request.name)
        contribution = await self.service.get_contribution(
            current_caller(), datanet_id, contribution_id
        )
        return pb.GetContributionResponse(contribution=convert.contribution_to_proto(contribution))

    async def ListContributions(  # noqa: N802
        self, request: pb.ListContributionsRequest, context: Any
    ) -> pb.ListContributionsResponse:
        page = await self.service.list_contributions(
            current_caller(),
            _parent(request.parent),
            page_size=request.page_size,
            page_token=request.page_token,
            contributor=request.contributor,
            statuses=[convert.contribution_status(s, "statuses") for s in request.statuses],
            reasons=[
                convert.rejection_reason(r, "rejection_reasons").value
                for r in request.rejection_reasons
            ],
            create_time_start=(
                request.create_time_start.ToDatetime(tzinfo=_UTC)
                if request.HasField("create_time_start")
                else None
            ),
            create_time_end=(
                request.create_time_end.ToDatetime(tzinfo=_UTC)
                if request.HasField("create_time_end")
                else None
            ),
            newest_first=request.newest_first,
            omit_content=request.omit_content,
        )
        return pb.ListContributionsResponse(
            contributions=[convert.contribution_to_proto(c) for c in page.items],
            next_page_token=page.next_page_token,
            total_size=page.total_size,
        )

    async def GetContributor(  # noqa: N802
        self, request: pb.GetContributorRequest, context: Any
    ) -> pb.GetContributorResponse:
        datanet_id, address = validation.contributor_name(request.name)
        view = await self.service.get_contributor(datanet_id, address)
        return pb.GetContributorResponse(contributor=convert.contributor_to_proto(view))

    async def CreateSnapshot(  # noqa: N802
        self, request: pb.CreateSnapshotRequest, context: Any
    ) -> pb.CreateSnapshotResponse:
        snapshot = await self.service.create_snapshot(
            current_caller(),
            request.request_id,
            validation.datanet_name(request.parent, "parent"),
            request.description,
            request.accepted_before.ToDatetime(tzinfo=_UTC)
            if request.HasField("accepted_before")
            else None,
        )
        return pb.CreateSnapshotResponse(snapshot=convert.snapshot_to_proto(snapshot))

    async def GetSnapshot(  # noqa: N802
        self, request: pb.GetSnapshotRequest, context: Any
    ) -> pb.GetSnapshotResponse:
        snapshot = await self.service.get_snapshot(*validation.snapshot_name(request.name))
        return pb.GetSnapshotResponse(snapshot=convert.snapshot_to_proto(snapshot))

    async def ListSnapshots(  # noqa: N802
        self, request: pb.ListSnapshotsRequest, context: Any
    ) -> pb.ListSnapshotsResponse:
        page = await self.service.list_snapshots(
            _parent(request.parent),
            page_size=request.page_size,
            page_token=request.page_token,
            states=[convert.job_state(s, "states") for s in request.states],
        )
        return pb.ListSnapshotsResponse(
            snapshots=[convert.snapshot_to_proto(s) for s in page.items],
            next_page_token=page.next_page_token,
            total_size=page.total_size,
        )

    async def ExportSnapshot(  # noqa: N802
        self, request: pb.ExportSnapshotRequest, context: Any
    ) -> AsyncIterator[pb.ExportSnapshotResponse]:
        datanet_id, sequence = validation.snapshot_name(request.name)
        chunks = await self.service.export_snapshot(
            datanet_id, sequence, request.start_index, request.end_index
        )
        async for chunk in chunks:
            message = pb.ExportSnapshotResponse()
            for r in chunk:
                item = convert.snapshot_record_to_proto(r, omit_content=request.omit_content)
                # Each message stays under 4 MiB (records are at most 256 KiB each).
                if message.records and message.ByteSize() + item.ByteSize() > EXPORT_MESSAGE_BYTES:
                    yield message
                    message = pb.ExportSnapshotResponse()
                message.records.append(item)
            if message.records:
                yield message

    async def GetInclusionProof(  # noqa: N802
        self, request: pb.GetInclusionProofRequest, context: Any
    ) -> pb.GetInclusionProofResponse:
        datanet_id, sequence = validation.snapshot_name(request.snapshot, "snapshot")
        which = request.WhichOneof("record")
        proof = await self.service.inclusion_proof(
            datanet_id,
            sequence,
            record_id=request.record_id if which == "record_id" else None,
            leaf_index=request.leaf_index if which == "leaf_index" else None,
        )
        return pb.GetInclusionProofResponse(proof=convert.inclusion_proof_to_proto(proof))
