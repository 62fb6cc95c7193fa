"""Loading a service's signing key so that it never shows up where text goes.

``load_account`` returns a ``ServiceAccount``: a real eth_account ``LocalAccount`` (anything
that signs with one accepts it) whose ``repr``/``str``, and those of the key object inside it,
show only the address, which cannot be pickled (so it never travels to a process pool or a
queue), and whose loading errors never quote the key material.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path
from typing import Any, NoReturn

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_keys.datatypes import PrivateKey

from openledger_kit.errors import FailedPrecondition, InvalidArgument

logger = logging.getLogger(__name__)

_REDACTED = "<private key redacted>"


class _RedactedPrivateKey(PrivateKey):
    """eth_keys' key object prints its hex; this one does not."""

    def __repr__(self) -> str:
        return _REDACTED

    def __str__(self) -> str:
        return _REDACTED

    def __reduce__(self) -> NoReturn:
        raise TypeError("private keys cannot be pickled")


class ServiceAccount(LocalAccount):
    """A ``LocalAccount`` that shows only its address when printed, logged or formatted."""

    def __init__(self, key_bytes: bytes) -> None:
        super().__init__(_RedactedPrivateKey(key_bytes), Account())

    def __repr__(self) -> str:
        return f"ServiceAccount(address={self.address})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("ServiceAccount cannot be pickled: it holds a private key")

    def __copy__(self) -> ServiceAccount:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> ServiceAccount:
        return self


def parse_private_key(text: str, *, source: str) -> ServiceAccount:
    """An account from a hex private key (``0x`` optional). Errors name ``source`` only."""
    cleaned = text.strip()
    if cleaned[:2] in ("0x", "0X"):
        cleaned = cleaned[2:]
    try:
        key_bytes = bytes.fromhex(cleaned)
    except ValueError:
        key_bytes = b""
    if len(key_bytes) != 32:
        raise InvalidArgument("key", f"{source} does not hold a 32-byte hex private key")
    account: ServiceAccount | None = None
    try:
        account = ServiceAccount(key_bytes)
    except Exception:
        # eth_keys rejects zero and out-of-range keys, and its message may quote the value:
        # raise outside this block so the original is not even attached as __context__.
        pass
    if account is None:
        raise InvalidArgument("key", f"{source} holds an invalid secp256k1 private key")
    return account


def load_account(
    *,
    env: str | None = None,
    file: str | os.PathLike[str] | None = None,
    password: str | None = None,
) -> ServiceAccount:
    """The service account from exactly one source.

    ``env``: the name of an environment variable holding the hex key (a Kubernetes Secret
    mounted as env). ``file``: a file holding the hex key, or an encrypted Ethereum keystore
    (JSON, V3) decrypted with ``password``. Raises ``FailedPrecondition`` when the source is
    missing and ``InvalidArgument`` when it does not hold a key; neither message contains key
    material.
    """
    if (env is None) == (file is None):
        raise InvalidArgument("key", "give exactly one of env= or file=")
    if env is not None:
        value = os.environ.get(env)
        if not value:
            raise FailedPrecondition(
                f"environment variable {env} is not set", reason="SIGNING_KEY_MISSING"
            )
        account = parse_private_key(value, source=f"environment variable {env}")
    else:
        assert file is not None
        account = _from_file(Path(file), password)
    logger.info("loaded signing account %s", account.address)
    return account


def _from_file(path: Path, password: str | None) -> ServiceAccount:
    try:
        text = path.read_text()
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise FailedPrecondition(
            f"key file {path} does not exist", reason="SIGNING_KEY_MISSING"
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        logger.warning("key file %s is accessible to other users; chmod 600 it", path)
    if not text.lstrip().startswith("{"):
        return parse_private_key(text, source=f"key file {path}")
    if password is None:
        raise InvalidArgument("key", f"key file {path} is an encrypted keystore: give password=")
    key_bytes: bytes | None = None
    try:
        key_bytes = bytes(Account.decrypt(json.loads(text), password))
    except Exception:
        pass
    if key_bytes is None:
        raise InvalidArgument(
            "key", f"cannot decrypt keystore {path} (wrong password or not a keystore)"
        )
    return ServiceAccount(key_bytes)
