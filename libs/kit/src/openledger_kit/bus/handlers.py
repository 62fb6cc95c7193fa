"""Handler declarations: one async function per payload type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any, NamedTuple, TypeAlias, TypeVar

from google.protobuf.message import Message

from openledger_kit.bus.context import EventContext
from openledger_kit.bus.streams import BUS_DOMAIN
from openledger_kit.errors import AlreadyExists

M = TypeVar("M", bound=Message)

Handler: TypeAlias = Callable[[M, EventContext], Awaitable[None]]
"""``async def handler(payload: PayloadType, ctx: EventContext) -> None``."""


class Registration(NamedTuple):
    payload_type: type[Message]
    handler: Handler[Any]


class HandlerRegistry:
    """Maps payload type names to their handler."""

    def __init__(self) -> None:
        self._by_type: dict[str, Registration] = {}

    def register(self, payload_type: type[M], handler: Handler[M]) -> None:
        """Declare ``handler`` for payloads of ``payload_type``; one handler per type."""
        name = payload_type.DESCRIPTOR.full_name
        if name in self._by_type:
            raise AlreadyExists(
                f"a handler for {name} is already registered",
                reason="HANDLER_ALREADY_REGISTERED",
                domain=BUS_DOMAIN,
            )
        self._by_type[name] = Registration(payload_type, handler)

    def decorator(self, payload_type: type[M]) -> Callable[[Handler[M]], Handler[M]]:
        """``@registry.decorator(BlockSealed)`` above ``async def on_block(block, ctx)``."""

        def register(handler: Handler[M]) -> Handler[M]:
            self.register(payload_type, handler)
            return handler

        return register

    def get(self, type_name: str) -> Registration | None:
        return self._by_type.get(type_name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_type)

    def __len__(self) -> int:
        return len(self._by_type)
