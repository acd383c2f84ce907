"""Mask personal data before anything a citizen typed is stored (feedback, fallback questions).

`mask(text)` replaces, in this order: e-mail addresses, IBANs (checked with python-stdnum), postcode
plus house number, BSNs (9 digits that pass the elfproef, python-stdnum) and phone numbers (found by
`phonenumbers` for the Netherlands). Numbers that only look like a BSN but fail the elfproef stay.
`scan(text)` does the same and also says which kinds it found (["BSN", "TELEFOON"]), never the values:
bot/rasa_server.py masks every incoming message with it before NLU, and notes the kinds in the metadata.
"""
from __future__ import annotations

import re
from typing import List, Tuple

import phonenumbers
from stdnum import iban
from stdnum.nl import bsn

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
#: Start of something that may be an IBAN: country code and check digits; the rest is checked by stdnum.
IBAN_START = re.compile(r"\b[A-Za-z]{2}\d{2}(?=[ ]?[A-Za-z0-9])")
IBAN_BODY = re.compile(r"[A-Za-z0-9 ]{0,40}")
#: Dutch postcode with house number: 1234 AB 12 (as written on letters; SA, SD and SS are never used).
ADDRESS = re.compile(r"\b[1-9]\d{3}\s?(?!SA|SD|SS)[A-Z]{2}\s*\d+(?:\s?[a-zA-Z](?![a-zA-Z]))?")
#: A BSN as typed: nine digits, the official spelling 1234.56.789, or groups of three (111 222 333).
BSN_CANDIDATE = re.compile(r"(?<![\d.,])(\d{4}\.\d{2}\.\d{3}|\d{3}([ .])\d{3}\2\d{3}|\d{9})(?![\d]|[.,]\d)")
#: Longer than this is not masked in full: questions and answers are cut to 1000 characters anyway.
MAX_INPUT = 5000


def _mask_ibans(text: str) -> str:
    out, pos = [], 0
    for start in IBAN_START.finditer(text):
        if start.start() < pos:
            continue
        body = IBAN_BODY.match(text, start.end()).group()
        candidate = start.group() + body
        # The longest prefix that is a valid IBAN wins ('NL91 ABNA 0417 1643 00 graag' stops before 'graag').
        for end in range(len(candidate), 14, -1):
            piece = candidate[:end]
            if piece[-1] != " " and (end == len(candidate) or not candidate[end].isalnum()) and iban.is_valid(piece):
                out.append(text[pos:start.start()] + "[IBAN]")
                pos = start.start() + end
                break
    return "".join(out) + text[pos:]


def _mask_bsns(text: str) -> str:
    return BSN_CANDIDATE.sub(lambda m: "[BSN]" if bsn.is_valid(re.sub(r"\D", "", m.group())) else m.group(), text)


def _mask_phones(text: str) -> str:
    matches = list(phonenumbers.PhoneNumberMatcher(text, "NL"))
    for match in reversed(matches):
        text = text[:match.start] + "[TELEFOON]" + text[match.end:]
    return text


#: The kinds, in the order they are masked; each is also the placeholder's name ("[BSN]").
KINDS = ("E-MAIL", "IBAN", "ADRES", "BSN", "TELEFOON")
_STEPS = (("E-MAIL", lambda text: EMAIL.sub("[E-MAIL]", text)), ("IBAN", _mask_ibans),
          ("ADRES", lambda text: ADDRESS.sub("[ADRES]", text)), ("BSN", _mask_bsns), ("TELEFOON", _mask_phones))


def scan(text: str) -> Tuple[str, List[str]]:
    """The masked text and the kinds of personal data that were masked in it (each kind once)."""
    if not text:
        return "", []
    text = str(text)[:MAX_INPUT]
    found = []
    for kind, step in _STEPS:
        masked = step(text)
        if masked != text:
            found.append(kind)
        text = masked
    return text, found


def mask(text: str) -> str:
    """The text with BSN, IBAN, phone numbers, e-mail addresses and postcode+house number replaced."""
    return scan(text)[0]
