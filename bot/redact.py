"""redact(text) -> text with personal details replaced; pure, runs before anything is stored.

A pipeline of plain `(str) -> str` steps, most specific first so one detail is never
half-caught by a later, looser step:

    emails      kez@example.com            -> [email]
    links       https://..., www..., x.com/path -> [link]   (a bare "kooth.com" is kept)
    handles     @kez_e17                   -> [handle]
    postcodes   E17 4QH, e174qh            -> E17 [postcode]  (the district is kept)
    addresses   23 Hoe Street, 14b high st -> [address]
    dates       01/02/2008, 2010-12-04 (with a year: likely a birthday) -> [date]
                14 March 2008, 2nd of june, august 9th                -> [date]
    numbers     phone forms                -> [phone]
                6+ digits (cards, accounts, sort codes) -> [number]
    schools     Hollowmere Park Academy, University of Northmoor -> [school]
    names       my name is Jordan Okafor, im called kez, - Connor -> [name]

Dates in words, schools and names are in bot.redact_names. Every pattern runs in linear
time (a look-behind keeps it from starting mid-word, and runs are possessive), so a long
hostile message cannot stall the bot; tests/test_redact.py times each one on 4,096
characters. Callers on an event loop run redact() in a thread.

What is deliberately kept: ages ("im 16"), times ("6pm", "7:30"), 999 / 101, "year 11",
prices ("£5"), bus routes, "5-a-side", ranges like "16-25" and years like 2008. The
corpora in tests/data/redaction.yaml and tests/data/redaction_blind1.yaml are the contract.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.redact_names import NAME, SCHOOL, redact_names, redact_schools, redact_word_dates
from bot.redact_names import PATTERNS as _NAME_PATTERNS

EMAIL = "[email]"
LINK = "[link]"
HANDLE = "[handle]"
POSTCODE = "[postcode]"
ADDRESS = "[address]"
DATE = "[date]"
PHONE = "[phone]"
NUMBER = "[number]"
PLACEHOLDERS = (EMAIL, LINK, HANDLE, POSTCODE, ADDRESS, DATE, PHONE, NUMBER, SCHOOL, NAME)

_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)++", re.UNICODE)

# Top-level domains worth recognising without a scheme ("tiktok.com/@x", "wa.me/44...").
_TLDS = (
    "com|org|net|uk|co|io|me|tv|ly|gg|app|be|to|link|info|biz|xyz|live|page|site|"
    "online|fm|am|ac|gov|edu|eu|de|fr|ng|gh|in|us|ca|au|ie"
)
_SCHEME_LINK_RE = re.compile(r"(?:\b(?:https?|ftp)://|\bwww\.)\S+", re.IGNORECASE)
# A dotted name then, in Python, a check that its last label is a known top-level domain
# (a regex alternation of TLDs after a repeated label group backtracks quadratically).
_BARE_LINK_RE = re.compile(
    r"(?<![\w.@-])(?P<host>[a-z0-9-]++(?:\.[a-z0-9-]++)++)(?P<path>/\S*+)?+", re.IGNORECASE
)
_TLD_SET = frozenset(_TLDS.split("|"))
_TRAILING_PUNCT = ".,!?;:)]}'\"…"

_HANDLE_RE = re.compile(r"(?<![\w@\[])@[A-Za-z0-9_]++(?:\.++[A-Za-z0-9_]++)*+")

# Outward code (district) + inward code. Inward units never use C, I, K, M, O or V, which
# keeps "u18 5pm" or "e17 6am" from looking like a postcode.
_POSTCODE_RE = re.compile(
    r"(?<![\w'’])(?P<district>[A-Za-z]{1,2}\d[A-Za-z\d]?)[ \t]*+"
    r"(?P<inward>\d(?i:[ABD-HJLNP-UW-Z]{2}))\b"
)

_STREET_TYPES = (
    "street|st|road|rd|lane|ln|avenue|ave|close|cl|drive|dr|grove|gardens|gdns|place|pl|"
    "crescent|cres|court|ct|terrace|terr|way|walk|hill|row|rise|square|sq|mews|parade|"
    "park|green|vale|estate|house|tower|towers|buildings|yard|gate|wharf|broadway"
)
_ADDRESS_RE = re.compile(
    r"(?<![\w£$€:./-])(?:(?:number|no\.?+)[ \t]*+)?+(?P<num>\d{1,4}[a-z]?+),?+[ \t]++"
    r"(?P<on>(?:on|in)[ \t]++)?+"
    r"(?P<words>(?:[A-Za-z'’]++[ \t]++){1,3}?)"
    rf"(?P<type>{_STREET_TYPES})\b\.?+",
    re.IGNORECASE,
)
# Words that never sit between a house number and a street name; they mean the number
# was an age, a count or a time ("im 16 on road", "got 3 mates down the road").
_NOT_STREET_TEXT = """
    a an and or but the of in on at to for from with by into onto off out up down over
    under near by via is am are was were be been im i me my mine u you ur your yours he
    him his she her hers we us our they them their it its this that these those there
    here so if then than as like just about only also not no yes all any some more less
    mins min minutes hours hrs days weeks months years yrs year yr old times people mates
    friends of pm am oclock o clock till until before after when while every each per
    get got go going gone want wanna need can cant will wont have has had do does did
    dont live lives living stay staying moved move
"""
_NOT_STREET_WORDS = frozenset(_NOT_STREET_TEXT.split())

# A full date with a year is usually a date of birth; "08/27" (a card expiry) and "on 12/12"
# carry no year and are left alone.
# With dashes only a four-digit year counts: "12-34-56" is a sort code.
_DATE_RE = re.compile(
    r"(?<![\w/.-])(?:\d{1,2}(?:([/.])\d{1,2}\1(?:19|20)?\d\d|-\d{1,2}-(?:19|20)\d\d)"
    r"|(?:19|20)\d\d([/.-])\d{1,2}\2\d{1,2})(?![\w/.-])"  # or year first: 2010/12/04
)

# A run of digits with phone-style separators: "07700 900 123", "+44 (0)7700-900123".
_NUMBER_RUN_RE = re.compile(
    r"(?<![\w£$€.,:/+(-])[+(]*+\d++(?:[ \t\u00a0().-]++\d++)*+(?![\w@])")
_YEAR_RANGE_RE = re.compile(r"(?:19|20)\d\d\s*[-–]\s*(?:19|20)\d\d")


def redact(text: str) -> str:
    """Replace phone numbers, emails, postcodes, handles, links, long numbers and addresses."""
    for step in STEPS:
        text = step(text)
    return text


def redact_emails(text: str) -> str:
    return _EMAIL_RE.sub(EMAIL, text)


def redact_links(text: str) -> str:
    text = _SCHEME_LINK_RE.sub(_link, text)

    def bare(m: re.Match[str]) -> str:
        if m.group("host").rsplit(".", 1)[-1].lower() not in _TLD_SET:
            return m.group(0)
        # "kooth.com" alone names a service, not a person; "kooth.com/u/kez" may not.
        return _link(m) if m.group("path") and len(m.group("path")) > 1 else m.group(0)

    return _BARE_LINK_RE.sub(bare, text)


def _link(m: re.Match[str]) -> str:
    found = m.group(0)
    kept = found.rstrip(_TRAILING_PUNCT)
    return LINK + found[len(kept):]


def redact_handles(text: str) -> str:
    return _HANDLE_RE.sub(HANDLE, text)


def redact_postcodes(text: str) -> str:
    return _POSTCODE_RE.sub(lambda m: f"{m.group('district')} {POSTCODE}", text)


def redact_addresses(text: str) -> str:
    def sub(m: re.Match[str]) -> str:
        words = m.group("words").lower().split()
        if any(w.strip("'’") in _NOT_STREET_WORDS for w in words):
            return m.group(0)
        if m.group("on") and not m.group(0).lower().startswith(("number", "no")):
            return m.group(0)  # "16 on road": only "number 7 on birchfield avenue" counts
        return ADDRESS

    return _ADDRESS_RE.sub(sub, text)


def redact_dates(text: str) -> str:
    return _DATE_RE.sub(DATE, text)


def redact_numbers(text: str) -> str:
    return _NUMBER_RUN_RE.sub(_number, text)


def _number(m: re.Match[str]) -> str:
    run = m.group(0)
    digits = sum(c.isdigit() for c in run)
    if digits < 6 or _YEAR_RANGE_RE.fullmatch(run.strip()):
        return run
    start = run.lstrip("(")
    international = start.startswith("+") or start.startswith("00")
    if (international and 8 <= digits <= 15) or (start.startswith("0") and 10 <= digits <= 11):
        return PHONE
    if digits == 10 and start.startswith("7"):  # a UK mobile typed without its 0
        return PHONE
    return NUMBER


STEPS: tuple[Callable[[str], str], ...] = (
    redact_emails,
    redact_links,
    redact_handles,
    redact_postcodes,
    redact_addresses,
    redact_dates,
    redact_word_dates,
    redact_numbers,
    redact_schools,
    redact_names,
)

# Every regular expression used, by name: tests/test_redact.py times each on hostile input.
PATTERNS: dict[str, re.Pattern[str]] = {
    "email": _EMAIL_RE,
    "scheme_link": _SCHEME_LINK_RE,
    "bare_link": _BARE_LINK_RE,
    "handle": _HANDLE_RE,
    "postcode": _POSTCODE_RE,
    "address": _ADDRESS_RE,
    "date": _DATE_RE,
    "number_run": _NUMBER_RUN_RE,
    "year_range": _YEAR_RANGE_RE,
    **_NAME_PATTERNS,
}
