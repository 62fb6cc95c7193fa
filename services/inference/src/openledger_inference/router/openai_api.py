"""The router's OpenAI-compatible HTTP API, so that existing OpenAI clients and SDKs work against
the pool unchanged: ``GET /v1/models``, ``POST /v1/completions`` and
``POST /v1/chat/completions`` (with ``stream`` as server-sent events).

``model`` names an adapter (``id@version``) or a base model (its catalogue id). Requests become
``InferencePoolService`` requests handled by the same ``Forwarder`` as gRPC clients; errors
become OpenAI error bodies. The API key names the payer: keys map to payer addresses in a JSON
file; without a keys file every request is billed to the configured default payer. Responses
carry an ``openledger`` object (inference id, node, fee) beside the OpenAI fields, which
clients ignore.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from eth_utils.address import is_address, to_checksum_address
from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse

from openledger.inference.v1 import generation_pb2
from openledger.inference.v1.inference_pool_service_pb2 import (
    InferencePoolServiceGenerateRequest,
    InferencePoolServiceGenerateStreamRequest,
)
from openledger_inference.domain.model import ADAPTER_REF, AdapterRef
from openledger_inference.domain.ports import AdapterDirectory
from openledger_inference.router.catalogue import BASE_MODEL_OWNER, ListedModel, ModelCatalogue
from openledger_inference.router.forwarder import NO_ACTIVE_NODE, Forwarder
from openledger_kit.errors import (
    ErrorKind,
    InvalidArgument,
    NotFound,
    OpenLedgerError,
    Unauthenticated,
)
from openledger_ml.catalogue import BASE_MODEL_ID

logger = logging.getLogger(__name__)

COMPLETIONS_DEFAULT_MAX_TOKENS = 16
"""OpenAI's default for ``/v1/completions`` (chat has none: the node's default applies)."""

_STATUS: dict[ErrorKind, tuple[int, str, str | None]] = {
    ErrorKind.INVALID_ARGUMENT: (400, "invalid_request_error", "invalid_value"),
    ErrorKind.FAILED_PRECONDITION: (400, "invalid_request_error", "failed_precondition"),
    ErrorKind.UNAUTHENTICATED: (401, "invalid_request_error", "invalid_api_key"),
    ErrorKind.PERMISSION_DENIED: (403, "permission_error", "permission_denied"),
    ErrorKind.NOT_FOUND: (404, "invalid_request_error", "model_not_found"),
    ErrorKind.ALREADY_EXISTS: (409, "invalid_request_error", "conflict"),
    ErrorKind.ABORTED: (409, "invalid_request_error", "conflict"),
    ErrorKind.RESOURCE_EXHAUSTED: (429, "rate_limit_error", "rate_limit_exceeded"),
    ErrorKind.UNAVAILABLE: (503, "server_error", "service_unavailable"),
}

_FINISH_REASONS: dict[int, str] = {
    generation_pb2.FINISH_REASON_STOP: "stop",
    generation_pb2.FINISH_REASON_LENGTH: "length",
}

# A GenerationSpec field (as the node names it) → the OpenAI request parameter it came from.
_PARAMS = {
    "stop_sequences": "stop",
    "chat": "messages",
    "adapter": "model",
    "base_model": "model",
    "prompt_tokens": "prompt",
}


# ---------------------------------------------------------------- API keys


class ApiKeys:
    """API key → payer address. Keys are held as SHA-256 digests, so a lookup compares no key
    bytes and a memory dump shows no key."""

    def __init__(self, payers: Mapping[str, str], default_payer: str | None) -> None:
        self._payers = {_digest(key): to_checksum_address(payer) for key, payer in payers.items()}
        self._default = None if default_payer is None else to_checksum_address(default_payer)
        self._keyed = bool(payers)

    @classmethod
    def load(cls, keys_file: Path | None, default_payer: str | None) -> ApiKeys:
        """Read the keys file (a JSON object of key → 0x address); refuse a malformed one."""
        if default_payer is not None and not is_address(default_payer):
            raise ValueError(f"openai_default_payer {default_payer!r} is not an address")
        if keys_file is None:
            return cls({}, default_payer)
        document = json.loads(keys_file.read_text())
        if not isinstance(document, dict) or not all(
            isinstance(key, str) and key and isinstance(payer, str) and is_address(payer)
            for key, payer in document.items()
        ):
            raise ValueError(f"{keys_file}: expected a JSON object of API key → 0x address")
        return cls(document, default_payer)

    def payer(self, authorization: str | None) -> str:
        """The payer for a request's ``Authorization`` header (``Unauthenticated`` when none)."""
        if not self._keyed:
            # No keys file: the deployment bills everything to one payer, and clients (the
            # OpenAI SDK always sends a key) may send any key.
            if self._default is None:
                raise Unauthenticated("this API has no keys configured and no default payer")
            return self._default
        if not authorization:
            if self._default is None:
                raise Unauthenticated("missing API key: send `Authorization: Bearer <key>`")
            return self._default
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise Unauthenticated("malformed Authorization header: expected `Bearer <key>`")
        payer = self._payers.get(_digest(key.strip()))
        if payer is None:
            raise Unauthenticated("incorrect API key provided")
        return payer


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


# ---------------------------------------------------------------- the model list


# ---------------------------------------------------------------- request bodies


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    include_usage: bool = False


class _Body(BaseModel):
    # Unknown parameters are ignored, as OpenAI-compatible servers do; the ones that would
    # change the answer if ignored are declared and refused unless left at their default.
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    model: str
    max_tokens: Annotated[int, Field(ge=1, le=2**32 - 1)] | None = None
    temperature: float | None = None
    top_p: float | None = None
    seed: Annotated[int, Field(ge=0, le=2**64 - 1)] | None = None
    stop: str | list[str] | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int = 1
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    logit_bias: dict[str, float] | None = None

    def check_supported(self) -> None:
        if self.n != 1:
            raise InvalidArgument("n", "only n=1 is supported")
        for name in ("frequency_penalty", "presence_penalty"):
            if getattr(self, name):
                raise InvalidArgument(name, "is not supported (only 0)")
        if self.logit_bias:
            raise InvalidArgument("logit_bias", "is not supported")

    def sampling(self, default_max_tokens: int | None) -> generation_pb2.SamplingParams:
        max_tokens = self.max_tokens if self.max_tokens is not None else default_max_tokens
        params = generation_pb2.SamplingParams(max_tokens=max_tokens or 0)
        if self.temperature is not None:
            params.temperature = self.temperature
        if self.top_p is not None:
            params.top_p = self.top_p
        if self.seed is not None:
            params.seed = self.seed
        if self.stop is not None:
            params.stop_sequences.extend([self.stop] if isinstance(self.stop, str) else self.stop)
        return params

    def include_usage(self) -> bool:
        return self.stream_options is not None and self.stream_options.include_usage


class CompletionBody(_Body):
    prompt: str | list[str]
    echo: bool = False
    logprobs: int | None = None
    best_of: int | None = None
    suffix: str | None = None

    def check_supported(self) -> None:
        super().check_supported()
        if self.echo:
            raise InvalidArgument("echo", "is not supported")
        if self.logprobs is not None:
            raise InvalidArgument("logprobs", "is not supported")
        if self.best_of not in (None, 1):
            raise InvalidArgument("best_of", "only best_of=1 is supported")
        if self.suffix:
            raise InvalidArgument("suffix", "is not supported")

    def text(self) -> str:
        if isinstance(self.prompt, str):
            return self.prompt
        if len(self.prompt) != 1:
            raise InvalidArgument("prompt", "exactly one prompt per request is supported")
        return self.prompt[0]


class TextPart(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["text"]
    text: str


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart] | None = None

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)


_ROLES = {
    "system": generation_pb2.CHAT_ROLE_SYSTEM,
    # OpenAI's newer name for system instructions.
    "developer": generation_pb2.CHAT_ROLE_SYSTEM,
    "user": generation_pb2.CHAT_ROLE_USER,
    "assistant": generation_pb2.CHAT_ROLE_ASSISTANT,
}


class ChatBody(_Body):
    messages: list[Message]
    max_completion_tokens: Annotated[int, Field(ge=1, le=2**32 - 1)] | None = None
    logprobs: bool | None = None
    tools: list[Any] | None = None

    def check_supported(self) -> None:
        super().check_supported()
        if self.logprobs:
            raise InvalidArgument("logprobs", "is not supported")
        if self.tools:
            raise InvalidArgument("tools", "tool calls are not supported")

    def conversation(self) -> generation_pb2.ChatConversation:
        return generation_pb2.ChatConversation(
            messages=[
                generation_pb2.ChatMessage(role=_ROLES[message.role], content=message.text())
                for message in self.messages
            ]
        )


def _spec(body: _Body, default_max_tokens: int | None) -> generation_pb2.GenerationSpec:
    body.check_supported()
    spec = generation_pb2.GenerationSpec(sampling=body.sampling(default_max_tokens))
    if ADAPTER_REF.fullmatch(body.model):
        spec.adapter = body.model
    elif BASE_MODEL_ID.fullmatch(body.model):
        spec.base_model = body.model
    else:
        raise NotFound(
            f"the model `{body.model}` does not exist: use an adapter `id@version` or a base "
            "model id from /v1/models"
        )
    return spec


# ---------------------------------------------------------------- responses


def error_body(
    message: str, kind: str, param: str | None, code: str | None
) -> dict[str, dict[str, str | None]]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def error_response(error: OpenLedgerError) -> JSONResponse:
    status, kind, code = _STATUS[error.kind]
    param = _param(error.field) if isinstance(error, InvalidArgument) else None
    return JSONResponse(error_body(error.message, kind, param, code), status_code=status)


def _param(field: str) -> str:
    """``spec.sampling.top_p`` → ``top_p``, ``spec.chat.messages[2].content`` → ``messages``."""
    path = field.removeprefix("spec.").removeprefix("sampling.")
    head = path.split(".", 1)[0].split("[", 1)[0]
    return _PARAMS.get(head, head)


def _finish_reason(reason: int) -> str:
    return _FINISH_REASONS.get(reason, "stop")


def _usage(usage: generation_pb2.Usage) -> dict[str, int]:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.prompt_tokens + usage.output_tokens,
    }


def _extras(
    inference_id: str, node: str, adapter: str, base_model: str, usage: generation_pb2.Usage | None
) -> dict[str, str]:
    extras = {
        "inference_id": inference_id,
        "node": node,
        "adapter": adapter,
        "base_model": base_model,
    }
    if usage is not None:
        extras["fee"] = usage.fee
        extras["fee_per_1k_tokens"] = usage.fee_per_1k_tokens
    return extras


def _failed(reason: int, message: str) -> OpenLedgerError | None:
    """The error a completion that ended in ERROR or CANCELLED is answered with."""
    if reason == generation_pb2.FINISH_REASON_ERROR:
        return _ServerError(f"generation failed on the node: {message or 'engine error'}")
    if reason == generation_pb2.FINISH_REASON_CANCELLED:
        return _ServerError("generation was cancelled on the node (it shut down)")
    return None


class _ServerError(OpenLedgerError):
    """A generation that ended without an answer; OpenAI clients see a 500 ``server_error``."""


def _server_error_response(error: OpenLedgerError) -> JSONResponse:
    if isinstance(error, _ServerError):
        return JSONResponse(
            error_body(error.message, "server_error", None, "generation_failed"), status_code=500
        )
    return error_response(error)


def _stream_error(error: OpenLedgerError) -> dict[str, str]:
    if isinstance(error, _ServerError):
        body = error_body(error.message, "server_error", None, "generation_failed")
    else:
        _, kind, code = _STATUS[error.kind]
        body = error_body(error.message, kind, None, code)
    return {"data": json.dumps(body)}


@dataclass
class _Shape:
    """How chunks and completions of one endpoint look."""

    chat: bool
    model: str
    created: int

    @property
    def id_prefix(self) -> str:
        return "chatcmpl-" if self.chat else "cmpl-"

    def completion(self, completion: generation_pb2.Completion) -> dict[str, Any]:
        choice: dict[str, Any] = {
            "index": 0,
            "finish_reason": _finish_reason(completion.finish_reason),
            "logprobs": None,
        }
        if self.chat:
            choice["message"] = {"role": "assistant", "content": completion.output_text}
        else:
            choice["text"] = completion.output_text
        return {
            "id": self.id_prefix + completion.inference_id,
            "object": "chat.completion" if self.chat else "text_completion",
            "created": completion.create_time.seconds or self.created,
            "model": self.model,
            "choices": [choice],
            "usage": _usage(completion.usage),
            "openledger": _extras(
                completion.inference_id,
                completion.node,
                completion.adapter,
                completion.base_model,
                completion.usage,
            ),
        }

    def chunk(
        self,
        inference_id: str,
        text: str,
        finish_reason: str | None,
        *,
        first: bool,
        extras: dict[str, str] | None,
    ) -> dict[str, Any]:
        choice: dict[str, Any] = {"index": 0, "finish_reason": finish_reason, "logprobs": None}
        if self.chat:
            delta: dict[str, str] = {"role": "assistant"} if first else {}
            if text or first:
                delta["content"] = text
            choice["delta"] = delta
        else:
            choice["text"] = text
        body: dict[str, Any] = {
            "id": self.id_prefix + inference_id,
            "object": "chat.completion.chunk" if self.chat else "text_completion",
            "created": self.created,
            "model": self.model,
            "choices": [choice],
        }
        if extras is not None:
            body["openledger"] = extras
        return body

    def usage_chunk(self, inference_id: str, usage: generation_pb2.Usage) -> dict[str, Any]:
        return {
            "id": self.id_prefix + inference_id,
            "object": "chat.completion.chunk" if self.chat else "text_completion",
            "created": self.created,
            "model": self.model,
            "choices": [],
            "usage": _usage(usage),
        }


async def _events(
    shape: _Shape,
    first: generation_pb2.CompletionChunk,
    rest: AsyncGenerator[generation_pb2.CompletionChunk, None],
    include_usage: bool,
) -> AsyncIterator[dict[str, str]]:
    identity = first
    chunk = first
    try:
        while True:
            last = chunk.finish_reason != generation_pb2.FINISH_REASON_UNSPECIFIED
            if last:
                failure = _failed(chunk.finish_reason, chunk.error_message)
                if failure is not None:
                    yield _stream_error(failure)
                    return
            extras = None
            if chunk is identity or last:
                extras = _extras(
                    identity.inference_id,
                    identity.node,
                    identity.adapter,
                    identity.base_model,
                    chunk.usage if last else None,
                )
            body = shape.chunk(
                chunk.inference_id,
                chunk.text_delta,
                _finish_reason(chunk.finish_reason) if last else None,
                first=chunk is identity,
                extras=extras,
            )
            yield {"data": json.dumps(body)}
            if last:
                if include_usage:
                    yield {"data": json.dumps(shape.usage_chunk(chunk.inference_id, chunk.usage))}
                yield {"data": "[DONE]"}
                return
            try:
                chunk = await anext(rest)
            except OpenLedgerError as err:
                yield _stream_error(err)
                return
    finally:
        # Closing the forwarder's stream cancels the node's call when the client went away.
        await rest.aclose()


# ---------------------------------------------------------------- the app


def create_openai_app(
    forwarder: Forwarder,
    catalogue: ModelCatalogue,
    adapters: AdapterDirectory,
    keys: ApiKeys,
) -> FastAPI:
    """The FastAPI app of the OpenAI-compatible API."""
    app = FastAPI(title="OpenLedger inference pool (OpenAI-compatible)", docs_url=None)

    @app.exception_handler(OpenLedgerError)
    async def domain_error(request: Request, error: OpenLedgerError) -> Response:
        return _server_error_response(error)

    @app.exception_handler(RequestValidationError)
    async def invalid_body(request: Request, error: RequestValidationError) -> Response:
        problems = error.errors()
        first = problems[0] if problems else {}
        location = [str(part) for part in first.get("loc", ()) if part != "body"]
        param = location[0] if location else None
        message = first.get("msg", "invalid request body")
        if location:
            message = f"{'.'.join(location)}: {message}"
        return JSONResponse(
            error_body(message, "invalid_request_error", param, "invalid_value"), status_code=400
        )

    async def served(base_model: str) -> bool:
        return bool(forwarder.directory.routable(base_model))

    @app.get("/v1/models")
    async def list_models(authorization: Annotated[str | None, Header()] = None) -> Any:
        keys.payer(authorization)
        data: list[dict[str, Any]] = []
        for base in await catalogue.base_models():
            if not await served(base.id):
                continue
            data.append(base.body())
            data.extend(adapter.body() for adapter in await catalogue.adapters(base.id))
        return {"object": "list", "data": data}

    @app.get("/v1/models/{model}")
    async def get_model(model: str, authorization: Annotated[str | None, Header()] = None) -> Any:
        keys.payer(authorization)
        if ADAPTER_REF.fullmatch(model):
            descriptor = await adapters.describe(AdapterRef.parse(model))
            if descriptor is not None and await served(descriptor.base_model):
                owner = descriptor.owner_address or BASE_MODEL_OWNER
                return {"id": model, "object": "model", "created": 0, "owned_by": owner}
        elif BASE_MODEL_ID.fullmatch(model) and await served(model):
            return ListedModel(model, 0, BASE_MODEL_OWNER).body()
        raise NotFound(f"the model `{model}` does not exist or no node serves it")

    async def answer(
        body: _Body,
        spec: generation_pb2.GenerationSpec,
        payer: str,
        shape: _Shape,
        idempotency_key: str | None,
    ) -> Response:
        try:
            if body.stream:
                stream = forwarder.generate_stream(
                    InferencePoolServiceGenerateStreamRequest(
                        spec=spec, request_id=idempotency_key or ""
                    ),
                    payer=payer,
                )
                # Pull the first chunk before answering, so that errors before the first token
                # (unknown model, invalid parameters, no node) get their HTTP status.
                try:
                    first = await anext(stream)
                except BaseException:
                    await stream.aclose()
                    raise
                return EventSourceResponse(
                    _events(shape, first, stream, body.include_usage()), sep="\n"
                )
            completion = await forwarder.generate(
                InferencePoolServiceGenerateRequest(spec=spec, request_id=idempotency_key or ""),
                payer=payer,
            )
        except OpenLedgerError as error:
            return await _explain(error, spec)
        failure = _failed(completion.finish_reason, completion.error_message)
        if failure is not None:
            return _server_error_response(failure)
        return JSONResponse(shape.completion(completion))

    async def _explain(error: OpenLedgerError, spec: generation_pb2.GenerationSpec) -> Response:
        # A base model nobody serves is "unknown" to an OpenAI client when ModelFactory does
        # not list it either; one it lists is only unavailable for now.
        if spec.base_model and error.reason == NO_ACTIVE_NODE:
            known = {model.id for model in await catalogue.base_models()}
            if spec.base_model not in known:
                error = NotFound(f"the model `{spec.base_model}` does not exist")
        return error_response(error)

    @app.post("/v1/completions")
    async def completions(
        body: CompletionBody,
        authorization: Annotated[str | None, Header()] = None,
        idempotency_key: Annotated[str | None, Header()] = None,
    ) -> Response:
        payer = keys.payer(authorization)
        spec = _spec(body, COMPLETIONS_DEFAULT_MAX_TOKENS)
        spec.prompt = body.text()
        shape = _Shape(chat=False, model=body.model, created=int(time.time()))
        return await answer(body, spec, payer, shape, idempotency_key)

    @app.post("/v1/chat/completions")
    async def chat_completions(
        body: ChatBody,
        authorization: Annotated[str | None, Header()] = None,
        idempotency_key: Annotated[str | None, Header()] = None,
    ) -> Response:
        payer = keys.payer(authorization)
        if body.max_completion_tokens is not None:
            body.max_tokens = body.max_completion_tokens
        spec = _spec(body, None)
        spec.chat.CopyFrom(body.conversation())
        shape = _Shape(chat=True, model=body.model, created=int(time.time()))
        return await answer(body, spec, payer, shape, idempotency_key)

    return app
