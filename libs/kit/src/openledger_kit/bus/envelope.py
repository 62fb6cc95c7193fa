"""The event envelope: ids, sealing a payload into an ``Envelope`` and opening one again.

A stream entry holds one field, ``envelope``, with the serialized
``openledger.events.v1.Envelope``; the payload inside is a ``google.protobuf.Any`` whose type
name equals ``Envelope.type``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TypeVar

from google.protobuf.message import DecodeError, Message

from openledger.events.v1.envelope_pb2 import Envelope
from openledger_kit.bus.streams import BUS_DOMAIN
from openledger_kit.errors import InvalidArgument
from openledger_kit.ids import new_id, new_ids

ENVELOPE_FIELD = b"envelope"
TYPE_URL_PREFIX = "type.googleapis.com/"

M = TypeVar("M", bound=Message)


def valid_event_id(event_id: str) -> bool:
    """Whether ``event_id`` is 1-128 printable ASCII characters without spaces.

    UUIDv7 strings are; other ids (a producer's own request ids) must be too: they appear in
    logs and travel newline-joined to Redis scripts.
    """
    return (
        0 < len(event_id) <= 128
        and event_id.isascii()
        and event_id.isprintable()
        and " " not in event_id
    )


class MalformedEvent(InvalidArgument):
    """A stream entry that is not a well-formed envelope, or whose payload does not decode."""

    default_reason = "MALFORMED_EVENT"

    def __init__(self, message: str) -> None:
        super().__init__("envelope", message, domain=BUS_DOMAIN)


new_event_id = new_id
"""A new sortable event id (UUIDv7 string)."""
new_event_ids = new_ids
"""``n`` new sortable event ids, in order."""


def check_event_id(event_id: str) -> None:
    """Raise ``InvalidArgument`` unless ``valid_event_id(event_id)``."""
    if not valid_event_id(event_id):
        raise InvalidArgument(
            "event_id",
            "must be 1-128 printable ASCII characters without spaces",
            reason="INVALID_EVENT_ID",
            domain=BUS_DOMAIN,
        )


def type_name_of(message: Message) -> str:
    """The fully qualified protobuf name of ``message`` (what ``Envelope.type`` holds)."""
    return message.DESCRIPTOR.full_name


def seal(
    message: Message,
    *,
    source: str,
    event_id: str | None = None,
    time_ns: int | None = None,
    trace_context: Mapping[str, str] | None = None,
) -> Envelope:
    """Wrap ``message`` in a new envelope (a fresh id unless ``event_id`` is given)."""
    if event_id is not None:
        check_event_id(event_id)
    envelope = Envelope(id=event_id or new_event_id(), type=type_name_of(message), source=source)
    envelope.time.FromNanoseconds(time.time_ns() if time_ns is None else time_ns)
    if trace_context:
        envelope.trace_context.update(trace_context)
    envelope.payload.type_url = TYPE_URL_PREFIX + envelope.type
    envelope.payload.value = message.SerializeToString()
    return envelope


def open_envelope(fields: Mapping[bytes, bytes] | None) -> Envelope:
    """Decode the envelope of one stream entry; ``MalformedEvent`` when it is not one."""
    if not fields:
        raise MalformedEvent("the entry has no fields (deleted or empty)")
    data = fields.get(ENVELOPE_FIELD)
    if data is None:
        raise MalformedEvent(f"the entry has no {ENVELOPE_FIELD.decode()!r} field")
    try:
        envelope = Envelope.FromString(data)
    except DecodeError as exc:
        raise MalformedEvent(f"the envelope does not decode: {exc}") from exc
    if not envelope.type:
        raise MalformedEvent("the envelope has no type")
    if not valid_event_id(envelope.id):
        raise MalformedEvent(f"the event id {envelope.id!r} is empty or not printable ASCII")
    if envelope.payload.type_url != TYPE_URL_PREFIX + envelope.type:
        raise MalformedEvent(
            f"payload type {envelope.payload.type_url!r} does not match type {envelope.type!r}"
        )
    return envelope


def open_payload(envelope: Envelope, payload_type: type[M]) -> M:
    """Decode the payload of ``envelope`` as ``payload_type``; ``MalformedEvent`` if it fails."""
    if envelope.type != payload_type.DESCRIPTOR.full_name:
        raise MalformedEvent(f"payload is {envelope.type}, not {payload_type.DESCRIPTOR.full_name}")
    try:
        return payload_type.FromString(envelope.payload.value)
    except DecodeError as exc:
        raise MalformedEvent(f"the {envelope.type} payload does not decode: {exc}") from exc
