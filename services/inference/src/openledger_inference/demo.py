"""Inference's step of ``openledger demo``: a user asks the pool health questions like those of
the datanet step, once with the ModelFactory step's adapter and once with the base model
alone, through the router (``InferencePoolService.Generate``, each request signed by the user,
who pays the fee); the answers are shown side by side with tokens, fee and serving node. One
more answer streams through the router's OpenAI-compatible HTTP API with the official
``openai`` client, and each completion is found exactly once on ``ol:inference:completion:v1``.

The adapter was trained with the instruction template, so its questions go as ``prompt`` text
rendered with the adapter's recorded prompt template (as the API asks for non-chat adapters);
the base model, an instruct model, gets the same question as a chat conversation, the way a
user would ask it."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import redis.asyncio as aioredis
from rich.console import Console
from rich.table import Table

from openledger.events.v1 import inference_events_pb2
from openledger.inference.v1 import generation_pb2, node_pb2
from openledger.inference.v1 import inference_pool_service_pb2 as pb
from openledger.inference.v1 import inference_pool_service_pb2_grpc as pb_grpc
from openledger.modelfactory.v1 import job_config_pb2
from openledger.modelfactory.v1 import modelfactory_service_pb2 as mf_pb
from openledger.modelfactory.v1 import modelfactory_service_pb2_grpc as mf_pb_grpc
from openledger_inference.localnet import (
    MODELFACTORY_ADDR_ENV,
    OPENAI_PAYER_KEY_INDEX,
    OPENAI_URL_ENV,
    ROUTER_ADDR_ENV,
)
from openledger_kit.bus.envelope import open_envelope, open_payload
from openledger_kit.chain import parse_private_key
from openledger_kit.client import connect
from openledger_kit.localnet.components import REDIS_URL
from openledger_kit.localnet.demo import DemoContext, DemoStep
from openledger_kit.localnet.processes import ANVIL_DEV_KEYS
from openledger_ml.templates import TaskTemplate, render_prompt

DEPLOYMENT_ID = "openledger-local"
BASE_MODEL = "smollm2-135m-instruct"
COMPLETION_STREAM = "ol:inference:completion:v1"
USER_KEY = OPENAI_PAYER_KEY_INDEX
"""The anvil development key of the demo's user: the account the local router also bills
keyless OpenAI-compatible requests to, so every answer of the step is paid by the same user."""

QUESTIONS = (
    "How does regular exercise affect blood pressure?",
    "What does the thyroid gland do?",
    "How much sleep does a teenager need?",
)
MAX_TOKENS = 48
NODE_WAIT_SECONDS = 300.0
"""The node loads SmolLM2 and joins the pool after ``make up`` returns."""
CALL_TIMEOUT_SECONDS = 180.0
"""A first request also fetches, checks and loads the adapter on the node."""
WEI_PER_OPEN = Decimal(10**18)
API_KEY = "openledger-demo"
"""Any key: the local router's HTTP API has no keys file and bills every request to its
default payer (the OpenAI client always sends some key)."""


@dataclass(frozen=True)
class Answer:
    text: str
    inference_id: str
    node: str
    prompt_tokens: int
    output_tokens: int
    fee: int

    def cell(self) -> str:
        return (
            f"{self.text.strip()}\n[dim]{self.prompt_tokens}+{self.output_tokens} tokens, "
            f"fee {_open(self.fee)} OPEN, {self.node or 'no pool node'}[/dim]"
        )


def _open(wei: int) -> str:
    """Wei as OPEN, exactly (fees are small fractions of an OPEN)."""
    return format((Decimal(wei) / WEI_PER_OPEN).normalize(), "f")


def _run(ctx: DemoContext) -> None:
    asyncio.run(_demo(ctx))


async def _demo(ctx: DemoContext) -> None:
    adapter = ctx.shared.get("modelfactory.adapter")
    if not isinstance(adapter, str):
        raise RuntimeError("the modelfactory step did not leave an adapter to serve")
    user = parse_private_key(ANVIL_DEV_KEYS[USER_KEY], source=f"anvil development key {USER_KEY}")
    bus = aioredis.Redis.from_url(ctx.env(REDIS_URL))
    channel = connect(ctx.env(ROUTER_ADDR_ENV), signer=user, deployment_id=DEPLOYMENT_ID)
    pool = pb_grpc.InferencePoolServiceStub(channel)  # type: ignore[no-untyped-call]
    try:
        since = await _stream_tail(bus)
        await _wait_for_active_node(ctx, pool)
        template, prompt_template = await _adapter_template(ctx, adapter)
        ctx.say(f"user {user.address} asks through the router; the signer pays each fee")

        rows = []
        # Attribution's step asks one of them again after its governance vote.
        specs: dict[str, bytes] = {}
        ctx.shared["inference.adapter_specs"] = specs
        for question in QUESTIONS:
            prompt = _adapter_prompt(template, prompt_template, question)
            tuned_spec = generation_pb2.GenerationSpec(
                adapter=adapter, prompt=prompt, sampling=_greedy()
            )
            base_spec = generation_pb2.GenerationSpec(
                base_model=BASE_MODEL, chat=_chat(question), sampling=_greedy()
            )
            tuned, base = await _generate(pool, tuned_spec), await _generate(pool, base_spec)
            specs[tuned.inference_id] = tuned_spec.SerializeToString()
            rows.append((question, base, tuned))
        table = Table(title=f"{BASE_MODEL} alone vs with adapter {adapter}", show_lines=True)
        for column in ("question", "base model", f"adapter {adapter}"):
            table.add_column(column, overflow="fold")
        for question, base, tuned in rows:
            table.add_row(question, base.cell(), tuned.cell())
        Console(file=ctx.out, width=140).print(table)

        question = QUESTIONS[0]
        ctx.say(f"streaming {question!r} with {adapter} through {ctx.env(OPENAI_URL_ENV)}:")
        streamed = await _stream_openai(
            ctx, adapter, _adapter_prompt(template, prompt_template, question)
        )
        ctx.say(
            f"{streamed.chunks} server-sent events read by {_client_name()}: inference "
            f"{streamed.inference_id} on {streamed.node}, fee {_open(streamed.fee)} OPEN"
        )

        ids = [answer.inference_id for _, base, tuned in rows for answer in (base, tuned)]
        ids.append(streamed.inference_id)
        await _show_metering(ctx, bus, since, ids)
        ctx.shared["inference.completions"] = ids
    finally:
        await channel.close()
        await bus.aclose()


# --- the pool -----------------------------------------------------------------------------


async def _wait_for_active_node(ctx: DemoContext, pool: pb_grpc.InferencePoolServiceStub) -> None:
    deadline = time.monotonic() + NODE_WAIT_SECONDS
    request = pb.ListNodesRequest(states=[node_pb2.NODE_STATE_ACTIVE], base_model=BASE_MODEL)
    while True:
        nodes = (await pool.ListNodes(request)).nodes
        if nodes:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"no ACTIVE node serves {BASE_MODEL} after {NODE_WAIT_SECONDS}s")
        await asyncio.sleep(1.0)
    for node in nodes:
        registration = node.registration
        ctx.say(
            f"{node.name} ACTIVE at {registration.endpoint}: provider "
            f"{registration.provider_address}, stake {_open(int(node.stake or 0))} OPEN, "
            f"{node.capacity.max_concurrent_requests} concurrent requests, "
            f"{node.capacity.max_loras} GPU-tier adapters on {node.capacity.device}"
        )


async def _adapter_template(ctx: DemoContext, adapter: str) -> tuple[str, str]:
    """The adapter's task template and the prompt template it was trained with (ModelFactory
    describes adapters to anyone)."""
    channel = connect(ctx.env(MODELFACTORY_ADDR_ENV))
    try:
        stub = mf_pb_grpc.ModelFactoryServiceStub(channel)  # type: ignore[no-untyped-call]
        found = (await stub.GetAdapter(mf_pb.GetAdapterRequest(name=f"adapters/{adapter}"))).adapter
    finally:
        await channel.close()
    template = job_config_pb2.TaskTemplate.Name(found.training_config.task_template)
    return template.removeprefix("TASK_TEMPLATE_"), found.prompt_template


def _adapter_prompt(template: str, prompt_template: str, question: str) -> str:
    if template == TaskTemplate.INSTRUCTION:
        return render_prompt(TaskTemplate.INSTRUCTION, prompt_template, {"instruction": question})
    if template == TaskTemplate.CHAT:
        return render_prompt(
            TaskTemplate.CHAT,
            prompt_template,
            {"messages": [{"role": "user", "content": question}]},
        )
    return render_prompt(TaskTemplate.COMPLETION, prompt_template, {"prompt": question + "\n"})


def _greedy() -> generation_pb2.SamplingParams:
    return generation_pb2.SamplingParams(max_tokens=MAX_TOKENS, temperature=0.0)


def _chat(question: str) -> generation_pb2.ChatConversation:
    return generation_pb2.ChatConversation(
        messages=[generation_pb2.ChatMessage(role=generation_pb2.CHAT_ROLE_USER, content=question)]
    )


async def _generate(
    pool: pb_grpc.InferencePoolServiceStub, spec: generation_pb2.GenerationSpec
) -> Answer:
    response = await pool.Generate(
        pb.InferencePoolServiceGenerateRequest(spec=spec, request_id=str(uuid.uuid4())),
        timeout=CALL_TIMEOUT_SECONDS,
    )
    completion = response.completion
    if completion.finish_reason == generation_pb2.FINISH_REASON_ERROR:
        raise RuntimeError(
            f"inference {completion.inference_id} failed: {completion.error_message}"
        )
    return Answer(
        text=completion.output_text,
        inference_id=completion.inference_id,
        node=completion.node,
        prompt_tokens=completion.usage.prompt_tokens,
        output_tokens=completion.usage.output_tokens,
        fee=int(completion.usage.fee or 0),
    )


# --- the OpenAI-compatible API ------------------------------------------------------------


def _client_name() -> str:
    try:
        import openai
    except ImportError:
        return "server-sent events over urllib"
    return f"openai {openai.__version__}"


@dataclass(frozen=True)
class Streamed:
    inference_id: str
    chunks: int
    node: str
    fee: int


async def _stream_openai(ctx: DemoContext, adapter: str, prompt: str) -> Streamed:
    """Stream one completion, printing its text as it arrives. The router's chunks carry an
    ``openledger`` object (inference id and node on the first, the fee on the last)."""
    body = {"model": adapter, "prompt": prompt, "max_tokens": MAX_TOKENS, "temperature": 0.0}
    extras: dict[str, Any] = {}
    chunks = 0
    ctx.out.write("  ")
    async for chunk in _completion_chunks(ctx.env(OPENAI_URL_ENV).rstrip("/"), body):
        extras.update(chunk.get("openledger") or {})
        ctx.out.write("".join(choice.get("text") or "" for choice in chunk["choices"]))
        ctx.out.flush()
        chunks += 1
    ctx.out.write("\n")
    if not extras.get("inference_id"):
        raise RuntimeError("the streamed completion named no inference id")
    fee = int(extras.get("fee") or 0)
    return Streamed(extras["inference_id"], chunks, extras.get("node", ""), fee)


async def _completion_chunks(base_url: str, body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    """The stream's chunks as JSON objects: with the ``openai`` client when it is installed
    (a test extra), else by reading the server-sent events directly."""
    try:
        from openai import AsyncOpenAI
    except ImportError:
        for chunk in await asyncio.to_thread(_sse_chunks, base_url, body):
            yield chunk
        return
    client = AsyncOpenAI(base_url=base_url, api_key=API_KEY, max_retries=0)
    try:
        stream = await client.completions.create(
            model=body["model"],
            prompt=body["prompt"],
            max_tokens=body["max_tokens"],
            temperature=body["temperature"],
            stream=True,
            timeout=CALL_TIMEOUT_SECONDS,
        )
        async for event in stream:
            yield event.model_dump()
    finally:
        await client.close()


def _sse_chunks(base_url: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    request = urllib.request.Request(
        f"{base_url}/completions",
        data=json.dumps({**body, "stream": True}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {API_KEY}"},
    )
    chunks = []
    with urllib.request.urlopen(request, timeout=CALL_TIMEOUT_SECONDS) as response:
        for raw in response:
            line = raw.decode().strip()
            if not line.startswith("data:"):
                continue
            data = line.removeprefix("data:").strip()
            if data == "[DONE]":
                break
            chunks.append(json.loads(data))
    return chunks


# --- metering -----------------------------------------------------------------------------


async def _stream_tail(bus: aioredis.Redis) -> str:
    """The id of the completion stream's last entry, or ``0-0`` when it is empty."""
    last: Any = await bus.xrevrange(COMPLETION_STREAM, count=1)
    return last[0][0].decode() if last else "0-0"


async def _show_metering(
    ctx: DemoContext, bus: aioredis.Redis, since: str, ids: Sequence[str]
) -> None:
    """Wait until each completion is on the stream, then check none is there twice."""
    wanted = set(ids)
    deadline = time.monotonic() + 30.0
    while True:
        entries: Any = await bus.xrange(COMPLETION_STREAM, min=f"({since}")
        recorded = [
            open_payload(open_envelope(fields), inference_events_pb2.CompletionRecorded)
            for _, fields in entries
        ]
        mine = [event for event in recorded if event.inference_id in wanted]
        if {event.inference_id for event in mine} == wanted or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    counts = dict.fromkeys(ids, 0)
    for event in mine:
        counts[event.inference_id] += 1
    total = sum(int(event.fee or 0) for event in mine)
    payers = {event.payer_address for event in mine}
    ctx.say(
        f"{COMPLETION_STREAM}: {len(mine)} CompletionRecorded events for {len(ids)} "
        f"completions, {sum(e.prompt_token_count + e.output_token_count for e in mine)} tokens, "
        f"fees {_open(total)} OPEN in all, paid by {', '.join(sorted(payers)) or 'nobody'}"
    )
    wrong = {inference_id: n for inference_id, n in counts.items() if n != 1}
    if wrong:
        raise RuntimeError(f"completions not published exactly once: {wrong}")


STEP = DemoStep(
    name="inference",
    title="OpenLoRA inference: the pool answers with the adapter and with the base model, "
    "metered once per completion",
    run=_run,
    order=40,
    services=("inference",),
)
