"""Envelopes, event ids, stream descriptors and the catalogue (no Redis needed)."""

from __future__ import annotations

import uuid

import pytest
from google.protobuf.wrappers_pb2 import Int64Value, StringValue

from openledger_kit.bus import MalformedEvent, Stream, catalogue, new_event_id, open_envelope, seal
from openledger_kit.bus.envelope import ENVELOPE_FIELD, new_event_ids, open_payload
from openledger_kit.bus.options import ConsumerOptions
from openledger_kit.config import ServiceSettings
from openledger_kit.errors import InvalidArgument, NotFound


def test_event_ids_are_uuid7_unique_and_sort_by_creation() -> None:
    ids = [new_event_id() for _ in range(500)] + new_event_ids(5000)
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    parsed = uuid.UUID(ids[0])
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122


def test_seal_and_open_round_trip() -> None:
    envelope = seal(
        StringValue(value="hello"),
        source="datanet",
        trace_context={"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"},
    )
    fields = {ENVELOPE_FIELD: envelope.SerializeToString()}

    opened = open_envelope(fields)

    assert opened.id == envelope.id and opened.source == "datanet"
    assert opened.type == "google.protobuf.StringValue"
    assert opened.time.ToNanoseconds() > 0
    assert opened.trace_context["traceparent"].startswith("00-111")
    assert open_payload(opened, StringValue).value == "hello"


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {b"other": b"x"},
        {ENVELOPE_FIELD: b"\xff\xff not a protobuf"},
        # An envelope whose Any names another type than Envelope.type.
        {ENVELOPE_FIELD: seal(StringValue(), source="s").SerializeToString().replace(
            b"google.protobuf.StringValue", b"google.protobuf.StringValuX", 1)},
    ],
)  # fmt: skip
def test_entries_that_are_not_envelopes_are_malformed(fields: dict[bytes, bytes]) -> None:
    with pytest.raises(MalformedEvent):
        open_envelope(fields)


def test_payload_of_another_type_is_malformed() -> None:
    envelope = seal(StringValue(value="x"), source="s")
    with pytest.raises(MalformedEvent):
        open_payload(envelope, Int64Value)


@pytest.mark.parametrize("event_id", ["", "has space", "new\nline", "é", "x" * 129])
def test_bad_event_ids_are_rejected(event_id: str) -> None:
    with pytest.raises(InvalidArgument):
        seal(StringValue(), source="s", event_id=event_id)


@pytest.mark.parametrize(
    "key", ["ol:da:certificate", "da:certificate:v1", "ol:Da:x:v1", "ol:a:b:v0"]
)
def test_stream_keys_follow_the_convention(key: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        Stream(key)
    assert caught.value.reason == "INVALID_STREAM_KEY"


def test_stream_payload_types_and_derived_keys() -> None:
    stream = catalogue.DATANET_CONTRIBUTION
    assert stream.allows("openledger.events.v1.ContributionCurated")
    assert not stream.allows("openledger.events.v1.BlockSealed")
    with pytest.raises(InvalidArgument) as caught:
        stream.check_payload_type("openledger.events.v1.BlockSealed")
    assert caught.value.reason == "PAYLOAD_TYPE_NOT_ALLOWED"
    assert stream.dead_letter_key == "ol:datanet:contribution:v1:dlq"
    assert stream.done_key("attribution") == "ol:datanet:contribution:v1:done:attribution"
    assert Stream("ol:test:any:v1").allows("google.protobuf.StringValue")


def test_catalogue_lists_the_platform_streams() -> None:
    assert {stream.key for stream in catalogue.ALL_STREAMS} == {
        "ol:sequencer:block:v1",
        "ol:sequencer:batch:v1",
        "ol:sequencer:output:v1",
        "ol:da:certificate:v1",
        "ol:datanet:contribution:v1",
        "ol:datanet:snapshot:v1",
        "ol:modelfactory:job:v1",
        "ol:modelfactory:adapter:v1",
        "ol:inference:completion:v1",
        "ol:attribution:result:v1",
    }
    assert catalogue.stream_for_key("ol:sequencer:block:v1").payload_types == (
        "openledger.events.v1.BlockSealed",
    )
    assert catalogue.streams_carrying("openledger.events.v1.CompletionRecorded") == (
        catalogue.INFERENCE_COMPLETION,
    )
    with pytest.raises(NotFound):
        catalogue.stream_for_key("ol:nobody:nothing:v1")


def test_consumer_options_follow_service_settings() -> None:
    settings = ServiceSettings.model_validate(
        {"bus_concurrency": 3, "bus_max_deliveries": 7, "bus_visibility_timeout_seconds": 9}
    )
    options = ConsumerOptions.from_settings(settings, batch_size=10)
    assert (options.concurrency, options.max_deliveries, options.batch_size) == (3, 7, 10)
    assert options.visibility_timeout_seconds == 9
    assert settings.bus_consumer_name  # defaults to the host name, stable across restarts


def test_catalogue_payloads_are_generated_event_messages() -> None:
    from google.protobuf import symbol_database

    from openledger_kit.bus.catalogue import ALL_STREAMS

    database = symbol_database.Default()
    for stream in ALL_STREAMS:
        assert stream.key.startswith("ol:") and stream.key.endswith(":v1")
        for name in stream.payload_types:
            assert database.GetSymbol(name).DESCRIPTOR.full_name == name
