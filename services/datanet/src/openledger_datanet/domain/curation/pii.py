"""PII and secret detection, and redaction with typed placeholders.

Detectors are patterns with validators where a checksum exists (Luhn for payment cards,
ISO 7064 mod 97 for IBANs, the SSA's never-issued ranges for SSNs, ``ipaddress`` for IPs).
Names, postal addresses and dates of birth have no checksum and no model here, so they are
found only in their unambiguous shapes (after "my name is" or an honorific; a numbered street
with a street type, a UK postcode; a date after "born" / "date of birth" / "DOB").

Seed phrases: a run of 12 or more consecutive words all from the BIP-39 English list (read
from ``eth_account``, which ships it for HD wallets), separated only by spaces, commas or list
numbering. Runs of 12, 15, 18, 21 or 24 words are what wallets print; a longer run is flagged
whole. The list omits the commonest English words ("the", "a", "of", "to", "and", "is"), so
ordinary prose almost never holds 12 of its words in a row.

Overlapping findings resolve to the longest span (then to the more specific kind), so a card
number is not also reported as a phone number.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from eth_account.hdaccount.mnemonic import get_wordlist

from .policy import PiiType

SEED_PHRASE_MIN_WORDS = 12


@dataclass(frozen=True, order=True)
class Finding:
    """One detected span ``text[start:end]``."""

    start: int
    end: int
    pii_type: PiiType
    detector: str


# Ties between overlapping spans of equal length go to the earlier kind here.
_SPECIFICITY = (
    PiiType.CREDENTIAL,
    PiiType.PAYMENT_CARD,
    PiiType.GOVERNMENT_ID,
    PiiType.EMAIL_ADDRESS,
    PiiType.IP_ADDRESS,
    PiiType.DATE_OF_BIRTH,
    PiiType.PHONE_NUMBER,
    PiiType.POSTAL_ADDRESS,
    PiiType.PERSON_NAME,
)

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DATE = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\.?,?\s+\d{{4}}"
    rf"|{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
)

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![\w-])"
)
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){1,4}"  # +44 20 7946 0958
    # North American numbers: area code and exchange start with 2-9 (NANP), which keeps
    # "100 200 3000" out.
    r"|\([2-9]\d{2}\)\s?[2-9]\d{2}[\s.-]?\d{4}"  # (555) 123-4567
    r"|[2-9]\d{2}([.\s-])[2-9]\d{2}\1\d{4}"  # 555-123-4567, 555.123.4567, 555 123 4567
    r"|0\d{2,4}[\s-]\d{3,4}[\s-]?\d{3,4}"  # national trunk prefix: 020 7946 0958, 07700 900123
    r")(?![\w])"
)
_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
_IBAN_START = re.compile(r"\b([A-Z]{2})(\d{2})(?=\s?[A-Z0-9])")
_SSN = re.compile(r"\b(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}\b")
_SSN_CONTEXT = re.compile(
    r"(?i:\b(?:ssn|social\s+security(?:\s+(?:number|no\.?))?)\b)[\s:#]*"
    r"((?!000|666|9\d\d)\d{3}(?!00)\d{2}(?!0000)\d{4})\b"
)
_NINO = re.compile(
    r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"
)
_PASSPORT = re.compile(
    r"(?i:\bpassport(?:\s+(?:no\.?|number|#))?)[\s:#]*((?=[A-Z0-9]*\d)[A-Z0-9]{6,9})\b"
)
_IPV4 = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    r"(?![\w]|\.\d)"
)
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_PEM = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
    r"(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|[\s\S]*)"
)
_HEX_KEY = re.compile(r"(?<![0-9A-Za-z])(?:0x)?[0-9a-fA-F]{64}(?![0-9A-Za-z])")
_API_KEYS = re.compile(
    r"\b(?:"
    r"(?:AKIA|ASIA)[0-9A-Z]{16}"  # AWS access key id
    r"|gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}"  # GitHub
    r"|xox[abprs]-[A-Za-z0-9-]{10,}"  # Slack
    r"|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}"  # Stripe
    r"|sk-(?:[A-Za-z0-9_-]+-)?[A-Za-z0-9_-]{20,}"  # OpenAI / Anthropic style
    r"|AIza[0-9A-Za-z_-]{35}"  # Google API key
    r"|glpat-[A-Za-z0-9_-]{20,}"  # GitLab
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"  # JWT
    r")(?![\w-])"
)
_SECRET_ASSIGNMENT = re.compile(
    r"(?i:\b(?:password|passwd|pwd|passphrase|secret|api[_-]?key|access[_-]?token"
    r"|auth[_-]?token|client[_-]?secret|private[_-]?key)\b)"
    r"\s*(?:is\s*)?[:=]\s*[\"']?([^\s\"',;]{6,})"
)
_DOB = re.compile(
    r"(?i:\b(?:born(?:\s+on)?|date\s+of\s+birth|d\.?o\.?b\.?|birth\s?day(?:\s+is)?)\b)"
    rf"[\s:,-]*({_DATE})"
)
_NAME_CONTEXT = re.compile(
    r"(?:\b[Mm]y\s+name\s+is|\b[Nn]ame\s*:|\b(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof)\.?)"
    r"\s+((?:[A-Z][a-z'’]+)(?:[ -][A-Z][a-z'’]+){0,2})"
)
_STREET = re.compile(
    r"\b\d{1,5}[A-Za-z]?\s+(?:[A-Z][a-z]+\s+){1,3}"
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl"
    r"|Terrace|Square|Sq|Crescent|Close|Parkway|Pkwy|Highway|Hwy)\b\.?"
    r"(?:,?\s*(?:Apt|Apartment|Suite|Unit|Flat)\.?\s*#?\w+)?"
    r"(?:,\s*[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2})?"
    r"(?:,?\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?"  # US state and ZIP
    r"|,?\s*[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2}\b)?"  # UK postcode
)
_UK_POSTCODE = re.compile(r"\b(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2})\b")
_SEED_WORD = re.compile(r"[A-Za-z]+")
_SEED_GAP = re.compile(r"[\s,;]*(?:\d{1,2}[.):]\s*)?[\s,;]*")

# ISO 13616 IBAN lengths of the countries that use one (SWIFT IBAN registry).
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip


@cache
def bip39_words() -> frozenset[str]:
    """The 2048 words of the BIP-39 English list."""
    return frozenset(get_wordlist("english"))


def luhn_valid(digits: str) -> bool:
    """Whether a digit string passes the Luhn (mod 10) check."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """Whether an IBAN (no spaces, upper case) has its country's length and a valid
    ISO 7064 mod-97 check."""
    expected = _IBAN_LENGTHS.get(iban[:2])
    if expected is None or len(iban) != expected or not iban.isalnum():
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def _card_numbers(text: str) -> Iterator[tuple[int, int]]:
    for match in _CARD.finditer(text):
        digits = re.sub(r"[ -]", "", match.group())
        # Issuer ranges 2-6 (Mastercard 2-series, Amex/Diners/JCB, Visa, Mastercard, Discover
        # and UnionPay); other leading digits are not payment cards however Luhn works out.
        if 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_valid(digits):
            yield match.span()


def _ibans(text: str) -> Iterator[tuple[int, int]]:
    for match in _IBAN_START.finditer(text):
        expected = _IBAN_LENGTHS.get(match.group(1))
        if expected is None:
            continue
        # Walk forward over alphanumerics and single spaces until the country's length.
        chars: list[str] = []
        position = match.start()
        while position < len(text) and len(chars) < expected:
            char = text[position]
            if char.isascii() and char.isalnum():
                chars.append(char.upper())
            elif not (char == " " and chars and position + 1 < len(text)):
                break
            position += 1
        if len(chars) == expected and iban_valid("".join(chars)):
            if position < len(text) and text[position].isascii() and text[position].isalnum():
                continue  # longer than an IBAN of that country
            yield match.start(), position


def _ipv6(text: str) -> Iterator[tuple[int, int]]:
    for match in _IPV6.finditer(text):
        candidate = match.group()
        if sum(1 for part in candidate.split(":") if part) < 2:
            continue
        try:
            ipaddress.IPv6Address(candidate)
        except ValueError:
            continue
        yield match.span()


def _seed_phrases(text: str) -> Iterator[tuple[int, int]]:
    wordlist = bip39_words()
    run: list[re.Match[str]] = []

    def flush() -> Iterator[tuple[int, int]]:
        if len(run) >= SEED_PHRASE_MIN_WORDS:
            yield run[0].start(), run[-1].end()

    for match in _SEED_WORD.finditer(text):
        in_list = match.group().lower() in wordlist
        contiguous = bool(run) and _SEED_GAP.fullmatch(text, run[-1].end(), match.start())
        if in_list and (contiguous or not run):
            run.append(match)
            continue
        yield from flush()
        run = [match] if in_list else []
    yield from flush()


def _group(pattern: re.Pattern[str], group: int) -> Callable[[str], Iterator[tuple[int, int]]]:
    def spans(text: str) -> Iterator[tuple[int, int]]:
        for match in pattern.finditer(text):
            yield match.span(group)

    return spans


def _whole(pattern: re.Pattern[str]) -> Callable[[str], Iterator[tuple[int, int]]]:
    return _group(pattern, 0)


_DETECTORS: tuple[tuple[PiiType, str, Callable[[str], Iterable[tuple[int, int]]]], ...] = (
    (PiiType.EMAIL_ADDRESS, "email", _whole(_EMAIL)),
    (PiiType.PHONE_NUMBER, "phone", _whole(_PHONE)),
    (PiiType.PAYMENT_CARD, "card", _card_numbers),
    (PiiType.PAYMENT_CARD, "iban", _ibans),
    (PiiType.GOVERNMENT_ID, "us_ssn", _whole(_SSN)),
    (PiiType.GOVERNMENT_ID, "us_ssn", _group(_SSN_CONTEXT, 1)),
    (PiiType.GOVERNMENT_ID, "uk_nino", _whole(_NINO)),
    (PiiType.GOVERNMENT_ID, "passport", _group(_PASSPORT, 1)),
    (PiiType.IP_ADDRESS, "ipv4", _whole(_IPV4)),
    (PiiType.IP_ADDRESS, "ipv6", _ipv6),
    (PiiType.CREDENTIAL, "pem_private_key", _whole(_PEM)),
    (PiiType.CREDENTIAL, "hex_private_key", _whole(_HEX_KEY)),
    (PiiType.CREDENTIAL, "api_key", _whole(_API_KEYS)),
    (PiiType.CREDENTIAL, "secret_assignment", _group(_SECRET_ASSIGNMENT, 1)),
    (PiiType.CREDENTIAL, "seed_phrase", _seed_phrases),
    (PiiType.DATE_OF_BIRTH, "date_of_birth", _group(_DOB, 1)),
    (PiiType.PERSON_NAME, "person_name", _group(_NAME_CONTEXT, 1)),
    (PiiType.POSTAL_ADDRESS, "street_address", _whole(_STREET)),
    (PiiType.POSTAL_ADDRESS, "uk_postcode", _whole(_UK_POSTCODE)),
)


def detect(text: str, types: Iterable[PiiType] | None = None) -> list[Finding]:
    """Non-overlapping findings of the given kinds (all kinds if ``None``), by position."""
    wanted = frozenset(PiiType) if types is None else frozenset(types)
    found = [
        Finding(start, end, pii_type, name)
        for pii_type, name, spans in _DETECTORS
        if pii_type in wanted
        for start, end in spans(text)
        if end > start
    ]
    found.sort(key=lambda f: (-(f.end - f.start), _SPECIFICITY.index(f.pii_type), f.start))
    chosen: list[Finding] = []
    for finding in found:
        if all(finding.end <= kept.start or finding.start >= kept.end for kept in chosen):
            chosen.append(finding)
    return sorted(chosen)


def redact(text: str, findings: Iterable[Finding]) -> str:
    """``text`` with each (non-overlapping) finding replaced by its type's placeholder."""
    pieces: list[str] = []
    position = 0
    for finding in sorted(findings):
        pieces.append(text[position : finding.start])
        pieces.append(finding.pii_type.placeholder)
        position = finding.end
    pieces.append(text[position:])
    return "".join(pieces)


def count_by_type(findings: Iterable[Finding]) -> Counter[PiiType]:
    """How many findings of each kind."""
    return Counter(finding.pii_type for finding in findings)
