"""PII and secret detectors: checksums, formats, look-alikes that must not fire, redaction."""

from __future__ import annotations

import pytest

from openledger_datanet.domain.curation import PiiType
from openledger_datanet.domain.curation.pii import (
    bip39_words,
    detect,
    iban_valid,
    luhn_valid,
    redact,
)


def kinds(text: str) -> list[PiiType]:
    return [finding.pii_type for finding in detect(text)]


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert luhn_valid("378282246310005")  # Amex, 15 digits
    assert luhn_valid("0")


@pytest.mark.parametrize(
    "card", ["4111 1111 1111 1111", "4111-1111-1111-1111", "5555555555554444", "3782 822463 10005"]
)
def test_luhn_valid_cards_are_found(card: str) -> None:
    assert kinds(f"paid with {card} yesterday") == [PiiType.PAYMENT_CARD]


@pytest.mark.parametrize(
    "number",
    [
        "4111 1111 1111 1112",  # Luhn-invalid
        "1234 5678 9012 3452",  # Luhn-valid, but no card issuer starts with 1
        "4111 1111 1111",  # too short
    ],
)
def test_card_look_alikes_are_not_cards(number: str) -> None:
    assert PiiType.PAYMENT_CARD not in kinds(f"reference {number} here")


def test_iban_mod_97_and_country_length() -> None:
    assert iban_valid("GB82WEST12345698765432")
    assert iban_valid("DE89370400440532013000")
    assert not iban_valid("GB82WEST12345698765433")  # check digits wrong
    assert not iban_valid("GB82WEST1234569876543")  # one short for GB
    assert kinds("IBAN GB82 WEST 1234 5698 7654 32, thanks") == [PiiType.PAYMENT_CARD]
    assert kinds("IBAN DE89 3704 0044 0532 0130 00") == [PiiType.PAYMENT_CARD]
    assert kinds("IBAN GB82 WEST 1234 5698 7654 33") == []


@pytest.mark.parametrize(
    "phone",
    [
        "+1 (555) 234-5678",
        "(555) 234-5678",
        "555-234-5678",
        "555.234.5678",
        "555 234 5678",
        "+44 20 7946 0958",
        "020 7946 0958",
        "07700 900123",
        "+49 30 1234567",
        "+33 1 23 45 67 89",
        "+4915112345678",
    ],
)
def test_phone_formats(phone: str) -> None:
    assert kinds(f"call {phone} today") == [PiiType.PHONE_NUMBER]


@pytest.mark.parametrize(
    "text",
    [
        "on 2023-01-15 at 10:30",
        "in 1998 and 2024",
        "costs $1,299.99 or 3.5%",
        "version 2.14.3 of the tool",
        "order 100 200 3000 units",  # NANP area codes never start with 1
        "ratio 12/31/2024",
        "we sold 123456 copies",
    ],
)
def test_numbers_in_ordinary_prose_are_not_pii(text: str) -> None:
    assert kinds(text) == []


def test_government_ids() -> None:
    assert kinds("SSN 123-45-6789.") == [PiiType.GOVERNMENT_ID]
    assert kinds("social security number: 123456789") == [PiiType.GOVERNMENT_ID]
    assert kinds("bad SSN 000-12-3456 or 666-12-3456 or 123-00-4567") == []
    assert kinds("NINO AB 12 34 56 C on file") == [PiiType.GOVERNMENT_ID]
    # Prefixes that are never issued: Q as first letter, GB, and the administrative ones.
    assert kinds("NINO QQ123456C or GB123456A or ZZ123456A") == []
    assert kinds("passport number X1234567 expires") == [PiiType.GOVERNMENT_ID]


def test_ip_addresses() -> None:
    assert kinds("from 192.168.1.10 and 2001:db8::8a2e:370:7334") == [PiiType.IP_ADDRESS] * 2
    # Fewer than two non-empty groups is not worth redacting (and "::1" is loopback).
    assert kinds("::1 is loopback") == []
    assert kinds("not 999.1.1.1, not 1.2.3.4.5, not 12:30:45, not v1.2.3") == []


@pytest.mark.parametrize(
    "secret",
    [
        "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
        "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
        "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg\n-----END EC PRIVATE KEY-----",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA",  # cut off: still a key
        "AKIAIOSFODNN7EXAMPLE",
        "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        "xoxb-1234567890-abcdefghij",
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
        "AIzaSyD-abcdefghijklmnopqrstuvwxyz01234",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ],
)
def test_credentials(secret: str) -> None:
    assert kinds(f"use {secret} now") == [PiiType.CREDENTIAL]


def test_secret_assignments_redact_only_the_value() -> None:
    text = "login with password: hunter2222 and api_key=abc123def456"
    assert (
        redact(text, detect(text)) == "login with password: [CREDENTIAL] and api_key=[CREDENTIAL]"
    )
    assert kinds("the password must have 8 characters") == []


def test_a_40_hex_address_and_a_short_hash_are_not_keys() -> None:
    assert kinds("send to 0x52908400098527886E0F7030069857D2E4169EE7 and commit 3f2a9c1") == []


def _phrase(count: int, start: int = 0) -> str:
    words = sorted(bip39_words())
    return " ".join(words[start + 37 * i] for i in range(count))


@pytest.mark.parametrize("count", [12, 15, 18, 21, 24])
def test_seed_phrases_of_every_wallet_length(count: int) -> None:
    text = f"My recovery words: {_phrase(count)}. Do not share."
    findings = detect(text)
    assert [f.pii_type for f in findings] == [PiiType.CREDENTIAL]
    assert redact(text, findings) == "My recovery words: [CREDENTIAL]. Do not share."


def test_numbered_seed_phrase() -> None:
    words = _phrase(12).split()
    numbered = " ".join(f"{i}. {word}" for i, word in enumerate(words, start=1))
    assert kinds(numbered) == [PiiType.CREDENTIAL]


def test_eleven_list_words_are_not_a_seed_phrase() -> None:
    assert kinds(f"words: {_phrase(11)}") == []


@pytest.mark.parametrize(
    "prose",
    [
        "The quick brown fox jumps over the lazy dog while the farmer watches from the gate.",
        "After the long winter, people in the small town gather every spring to clean the "
        "river banks, plant new trees and share food with their neighbours.",
        "Please find attached the report about the annual budget, the staff survey and the "
        "plan for the new office that we discussed on Monday.",
        "Simple daily habits like walking, drinking water, eating fruit and sleeping early "
        "can improve your health, energy and mood over time.",
    ],
)
def test_ordinary_english_is_not_a_seed_phrase(prose: str) -> None:
    assert kinds(prose) == []


def test_names_addresses_and_dates_of_birth_in_their_clear_shapes() -> None:
    text = (
        "My name is Alice Johnson, born on 12 March 1985, at 221 Baker Street, London NW1 6XE. "
        "Ask Dr. Patel. DOB: 1990-04-23."
    )
    assert redact(text, detect(text)) == (
        "My name is [PERSON_NAME], born on [DATE_OF_BIRTH], at [POSTAL_ADDRESS]. "
        "Ask Dr. [PERSON_NAME]. DOB: [DATE_OF_BIRTH]."
    )
    assert kinds("The shop was born in 1985 on a quiet street.") == []


def test_email_addresses() -> None:
    text = "write to jane.doe+news@mail.example.co.uk or x@y.io, not @handle or a@b"
    assert redact(text, detect(text)) == (
        "write to [EMAIL_ADDRESS] or [EMAIL_ADDRESS], not @handle or a@b"
    )


def test_overlaps_resolve_to_one_finding_and_types_can_be_restricted() -> None:
    text = "card 4111 1111 1111 1111 and mail a@example.com"
    assert kinds(text) == [PiiType.PAYMENT_CARD, PiiType.EMAIL_ADDRESS]
    assert [f.pii_type for f in detect(text, {PiiType.EMAIL_ADDRESS})] == [PiiType.EMAIL_ADDRESS]
