"""Normalisation of record content and extraction of the text the text checks examine.

Curation step 2 (``CurationPolicy`` in the proto): every string value is put in Unicode NFC,
CRLF and lone CR become LF, and leading and trailing whitespace is trimmed. Keys are left as
they are (they are part of the schema, not of the text). Step 3 joins the string values at the
policy's JSON Pointers (or every string value, keys in canonical JSON order) with "\\n".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping, Sequence

_JsonObject = Mapping[str, object]


def normalize_text(text: str) -> str:
    """NFC, line endings as LF, outer whitespace trimmed."""
    text = unicodedata.normalize("NFC", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


def normalize_value(value: object) -> object:
    """``value`` with every string inside it normalised; containers are copied, never shared."""
    if isinstance(value, str):
        return normalize_text(value)
    if isinstance(value, Mapping):
        return {key: normalize_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [normalize_value(item) for item in value]
    return value


def normalize_content(content: _JsonObject) -> dict[str, object]:
    """A normalised copy of a record's content."""
    return {key: normalize_value(item) for key, item in content.items()}


def escape_token(key: str) -> str:
    """One RFC 6901 reference token for an object key."""
    return key.replace("~", "~0").replace("/", "~1")


def unescape_token(token: str) -> str:
    """The object key an RFC 6901 reference token names."""
    return token.replace("~1", "/").replace("~0", "~")


def _canonical_key(key: str) -> bytes:
    # RFC 8785 sorts members by their UTF-16 code units; UTF-16-BE bytes sort the same way.
    return key.encode("utf-16-be", "surrogatepass")


def iter_strings(value: object, pointer: str = "") -> Iterator[tuple[str, str]]:
    """Every string inside ``value`` as ``(json_pointer, string)``, in canonical JSON order."""
    if isinstance(value, str):
        yield pointer, value
    elif isinstance(value, Mapping):
        for key in sorted(value, key=_canonical_key):
            yield from iter_strings(value[key], f"{pointer}/{escape_token(key)}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from iter_strings(item, f"{pointer}/{index}")


def resolve(content: object, pointer: str) -> object | None:
    """The value a JSON Pointer names, or ``None`` when nothing is there."""
    node: object = content
    if pointer == "":
        return node
    for token in pointer[1:].split("/"):
        key = unescape_token(token)
        if isinstance(node, Mapping):
            if key not in node:
                return None
            node = node[key]
        elif isinstance(node, list | tuple):
            if not key.isdigit() or (len(key) > 1 and key[0] == "0") or int(key) >= len(node):
                return None
            node = node[int(key)]
        else:
            return None
    return node


def text_segments(content: _JsonObject, paths: Sequence[str]) -> list[tuple[str, str]]:
    """The ``(pointer, string)`` pairs that form the text: strings under ``paths`` in order
    (a path naming an object or array contributes every string inside it), or every string."""
    if not paths:
        return list(iter_strings(content))
    segments: list[tuple[str, str]] = []
    for path in paths:
        found = resolve(content, path)
        if found is not None:
            segments.extend(iter_strings(found, path))
    return segments


def extract_text(content: _JsonObject, paths: Sequence[str]) -> str:
    """The text the text checks look at: the segments' strings joined with ``"\\n"``."""
    return "\n".join(text for _, text in text_segments(content, paths))
