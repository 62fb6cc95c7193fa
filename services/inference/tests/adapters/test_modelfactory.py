"""Descriptors from what ModelFactory produces: its ``Adapter`` messages and its
``AdapterPublished`` events, built by ModelFactory's own converters; and the directory's
cache seeded by events."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from openledger_inference.adapters.modelfactory import (
    ModelFactoryDirectory,
    descriptor_from_adapter,
    descriptor_from_event,
)
from openledger_inference.domain.model import AdapterDescriptor, AdapterRef
from openledger_kit.errors import InvalidArgument
from openledger_modelfactory.adapters.bus import adapter_published_message
from openledger_modelfactory.api.convert import adapter_to_proto
from services.modelfactory.tests import domain_samples

UNREACHABLE = "127.0.0.1:9"


def expected(task_template: str) -> AdapterDescriptor:
    sample = domain_samples.adapter()
    return AdapterDescriptor(
        ref=AdapterRef("medical-qa", 3),
        base_model="tiny-llama",
        base_model_revision="ab" * 32,
        adapter_sha256=sample.adapter_sha256,
        adapter_config_sha256=sample.adapter_config.sha256,
        prompt_template=sample.prompt_template,
        task_template=task_template,
        fee_per_1k_tokens=10**20,
        owner_address=sample.owner,
    )


def test_descriptor_from_an_adapter_message() -> None:
    message = adapter_to_proto(domain_samples.adapter(fee_per_1k_tokens=10**20))
    assert message.base_model == "baseModels/tiny-llama"
    assert descriptor_from_adapter(message) == expected("instruction")


def test_descriptor_from_an_adapter_published_event() -> None:
    message = adapter_published_message(domain_samples.adapter(fee_per_1k_tokens=10**20))
    assert descriptor_from_event(message) == expected("")


def test_malformed_messages_are_invalid() -> None:
    message = adapter_published_message(domain_samples.adapter())
    message.ClearField("adapter_config")
    with pytest.raises(InvalidArgument, match="adapter_config.sha256"):
        descriptor_from_event(message)
    message = adapter_published_message(domain_samples.adapter())
    message.fee_per_1k_tokens = "-5"
    with pytest.raises(InvalidArgument, match="fee_per_1k_tokens"):
        descriptor_from_event(message)
    proto = adapter_to_proto(domain_samples.adapter())
    proto.version = 0
    with pytest.raises(InvalidArgument):
        descriptor_from_adapter(proto)


@pytest.fixture
async def directory() -> AsyncIterator[ModelFactoryDirectory]:
    directory = ModelFactoryDirectory(UNREACHABLE)
    yield directory
    await directory.close()


async def test_remembered_descriptors_need_no_call(directory: ModelFactoryDirectory) -> None:
    described = expected("instruction")
    from_event = expected("")
    directory.remember(from_event)
    assert await directory.describe(described.ref) == from_event
    directory.remember(described)
    assert await directory.describe(described.ref) == described
    # A later event does not take the task template away.
    directory.remember(from_event)
    assert await directory.describe(described.ref) == described
