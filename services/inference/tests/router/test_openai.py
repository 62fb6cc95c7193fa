"""The OpenAI-compatible HTTP API: the official ``openai`` client against a real router and
node, and the API's own pieces (keys, error bodies, parameter names) on their own."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest
from eth_account import Account

from openledger_inference.router.openai_api import ApiKeys, error_response
from openledger_kit.errors import (
    InvalidArgument,
    NotFound,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
)
from services.inference.tests.router.conftest import RunningPool
from services.inference.tests.support.models import TINY_MODEL_ID


@pytest.fixture(scope="module")
async def pool(running_pool: RunningPool) -> RunningPool:
    if not running_pool.nodes:
        await running_pool.start_node("openai")
    return running_pool


def client(pool: RunningPool) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=f"http://127.0.0.1:{pool.http_port}/v1", api_key="sk-any", max_retries=0
    )


@pytest.mark.slow
async def test_the_openai_client_streams_a_chat_completion(pool: RunningPool) -> None:
    async with client(pool) as api:
        stream = await api.chat.completions.create(
            model=TINY_MODEL_ID,
            messages=[
                {"role": "system", "content": "You answer briefly."},
                {"role": "user", "content": "Which node answers?"},
            ],
            max_tokens=8,
            temperature=0,
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
    answer = [chunk for chunk in chunks if chunk.choices]
    assert answer[0].choices[0].delta.role == "assistant"
    assert answer[-1].choices[0].finish_reason in {"stop", "length"}
    assert all(chunk.choices[0].finish_reason is None for chunk in answer[:-1])
    assert len({chunk.id for chunk in chunks}) == 1 and chunks[0].id.startswith("chatcmpl-")
    usage = chunks[-1].usage
    assert usage is not None and 0 < usage.completion_tokens <= 8
    extras = (answer[0].model_extra or {})["openledger"]
    assert extras["node"] in {node.name for node in pool.routable()}
    assert chunks[0].id == f"chatcmpl-{extras['inference_id']}"


@pytest.mark.slow
async def test_a_completion_with_an_adapter_carries_usage_and_fee(pool: RunningPool) -> None:
    adapter = str(pool.adapters[0].ref)
    async with client(pool) as api:
        completion = await api.completions.create(
            model=adapter, prompt="Once upon a time", max_tokens=6, temperature=0, seed=7
        )
        again = await api.completions.create(
            model=adapter, prompt="Once upon a time", max_tokens=6, temperature=0, seed=7
        )
    assert completion.object == "text_completion" and completion.model == adapter
    choice = completion.choices[0]
    assert choice.finish_reason in {"stop", "length"}
    assert choice.text == again.choices[0].text  # greedy: the same answer
    assert completion.usage is not None and 0 < completion.usage.completion_tokens <= 6
    extras = (completion.model_extra or {})["openledger"]
    assert extras["adapter"] == adapter and extras["base_model"] == TINY_MODEL_ID
    assert int(extras["fee"]) > 0


@pytest.mark.slow
async def test_a_streamed_completion_concatenates_to_the_text(pool: RunningPool) -> None:
    async with client(pool) as api:
        stream = await api.completions.create(
            model=str(pool.adapters[1].ref), prompt="stream me", max_tokens=6, stream=True
        )
        chunks = [chunk async for chunk in stream]
    assert chunks[-1].choices[0].finish_reason in {"stop", "length"}
    assert all(chunk.object == "text_completion" for chunk in chunks)


@pytest.mark.slow
async def test_models_lists_the_base_model_and_its_adapters(pool: RunningPool) -> None:
    async with client(pool) as api:
        models = [model async for model in api.models.list()]
        one = await api.models.retrieve(str(pool.adapters[0].ref))
    ids = {model.id for model in models}
    assert {TINY_MODEL_ID, *(str(a.ref) for a in pool.adapters)} <= ids
    assert all(model.object == "model" for model in models)
    assert one.owned_by == pool.adapters[0].owner_address


@pytest.mark.slow
async def test_unknown_models_are_404s_in_the_openai_shape(pool: RunningPool) -> None:
    async with client(pool) as api:
        for model in ("ghost-adapter@1", "no-such-model", "Not A Model!"):
            with pytest.raises(openai.NotFoundError) as missing:
                await api.chat.completions.create(
                    model=model, messages=[{"role": "user", "content": "hi"}], max_tokens=2
                )
            assert missing.value.code == "model_not_found"
            assert missing.value.type == "invalid_request_error"


@pytest.mark.slow
async def test_invalid_parameters_are_400s_naming_the_parameter(pool: RunningPool) -> None:
    async with client(pool) as api:
        with pytest.raises(openai.BadRequestError) as node_side:
            await api.completions.create(
                model=TINY_MODEL_ID, prompt="x", max_tokens=2, temperature=0.5, top_p=1.5
            )
        assert node_side.value.param == "top_p"
        with pytest.raises(openai.BadRequestError) as edge:
            await api.completions.create(model=TINY_MODEL_ID, prompt="x", max_tokens=2, n=2)
        assert edge.value.param == "n"
        with pytest.raises(openai.BadRequestError) as no_messages:
            await api.post("/chat/completions", body={"model": TINY_MODEL_ID}, cast_to=object)
        assert no_messages.value.param == "messages"


def test_api_keys_name_the_payer(tmp_path: Path) -> None:
    alice, default = Account.create().address, Account.create().address
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(json.dumps({"sk-alice": alice.lower()}))

    keyed = ApiKeys.load(keys_file, None)
    assert keyed.payer("Bearer sk-alice") == alice  # checksummed
    for header in (None, "Bearer sk-mallory", "Basic sk-alice", "Bearer "):
        with pytest.raises(Unauthenticated):
            keyed.payer(header)

    with_default = ApiKeys.load(keys_file, default)
    assert with_default.payer(None) == default
    with pytest.raises(Unauthenticated):
        with_default.payer("Bearer sk-mallory")  # a wrong key is never billed to the default

    keyless = ApiKeys.load(None, default)
    assert keyless.payer("Bearer anything") == default
    with pytest.raises(Unauthenticated):
        ApiKeys.load(None, None).payer("Bearer anything")

    keys_file.write_text(json.dumps({"sk-x": "not an address"}))
    with pytest.raises(ValueError, match="API key"):
        ApiKeys.load(keys_file, None)


def test_errors_map_to_openai_status_codes_and_parameters() -> None:
    def body(error: Exception) -> tuple[int, dict[str, str | None]]:
        assert isinstance(error, (InvalidArgument, NotFound, Unavailable, ResourceExhausted))
        response = error_response(error)
        return response.status_code, json.loads(bytes(response.body))["error"]

    status, error = body(InvalidArgument("spec.sampling.top_p", "must be in (0, 1]"))
    assert status == 400 and error["param"] == "top_p"
    assert error["type"] == "invalid_request_error"
    assert body(InvalidArgument("spec.sampling.stop_sequences[2]", "too long"))[1]["param"] == (
        "stop"
    )
    assert body(InvalidArgument("spec.chat.messages[0].role", "bad"))[1]["param"] == "messages"
    assert body(InvalidArgument("spec.adapter", "bad"))[1]["param"] == "model"
    assert body(NotFound("adapter x@1 is not registered"))[0] == 404
    assert body(ResourceExhausted("queue full"))[0] == 429
    status, error = body(Unavailable("no ACTIVE node serves tiny"))
    assert status == 503 and error["type"] == "server_error"
