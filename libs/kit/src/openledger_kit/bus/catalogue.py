"""The platform's streams (DESIGN.md, "Services"): one per event type, with its payload types.

Payload type names come from the generated event classes, so a renamed event fails at import.
"""

from __future__ import annotations

from openledger.events.v1 import (
    attribution_events_pb2,
    da_events_pb2,
    datanet_events_pb2,
    inference_events_pb2,
    modelfactory_events_pb2,
    sequencer_events_pb2,
)
from openledger_kit.bus.streams import Stream
from openledger_kit.errors import NotFound

SEQUENCER_BLOCK = Stream(
    "ol:sequencer:block:v1", (sequencer_events_pb2.BlockSealed.DESCRIPTOR.full_name,)
)
SEQUENCER_BATCH = Stream(
    "ol:sequencer:batch:v1", (sequencer_events_pb2.BatchPosted.DESCRIPTOR.full_name,)
)
SEQUENCER_OUTPUT = Stream(
    "ol:sequencer:output:v1", (sequencer_events_pb2.OutputProposed.DESCRIPTOR.full_name,)
)
DA_CERTIFICATE = Stream(
    "ol:da:certificate:v1", (da_events_pb2.CertificateIssued.DESCRIPTOR.full_name,)
)
DATANET_CONTRIBUTION = Stream(
    "ol:datanet:contribution:v1",
    (
        datanet_events_pb2.ContributionSubmitted.DESCRIPTOR.full_name,
        datanet_events_pb2.ContributionCurated.DESCRIPTOR.full_name,
    ),
)
DATANET_SNAPSHOT = Stream(
    "ol:datanet:snapshot:v1", (datanet_events_pb2.SnapshotPublished.DESCRIPTOR.full_name,)
)
MODELFACTORY_JOB = Stream(
    "ol:modelfactory:job:v1", (modelfactory_events_pb2.TrainingJobUpdated.DESCRIPTOR.full_name,)
)
MODELFACTORY_ADAPTER = Stream(
    "ol:modelfactory:adapter:v1", (modelfactory_events_pb2.AdapterPublished.DESCRIPTOR.full_name,)
)
INFERENCE_COMPLETION = Stream(
    "ol:inference:completion:v1", (inference_events_pb2.CompletionRecorded.DESCRIPTOR.full_name,)
)
ATTRIBUTION_RESULT = Stream(
    "ol:attribution:result:v1", (attribution_events_pb2.AttributionSettled.DESCRIPTOR.full_name,)
)

ALL_STREAMS: tuple[Stream, ...] = (
    SEQUENCER_BLOCK,
    SEQUENCER_BATCH,
    SEQUENCER_OUTPUT,
    DA_CERTIFICATE,
    DATANET_CONTRIBUTION,
    DATANET_SNAPSHOT,
    MODELFACTORY_JOB,
    MODELFACTORY_ADAPTER,
    INFERENCE_COMPLETION,
    ATTRIBUTION_RESULT,
)

_BY_KEY = {stream.key: stream for stream in ALL_STREAMS}


def stream_for_key(key: str) -> Stream:
    """The catalogued stream with Redis key ``key``."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise NotFound(f"no stream {key!r} in the catalogue", reason="STREAM_NOT_FOUND") from None


def streams_carrying(type_name: str) -> tuple[Stream, ...]:
    """The catalogued streams that carry payloads of protobuf type ``type_name``."""
    return tuple(stream for stream in ALL_STREAMS if type_name in stream.payload_types)
