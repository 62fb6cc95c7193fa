"""Stream descriptors: the Redis key of a stream and the payload types it may carry."""

from __future__ import annotations

import re
from dataclasses import dataclass

from openledger_kit.errors import InvalidArgument

# ol:<producer>:<event>:v<major>, lower case; a breaking change to an event gets a new stream.
_KEY_PATTERN = re.compile(r"ol:[a-z0-9][a-z0-9_-]*:[a-z0-9][a-z0-9_-]*:v[1-9][0-9]*")

BUS_DOMAIN = "openledger.bus"


@dataclass(frozen=True, slots=True)
class Stream:
    """One event stream.

    ``key`` follows ``ol:<producer>:<event>:v1``. ``payload_types`` lists the fully qualified
    protobuf names a publisher may put on it (``"openledger.events.v1.BlockSealed"``); empty
    means any type (tests, ad-hoc tools).
    """

    key: str
    payload_types: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _KEY_PATTERN.fullmatch(self.key):
            raise InvalidArgument(
                "stream.key",
                f"{self.key!r} is not of the form ol:<producer>:<event>:v<N>",
                reason="INVALID_STREAM_KEY",
                domain=BUS_DOMAIN,
            )

    @property
    def dead_letter_key(self) -> str:
        """Where entries go after too many deliveries, or when they are not envelopes."""
        return f"{self.key}:dlq"

    def done_key(self, group: str) -> str:
        """The sorted set of event ids ``group`` has finished (score: finish time in ms)."""
        return f"{self.key}:done:{group}"

    def allows(self, type_name: str) -> bool:
        """Whether a payload of protobuf type ``type_name`` belongs on this stream."""
        return not self.payload_types or type_name in self.payload_types

    def check_payload_type(self, type_name: str) -> None:
        """Raise ``InvalidArgument`` unless ``type_name`` belongs on this stream."""
        if not self.allows(type_name):
            raise InvalidArgument(
                "message",
                f"{type_name} is not published on {self.key} "
                f"(allowed: {', '.join(self.payload_types)})",
                reason="PAYLOAD_TYPE_NOT_ALLOWED",
                domain=BUS_DOMAIN,
                metadata={"stream": self.key, "type": type_name},
            )
