"""Decoding revert data: custom errors from the contract ABI, ``Error(string)``, ``Panic``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from eth_abi import abi as eth_abi
from eth_typing import ABIElement
from eth_utils.abi import (
    abi_to_signature,
    function_signature_to_4byte_selector,
    get_abi_input_types,
)
from web3.exceptions import ContractLogicError

AbiLike = Sequence[Mapping[str, Any]]
"""A contract ABI: web3's typed ABI or the plain JSON list from an artifact."""

_ERROR_STRING = bytes.fromhex("08c379a0")  # Error(string)
_PANIC = bytes.fromhex("4e487b71")  # Panic(uint256)

_PANIC_CODES = {
    0x00: "generic panic",
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "corrupt storage byte array",
    0x31: "pop on empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to zero-initialised function",
}


@dataclass(frozen=True)
class RevertInfo:
    """What a revert said. ``name`` is the custom error's name, ``"Error"`` for a revert
    string, ``"Panic"`` for a panic, or None when nothing matched; ``summary`` reads well in a
    log line (``ValueTooLarge(value=11, limit=10)``, ``nope``, ``panic 0x11: ...``)."""

    name: str | None
    args: tuple[Any, ...]
    summary: str
    data: bytes = b""


def decode_revert(data: bytes, abi: AbiLike | None = None) -> RevertInfo:
    """Decode raw revert data against the custom errors declared in ``abi``."""
    selector, payload = data[:4], data[4:]
    if not data:
        return RevertInfo(None, (), "reverted without data", data)
    try:
        if selector == _ERROR_STRING:
            (message,) = eth_abi.decode(["string"], payload)
            return RevertInfo("Error", (message,), str(message), data)
        if selector == _PANIC:
            (code,) = eth_abi.decode(["uint256"], payload)
            meaning = _PANIC_CODES.get(int(code), "unknown panic code")
            return RevertInfo("Panic", (code,), f"panic 0x{int(code):02x}: {meaning}", data)
        for item in abi or ():
            if item.get("type") != "error":
                continue
            element = cast(ABIElement, item)
            if function_signature_to_4byte_selector(abi_to_signature(element)) != selector:
                continue
            args = tuple(eth_abi.decode(get_abi_input_types(element), payload))
            inputs: list[Mapping[str, Any]] = list(item.get("inputs", []))
            names = [str(spec.get("name") or f"arg{i}") for i, spec in enumerate(inputs)]
            rendered = ", ".join(f"{n}={_render(v)}" for n, v in zip(names, args, strict=True))
            name = str(element.get("name"))
            return RevertInfo(name, args, f"{name}({rendered})", data)
    except Exception:
        # Malformed payload for a known selector: fall through to the raw form.
        pass
    return RevertInfo(None, (), f"unknown error 0x{data.hex()}", data)


def revert_from_exception(error: ContractLogicError, abi: AbiLike | None = None) -> RevertInfo:
    """The revert behind a web3 ``ContractLogicError`` (raised by ``eth_call`` and
    ``eth_estimateGas``), decoded when it carries revert data."""
    data = error.data
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return decode_revert(bytes.fromhex(data[2:]), abi)
        except ValueError:
            pass
    message = str(error.message or "execution reverted")
    return RevertInfo(None, (), message.removeprefix("execution reverted: "), b"")


def _render(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value) if isinstance(value, str) else str(value)
