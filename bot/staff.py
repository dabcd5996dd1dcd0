"""Tools for the partnership staff who keep the catalogue: see an edit before it goes live.

    signpost schema    JSON Schemas, so editors check the files while staff type
    signpost explain   why the bot answers one message the way it does
    signpost replay    which answers an edit would change (old catalogue vs new)
    signpost lint      deeper checks than validate; advice only, never blocks publishing

Each command is `<name>_args(parser)` + `<name>_run(args) -> int` (registered in
bot.cli.COMMANDS). The work is done by plain functions returning values (`explain`,
`replay`, `lint`, `schemas`), so tests and other tools call them without the CLI.
Exit codes as everywhere: 0 done, 2 cannot run (broken catalogue, missing file or log).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sqlite3
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot import routes
from bot import schema as rules
from bot.catalogue import LONDON, find_root, load
from bot.catalogue_types import Catalogue, Intent, Service
from bot.cmdargs import add_catalogue_arg, load_for_command
from bot.dialogue import MAX_SERVICES, ChatState, Engine, Reply, london_now
from bot.matcher import EXACT_SCORE, Candidate, Index, index_for
from bot.schema import (
    EMAIL_RE,
    FOLLOW_UP,
    INTENT_FILE,
    LEXICON_SCHEMA,
    PHONE_RE,
    PLACES_FILE,
    SERVICES_FILE,
    SETTINGS_FILE,
    URL_RE,
    Field,
    Record,
    json_schema,
)
from bot.text import SPELLING
from bot.yamlfile import YamlDoc, load_yaml, parse_yaml

# ================================================================ schema

SCHEMA_DIR = "schemas"
SCHEMA_LINE = "# yaml-language-server: $schema="

# Patterns for checks that bot.schema.json_schema does not translate itself. JSON Schema
# regexes are ECMA 262: these use nothing Python-only. Postcodes are upper-cased by the
# loader, so the editor accepts either case.
_EXTRA_PATTERNS: dict[Any, str] = {
    rules._email: EMAIL_RE.pattern,
    rules._url: URL_RE.pattern,
    rules._phone: PHONE_RE.pattern,
    rules._postcode: r"^[A-Za-z]{1,2}[0-9][0-9A-Za-z]? ?[0-9][A-Za-z]{2}$",
    rules._nonblank: r"\S",
}


def schemas() -> dict[str, dict[str, Any]]:
    """Schema file name -> JSON Schema, for every kind of catalogue file."""
    return {
        "services.schema.json": editor_schema(SERVICES_FILE, "Signpost services.yaml"),
        "intent.schema.json": editor_schema(INTENT_FILE, "Signpost intent (intents/*.yaml)"),
        "settings.schema.json": editor_schema(SETTINGS_FILE, "Signpost settings.yaml"),
        "lexicon.schema.json": dict(LEXICON_SCHEMA),
        "places.schema.json": editor_schema(PLACES_FILE, "Signpost places.yaml"),
    }


def editor_schema(record: Record, title: str) -> dict[str, Any]:
    """bot.schema.json_schema plus the patterns, hints and examples editors can show."""
    out = json_schema(record, title)
    _refine_record(record, out)
    first = {k: out.pop(k) for k in ("$schema", "title")}
    return first | out


def _refine_record(record: Record, node: dict[str, Any]) -> None:
    for f in record.fields:
        _refine_field(f, node["properties"][f.name])
    if record is FOLLOW_UP:
        node["oneOf"] = [{"required": [k]} for k in ("intent", "category", "service")]


def _refine_field(f: Field, prop: dict[str, Any]) -> None:
    if f.kind == "list" and isinstance(f.item, Record):
        _refine_record(f.item, prop["items"])
    elif f.kind == "list" and isinstance(f.item, Field):
        _refine_field(f.item, prop["items"])
    elif f.kind == "object" and isinstance(f.item, Record):
        _refine_record(f.item, prop)
    pattern = _EXTRA_PATTERNS.get(f.check)
    if pattern is not None and "pattern" not in prop:
        prop["pattern"] = pattern
    if f.name == "latitude":
        prop.update(minimum=-90, maximum=90)
    if f.name == "longitude":
        prop.update(minimum=-180, maximum=180)
    if f.fix:
        prop["description"] = f"{f.help} ({f.fix})"
    if f.example:
        prop["examples"] = [f.example]


def catalogue_files(root: Path) -> list[tuple[Path, str]]:
    """Every catalogue file with the schema file that describes it."""
    files = [(root / "settings.yaml", "settings.schema.json"),
             (root / "services.yaml", "services.schema.json"),
             (root / "lexicon.yaml", "lexicon.schema.json"),
             (root / "places.yaml", "places.schema.json")]
    files += [(p, "intent.schema.json") for p in sorted((root / "intents").glob("*.yaml"))]
    return [(p, s) for p, s in files if p.is_file()]


def schema_line(file: Path, schema_dir: Path, name: str) -> str:
    """The first line that points an editor at the schema, relative to the file."""
    rel = os.path.relpath(schema_dir / name, file.parent).replace(os.sep, "/")
    return SCHEMA_LINE + rel


def check_schema_lines(root: Path, schema_dir: Path) -> list[str]:
    """One message per catalogue file whose editor schema line is missing or wrong."""
    found: list[str] = []
    for path, name in catalogue_files(root):
        want = schema_line(path, schema_dir, name)
        shown = path.relative_to(root).as_posix()
        head = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                break
            head.append(line.strip())
        if want in head:
            continue
        other = next((h for h in head if "yaml-language-server" in h), None)
        if other:
            found.append(f"{shown}:1: the editor schema line is {other!r} (change it to: {want})")
        else:
            found.append(f"{shown}:1: no editor schema line (add this as the first line: {want})")
    return found


def write_schemas(out: Path) -> list[Path]:
    """Write every schema into `out`; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas().items():
        path = out / name
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
        written.append(path)
    return written


def schema_args(p: argparse.ArgumentParser) -> None:
    add_catalogue_arg(p)
    p.add_argument("--out", metavar="DIR", type=Path,
                   help="where to write the schemas (default: <catalogue>/schemas)")


def schema_run(args: argparse.Namespace) -> int:
    root = find_root(args.catalogue)
    out = args.out or root / SCHEMA_DIR
    try:
        written = write_schemas(out)
    except OSError as exc:
        print(f"signpost: cannot write the schemas to {out}: {exc.strerror}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    problems = check_schema_lines(root, out)
    for msg in problems:
        print(msg)
    files = catalogue_files(root)
    if not problems and files:
        print(f"all {len(files)} catalogue files point at these schemas: editors with YAML "
              "support check them while you type (see docs/catalogue.md)")
    return 0


# ================================================================ explain


@dataclass(frozen=True, slots=True)
class Change:
    """One word the normaliser changed, and which kind of change it was."""

    before: str
    after: str
    why: str


@dataclass(frozen=True, slots=True)
class Pick:
    """A service shown, or not shown, and why."""

    id: str
    name: str
    why: str
    open_now: bool = False


@dataclass(frozen=True, slots=True)
class Part:
    """One message the bot sends (a safety reply may be followed by an answer)."""

    kind: str
    intent: str | None
    file: str
    text: str
    shown: tuple[Pick, ...] = ()
    not_shown: tuple[Pick, ...] = ()


@dataclass(frozen=True, slots=True)
class Explanation:
    """Everything `signpost explain` says about one message."""

    text: str
    at: str
    normalised: str
    changes: tuple[Change, ...]
    age: int | None
    area: str | None
    safety: str | None
    safety_reasons: tuple[str, ...]
    safety_near: tuple[str, ...]
    candidates: tuple[dict[str, Any], ...]
    threshold: float
    margin: float
    decision: str
    formula: str = ""
    parts: tuple[Part, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_STRETCH_RE = re.compile(r"(\w)\1{2,}")


def _change_kind(before: str, after: str, cat: Catalogue) -> str:
    if before in cat.lexicon:
        return "slang or variant from lexicon.yaml"
    if before in SPELLING:
        return "common short form"
    if _STRETCH_RE.search(before):
        return "stretched letters"
    return "spelling slip corrected to a word the catalogue uses"


def _score_note(c: Candidate, index: Index) -> str:
    exact = getattr(c, "exact", None)
    negative = getattr(c, "negative", None)
    if exact is None or negative is None:  # a matcher that does not say: work it out
        w_model = float(getattr(index, "w_model", 0.0))
        example_part = index.w_char * c.char + (1 - index.w_char) * c.word
        expected = ((1 - index.w_cover - w_model) * example_part + index.w_cover * c.cover
                    + w_model * float(getattr(c, "model", 0.0)))
        exact = c.char >= 100.0
        negative = c.score < min(expected, EXACT_SCORE if exact else expected) - 0.5
    if negative:
        return "halved: the message is close to one of this intent's negative_examples"
    if exact:
        return "the message is one of this intent's examples"
    return ""


def _formula(index: Index) -> str:
    w_model = float(getattr(index, "w_model", 0.0))
    rest = 1 - index.w_cover - w_model
    model = f" + {w_model:.0%} word-pattern model" if w_model else ""
    return (f"score = {rest:.0%} best example + {index.w_cover:.0%} word cover{model}; "
            f"best example = {index.w_char:.0%} letters + {1 - index.w_char:.0%} words")


def _decision(reply: Reply, ranked: list[Candidate], cat: Catalogue) -> str:
    s = cat.settings
    usable = [c for c in ranked if c.intent_id not in routes.SAFETY_INTENTS]
    top = usable[0] if usable else None
    second = usable[1] if len(usable) > 1 else None
    if reply.safety:
        then = reply.then
        also = (f"; then it also answers {then.intent} (scored {then.score:.1f}, at least "
                f"{s.match_threshold + 5:.0f} needed after a safety reply)"
                if then is not None and then.intent else "")
        return f"SAFETY reply for {reply.safety}: the safety check fired{also}"
    if reply.kind == "clarify" and top and second:
        return (f"asks which one: {top.intent_id} {top.score:.1f} and {second.intent_id} "
                f"{second.score:.1f} are both over the threshold {s.match_threshold:g} and less "
                f"than the margin {s.ambiguity_margin:g} apart")
    if reply.kind == "fallback":
        best = f"the best, {top.intent_id}, scored {top.score:.1f}" if top else "nothing scored"
        return (f"no confident answer: {best}, below the threshold {s.match_threshold:g}; "
                "the bot says sorry and shows the menu")
    if reply.kind == "menu" or (reply.kind == "answer" and reply.text.startswith("Got it:")):
        return "the message only gave an age or area: the bot notes it and asks what they want"
    if reply.kind == "answer" and top is not None:
        gap = (f"{top.score - second.score:.1f} ahead of {second.intent_id} "
               f"({second.score:.1f}); the margin is {s.ambiguity_margin:g}"
               if second else "no other intent scored")
        return (f"answers {top.intent_id}: {top.score:.1f} is over the threshold "
                f"{s.match_threshold:g} and {gap}")
    return f"{reply.kind} reply"


def _why_not(svc: Service, state: ChatState, today: dt.date) -> str | None:
    """Why a relevant service is left out, or None if it qualifies."""
    if svc.status != "active":
        return f"status is {svc.status}"
    if svc.is_past(today):
        return f"past event (ended {svc.end_date or svc.start_date})"
    if not svc.suits_age(state.age):
        lo = svc.minimum_age if svc.minimum_age is not None else "any"
        hi = svc.maximum_age if svc.maximum_age is not None else "any"
        return f"wrong age: ages {lo} to {hi}, and they are {state.age}"
    if not svc.serves_area(state.district):
        return f"wrong area: serves {', '.join(svc.areas)}, and they are in {state.district}"
    return None


def _part(reply: Reply, cat: Catalogue, now: dt.datetime) -> Part:
    intent = cat.intents.get(reply.intent or "")
    shown = tuple(Pick(p.service.id, p.service.name,
                       (p.why.split(": ", 1)[1] if ": " in p.why else p.why) or "in category",
                       p.open_now)
                  for p in reply.services)
    not_shown: list[Pick] = []
    if intent is not None and reply.kind in ("answer", "safety"):
        pool: dict[str, Service] = {sid: cat.services[sid] for sid in intent.service_ids
                                    if sid in cat.services}
        for c in intent.service_categories:
            for s in cat.services_in(c):
                pool.setdefault(s.id, s)
        ids = {p.id for p in shown}
        for svc in pool.values():
            if svc.id in ids:
                continue
            why = _why_not(svc, reply.state, now.date())
            if why is None:
                why = (f"fits, but only {MAX_SERVICES} are shown at once; "
                       "the 'More like this' button shows it")
            not_shown.append(Pick(svc.id, svc.name, why, svc.is_open(now)))
    return Part(reply.kind, reply.intent, intent.file if intent else "", reply.text, shown,
                tuple(not_shown))


def explain(engine: Engine, text: str, state: ChatState | None = None,
            now: dt.datetime | None = None) -> Explanation:
    """Why the bot answers `text` as it does, step by step."""
    cat = engine.cat
    if cat is None:
        raise ValueError("explain needs a loaded catalogue")
    now = now or london_now()
    state = state or ChatState()
    norm, ranked, verdict = engine.analyse(text)
    reply = engine.respond(text, state, now)
    changes = tuple(Change(a, b, _change_kind(a, b, cat)) for a, b in
                    (norm.changes if norm else ()))
    index = index_for(cat)
    candidates = tuple(
        {"intent": c.intent_id, "score": c.score, "example": c.example, "char": c.char,
         "word": c.word, "cover": c.cover, "model": float(getattr(c, "model", 0.0)),
         "safety": c.intent_id in routes.SAFETY_INTENTS,
         "note": _score_note(c, index)}
        for c in ranked[:5])
    return Explanation(
        text=text, at=now.isoformat(timespec="minutes"),
        normalised=norm.text if norm else text, changes=changes,
        age=reply.state.age, area=reply.state.district,
        safety=verdict.intent, safety_reasons=verdict.reasons, safety_near=verdict.near,
        candidates=candidates, threshold=cat.settings.match_threshold,
        margin=cat.settings.ambiguity_margin, decision=_decision(reply, ranked, cat),
        formula=_formula(index),
        parts=tuple(_part(p, cat, now) for p in reply.all_parts()),
    )


def explain_text(e: Explanation) -> str:
    """The explanation as staff read it in a terminal."""
    out = [f'Message: "{e.text}"', f'Normalised: "{e.normalised}"']
    if e.changes:
        out.append("  Words changed before matching:")
        out += [f"    {c.before} -> {c.after}  ({c.why})" for c in e.changes]
    else:
        out.append("  No words changed before matching.")
    details = [f"age {e.age}" if e.age is not None else "", f"area {e.area}" if e.area else ""]
    details = [d for d in details if d]
    out.append("Details used: " + (", ".join(details) if details else "none (no age or area)"))
    out.append("")
    if e.safety:
        out.append(f"SAFETY CHECK FIRED: {e.safety}")
        out += [f"  - {r}" for r in e.safety_reasons]
    else:
        out.append("Safety check: nothing fired.")
    if e.safety_near:
        out.append("  Nearly fired:")
        out += [f"  - {n}" for n in e.safety_near]
    out.append("")
    out.append(f"Top matches ({e.formula}):")
    for n, c in enumerate(e.candidates, 1):
        flag = "  [safety intent]" if c["safety"] else ""
        model = f"  model {c['model']:5.1f}" if c["model"] else ""
        out.append(f"  {n}. {c['intent']:<15} {c['score']:5.1f}  letters {c['char']:5.1f}  "
                   f"words {c['word']:5.1f}  cover {c['cover']:5.1f}{model}{flag}")
        out.append(f"     closest example: \"{c['example']}\"")
        if c["note"]:
            out.append(f"     note: {c['note']}")
    out.append(f"Decision (threshold {e.threshold:g}, margin {e.margin:g}): {e.decision}")
    for part in e.parts:
        out.append("")
        label = f"{part.intent} ({part.file})" if part.file else (part.intent or part.kind)
        out.append(f"Reply [{part.kind}] {label}:")
        out += [f"  | {line}" for line in part.text.splitlines()]
        if part.shown:
            when = dt.datetime.fromisoformat(e.at).strftime("%a %d %b %Y %H:%M")
            out.append(f"  Services shown (at {when}):")
            out += [f"    - {p.name} [{p.id}]: {p.why}" for p in part.shown]
        if part.not_shown:
            out.append("  Services not shown:")
            out += [f"    - {p.name} [{p.id}]: {p.why}" for p in part.not_shown]
    return "\n".join(out)


def _parse_at(value: str | None) -> dt.datetime:
    if not value:
        return london_now()
    when = dt.datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=LONDON)


def _when(value: str) -> str:
    """argparse check for --at, so a bad value gets a usage message, not a traceback."""
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date and time (write it like 2026-11-28 18:30)") from None
    return value


def _at_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--at", metavar="WHEN", type=_when,
                   help='pretend it is this London time, e.g. "2026-11-28 18:30" '
                        "(for 'open now'; default: now)")


def explain_args(p: argparse.ArgumentParser) -> None:
    add_catalogue_arg(p)
    p.add_argument("text", help="the message, in quotes")
    p.add_argument("--age", type=int, help="the young person's age, as if they had said it")
    p.add_argument("--area", help="their postcode district, e.g. E17")
    _at_arg(p)
    p.add_argument("--json", action="store_true", help="print the explanation as JSON")


def explain_run(args: argparse.Namespace) -> int:
    engine = Engine(load_for_command(args))
    state = ChatState(age=args.age, district=args.area.strip().upper() if args.area else None)
    e = explain(engine, args.text, state, _parse_at(args.at))
    print(json.dumps(e.as_dict(), indent=2, ensure_ascii=False) if args.json
          else explain_text(e))
    return 0


# ================================================================ replay


@dataclass(frozen=True, slots=True)
class Answer:
    """What the bot does with one message, in the terms staff compare."""

    label: str  # intent id, "ask: a or b", "no answer", ...
    safety: str | None
    services: tuple[str, ...]
    texts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Difference:
    text: str
    count: int  # how many times the message occurs in the input
    old: Answer
    new: Answer
    expected: str | None = None  # the label in an eval file, if any


@dataclass
class ReplayReport:
    messages: int = 0
    distinct: int = 0
    groups: dict[str, list[Difference]] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return sum(d.count for ds in self.groups.values() for d in ds)

    @property
    def safety_changed(self) -> int:
        return sum(d.count for ds in self.groups.values() for d in ds
                   if d.old.safety != d.new.safety)

    def ordered(self) -> list[tuple[str, list[Difference]]]:
        """Safety changes first, then the biggest groups."""
        def key(item: tuple[str, list[Difference]]) -> tuple[int, int, str]:
            name, ds = item
            safety = any(d.old.safety != d.new.safety for d in ds)
            return (0 if safety else 1, -sum(d.count for d in ds), name)
        return sorted(self.groups.items(), key=key)

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "changed": self.changed,
            "safety_changed": self.safety_changed,
            "groups": [
                {"change": name, "safety": any(d.old.safety != d.new.safety for d in ds),
                 "count": sum(d.count for d in ds),
                 "messages": [{"text": d.text, "count": d.count, "expected": d.expected,
                               "old": asdict(d.old), "new": asdict(d.new)} for d in ds]}
                for name, ds in self.ordered()
            ],
        }


def answer_of(reply: Reply) -> Answer:
    label = {"fallback": "no answer", "error": "error"}.get(reply.kind, reply.intent or "")
    if reply.safety:
        label = f"{reply.safety} (safety)"
    elif reply.kind == "clarify":
        label = "ask: " + " or ".join(a.intent_id for a in reply.alternatives[:2])
    elif not label:
        label = reply.kind
    return Answer(label, reply.safety, tuple(reply.service_ids),
                  tuple(p.text for p in reply.all_parts()))


def _group_name(old: Answer, new: Answer) -> str:
    if old.label != new.label:
        return f"{old.label} -> {new.label}"
    what = []
    if old.texts != new.texts:
        what.append("reply text")
    if old.services != new.services:
        what.append("services")
    return f"{old.label} -> {new.label} (same intent, different {' and '.join(what)})"


def replay(old: Engine, new: Engine, messages: Iterable[tuple[str, str | None]],
           now: dt.datetime | None = None) -> ReplayReport:
    """Answer each message with both versions; keep the ones whose answer changes."""
    now = now or london_now()
    report = ReplayReport()
    counts: Counter[str] = Counter()
    labels: dict[str, str | None] = {}
    for text, expected in messages:
        report.messages += 1
        counts[text] += 1
        labels.setdefault(text, expected)
    report.distinct = len(counts)
    for text, count in counts.items():
        a = answer_of(old.respond(text, ChatState(), now))
        b = answer_of(new.respond(text, ChatState(), now))
        if a != b:
            report.groups.setdefault(_group_name(a, b), []).append(
                Difference(text, count, a, b, labels[text]))
    return report


def replay_text(r: ReplayReport, limit: int = 20) -> str:
    if r.messages == 0:
        return "No messages to replay."
    out = [f"{r.changed} of {r.messages} messages would be answered differently "
           f"({r.safety_changed} safety change(s))."]
    if r.safety_changed:
        out.append("!!! SAFETY REPLIES CHANGE: check every message below marked SAFETY before "
                   "publishing. A message that loses its safety reply can cost a life. !!!")
    for name, ds in r.ordered():
        safety = any(d.old.safety != d.new.safety for d in ds)
        total = sum(d.count for d in ds)
        out.append("")
        out.append(f"{'SAFETY  ' if safety else ''}{name}: {total}")
        for d in ds[:limit]:
            times = f" (x{d.count})" if d.count > 1 else ""
            exp = ""
            if d.expected:
                was = d.old.label.split(" ")[0] == d.expected
                now = d.new.label.split(" ")[0] == d.expected
                mark = {(False, True): ": now right", (True, False): ": NOW WRONG"}.get(
                    (was, now), "")
                exp = f"  [labelled {d.expected}{mark}]"
            out.append(f"  - \"{d.text}\"{times}{exp}")
            if d.old.services != d.new.services and d.old.label == d.new.label:
                out.append(f"      services: {', '.join(d.old.services) or '(none)'} -> "
                           f"{', '.join(d.new.services) or '(none)'}")
        if len(ds) > limit:
            out.append(f"  ... and {len(ds) - limit} more (use --all to see them)")
    return "\n".join(out)


_LOGGED_EVENT = re.compile(r"^\[[^\]]*\]$")  # "[button menu]", "[shared a location]", ...


def log_messages(data_dir: Path, limit: int | None = None,
                 since: dt.datetime | None = None) -> list[str]:
    """Redacted messages from the conversation log, oldest first (read-only)."""
    from bot.store import recent_texts

    texts = recent_texts(data_dir, limit, since)
    return [t for t in texts if t.strip() and not t.startswith("/")
            and not _LOGGED_EVENT.match(t.strip())]


def file_messages(path: Path) -> list[tuple[str, str | None]]:
    """An eval-style YAML list ({text, intent} or plain strings), or one message a line."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() not in (".yaml", ".yml"):
        return [(line, None) for line in text.splitlines() if line.strip()]
    doc, problems = parse_yaml(text, str(path))
    if doc is None or problems:
        raise ValueError("\n".join(str(p) for p in problems))
    if not isinstance(doc.data, list):
        raise ValueError(f"{path}:1: should be a list of messages "
                         "(write lines like: - {text: any boxing, intent: sport})")
    out: list[tuple[str, str | None]] = []
    for i, row in enumerate(doc.data):
        if isinstance(row, str):
            out.append((row, None))
        elif isinstance(row, dict) and isinstance(row.get("text"), str):
            intent = row.get("intent")
            out.append((row["text"], str(intent) if intent is not None else None))
        else:
            line = doc.pos((i,))[0]
            raise ValueError(f"{path}:{line}: needs text (write it as "
                             "- {text: ..., intent: ...})")
    return out


def _load_version(label: str, root: Path) -> Engine | None:
    """An engine for one version, or None after printing its errors."""
    cat, problems = load(root)
    if cat is None:
        for p in problems:
            if p.severity == "error":
                print(p, file=sys.stderr)
        print(f"signpost: the {label} catalogue in {root} has errors; fix them first "
              "(signpost validate --catalogue DIR).", file=sys.stderr)
        return None
    return Engine(cat)


def replay_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--old", metavar="DIR", type=Path, required=True,
                   help="the catalogue as it is now (e.g. a copy taken before editing)")
    p.add_argument("--new", metavar="DIR", type=Path,
                   help="the edited catalogue (default: $SIGNPOST_CATALOGUE or this folder)")
    p.add_argument("file", nargs="?", type=Path,
                   help="messages: a YAML list of {text, intent} or a text file, one a line")
    p.add_argument("--from-log", action="store_true",
                   help="replay the (already redacted) messages in the conversation log")
    p.add_argument("--data-dir", metavar="DIR", type=Path,
                   help="folder holding signpost.db (default: $SIGNPOST_DATA_DIR or ./data)")
    p.add_argument("--limit", type=int, metavar="N",
                   help="with --from-log: only the latest N messages")
    p.add_argument("--all", action="store_true", help="list every changed message")
    _at_arg(p)
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def replay_run(args: argparse.Namespace) -> int:
    if args.from_log == (args.file is not None):
        print("signpost: give a FILE of messages or --from-log (one of the two)",
              file=sys.stderr)
        return 2
    messages: list[tuple[str, str | None]]
    if args.from_log:
        data_dir = Path(args.data_dir or os.environ.get("SIGNPOST_DATA_DIR") or "data")
        try:
            messages = [(t, None) for t in log_messages(data_dir, args.limit)]
        except FileNotFoundError as exc:
            print(f"signpost: there is no conversation log at {exc.args[0]}; give the folder "
                  "holding signpost.db with --data-dir DIR (or set SIGNPOST_DATA_DIR), or "
                  "replay a FILE of messages instead", file=sys.stderr)
            return 2
        except sqlite3.Error as exc:
            print(f"signpost: the conversation log in {data_dir} cannot be read ({exc})",
                  file=sys.stderr)
            return 2
    else:
        try:
            messages = file_messages(args.file)
        except OSError as exc:
            print(f"signpost: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
            return 2
        except (ValueError, UnicodeDecodeError) as exc:
            print(f"signpost: {exc}", file=sys.stderr)
            return 2
    old = _load_version("old", args.old)
    new = _load_version("new", args.new or find_root(None))
    if old is None or new is None:
        return 2
    report = replay(old, new, messages, _parse_at(args.at))
    print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) if args.json
          else replay_text(report, limit=10**9 if args.all else 20))
    return 0


# ================================================================ lint

MIN_EXAMPLES = {"signpost": 30, "safety": 30, "chitchat": 10}
STALE_MONTHS = 6
NEAR_DUPLICATE = 90.0  # rapidfuzz ratio of normalised examples
EVENING = dt.time(17, 0)
DEEP_FOLDS = 10

LINT_GROUPS: dict[str, str] = {
    "misrouted": "Examples the bot would send to another intent",
    "duplicates": "Near-duplicate examples in different intents",
    "few": "Intents with too few examples",
    "stale": "Services to check (not reviewed for 6 months, or over)",
    "unreachable": "Services the bot can never show",
    "hours": "Categories with no service open at weekends or in the evening",
}


@dataclass(frozen=True, slots=True)
class Finding:
    group: str
    file: str
    line: int
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message} ({self.fix})"


@dataclass(slots=True)
class _Places:
    """Where things are in the files, for file:line."""

    services: YamlDoc | None
    intents: dict[str, YamlDoc]
    service_row: dict[str, int]

    @classmethod
    def read(cls, root: Path, cat: Catalogue) -> _Places:
        services, _ = load_yaml(root / "services.yaml", "services.yaml")
        rows: dict[str, int] = {}
        if services is not None and isinstance(services.data, dict):
            for i, s in enumerate(services.data.get("services") or []):
                if isinstance(s, dict) and isinstance(s.get("id"), str):
                    rows.setdefault(s["id"], i)
        intents: dict[str, YamlDoc] = {}
        for intent in cat.intents.values():
            doc, _ = load_yaml(root / intent.file, intent.file)
            if doc is not None:
                intents[intent.id] = doc
        return cls(services, intents, rows)

    def example(self, intent: Intent, j: int) -> int:
        doc = self.intents.get(intent.id)
        return doc.pos(("examples", j))[0] if doc else 1

    def intent_key(self, intent: Intent, *path: str | int) -> int:
        doc = self.intents.get(intent.id)
        return doc.key_pos(path)[0] if doc else 1

    def service(self, sid: str, *path: str | int) -> int:
        if self.services is None or sid not in self.service_row:
            return 1
        return self.services.pos(("services", self.service_row[sid], *path))[0]

    def category(self, cid: str) -> int:
        doc = self.services
        if doc is None or not isinstance(doc.data, dict):
            return 1
        for i, c in enumerate(doc.data.get("categories") or []):
            if isinstance(c, dict) and c.get("id") == cid:
                return doc.pos(("categories", i))[0]
        return 1


def _months_before(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    m += 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(y, m, d)
        except ValueError:
            continue
    return dt.date(y, m, 28)


def _misrouted(cat: Catalogue, places: _Places, deep: bool) -> Iterator[Finding]:
    margin = cat.settings.ambiguity_margin
    rows = [(i, j, e) for i in cat.intents.values() for j, e in enumerate(i.examples)]
    if deep:
        folds = [[r for n, r in enumerate(rows) if n % DEEP_FOLDS == k]
                 for k in range(DEEP_FOLDS)]
    else:
        folds = [rows]
    for held in folds:
        index = index_for(cat)
        if deep:
            out = {(i.id, j) for i, j, _ in held}
            index = Index.from_examples(
                {i.id: [e for j, e in enumerate(i.examples) if (i.id, j) not in out]
                 for i in cat.intents.values()},
                lexicon=cat.lexicon,
                keywords={i.id: list(i.keywords) for i in cat.intents.values()},
                negatives={i.id: list(i.negative_examples) for i in cat.intents.values()})
        for intent, j, example in held:
            ranked = index.rank(index.normaliser.normalise(example))
            own = next((c for c in ranked if c.intent_id == intent.id), None)
            other = next((c for c in ranked if c.intent_id != intent.id), None)
            own_score = own.score if own else 0.0
            if other is None or other.score < own_score + margin:
                continue
            yield Finding(
                "misrouted", intent.file, places.example(intent, j),
                f'"{example}" scores {other.score:.0f} for {other.intent_id} (closest: '
                f'"{other.example}") but only {own_score:.0f} for {intent.id}',
                f"reword it, move it to {other.intent_id}, or add words to {intent.id}'s "
                "examples; check with: signpost explain \"...\"")


def _duplicates(cat: Catalogue, places: _Places) -> Iterator[Finding]:
    import numpy as np
    from rapidfuzz import fuzz, process

    norm = index_for(cat).normaliser
    rows = [(i, j, e, norm.normalise(e).text) for i in cat.intents.values()
            for j, e in enumerate(i.examples)]
    texts = [r[3] for r in rows]
    scores = process.cdist(texts, texts, scorer=fuzz.ratio, score_cutoff=NEAR_DUPLICATE,
                           dtype=np.uint8, workers=1)
    for a, b in zip(*np.nonzero(scores), strict=True):
        if a >= b:
            continue
        ia, ja, ea, _ = rows[a]
        ib, jb, eb, _ = rows[b]
        if ia.id == ib.id:
            continue
        yield Finding(
            "duplicates", ib.file, places.example(ib, jb),
            f'"{eb}" is almost the same as "{ea}" in {ia.file}:{places.example(ia, ja)} '
            f"({int(scores[a, b])}% alike)",
            f"keep it under one intent, or reword one so it is clearly about {ib.id} "
            f"or {ia.id}")


def _few(cat: Catalogue, places: _Places) -> Iterator[Finding]:
    for intent in cat.intents.values():
        need = MIN_EXAMPLES.get(intent.kind, 10)
        if len(intent.examples) < need:
            yield Finding("few", intent.file, places.intent_key(intent, "examples"),
                          f"{intent.id} has {len(intent.examples)} examples",
                          f"{intent.kind} intents need at least {need}: add real ways young "
                          "people ask for this")


def _stale(cat: Catalogue, places: _Places, today: dt.date) -> Iterator[Finding]:
    cutoff = _months_before(today, STALE_MONTHS)
    for svc in cat.services.values():
        if svc.status == "defunct":
            continue
        if svc.last_reviewed < cutoff:
            yield Finding("stale", "services.yaml", places.service(svc.id, "last_reviewed"),
                          f"{svc.id} was last reviewed on {svc.last_reviewed}",
                          "ring or check the website, correct anything that changed, then set "
                          f"last_reviewed: {today}")
        if svc.status == "active" and svc.is_past(today):
            yield Finding("stale", "services.yaml", places.service(svc.id, "end_date"),
                          f"{svc.id} ended on {svc.end_date or svc.start_date} and is never "
                          "shown any more",
                          "set status: inactive, or delete it, or give it new dates")


def _reachable(cat: Catalogue) -> tuple[set[str], set[str]]:
    """(category ids, service ids) that some menu button, intent or follow-up shows."""
    cats = set(cat.settings.menu)
    ids: set[str] = set()
    for intent in cat.intents.values():
        cats.update(intent.service_categories)
        ids.update(intent.service_ids)
        for f in intent.follow_ups:
            if f.category:
                cats.add(f.category)
            if f.service:
                ids.add(f.service)
    return cats, ids


def _unreachable(cat: Catalogue, places: _Places, today: dt.date) -> Iterator[Finding]:
    cats, ids = _reachable(cat)
    for svc in cat.services.values():
        if not svc.is_listed(today) or svc.id in ids or cats.intersection(svc.categories):
            continue
        if svc.talk_now:
            continue  # the "Talk to someone now" button lists every talk_now service
        yield Finding(
            "unreachable", "services.yaml", places.service(svc.id, "categories"),
            f"{svc.id} can never be shown: its categories ({', '.join(svc.categories)}) are "
            "not in the menu or any intent, and no intent lists it",
            "add a category that is in the menu, or list it under services: ids: in an intent")


def _hours(cat: Catalogue, places: _Places, today: dt.date) -> Iterator[Finding]:
    cats, _ = _reachable(cat)
    for cid in sorted(cats):
        members = [s for s in cat.services_in(cid) if s.is_listed(today)]
        if cid not in cat.categories or not members:
            continue  # validate reports these
        weekend = any(s.open_24_7 or any({"SA", "SU"} & set(sc.days) for sc in s.schedules)
                      for s in members)
        evening = any(s.open_24_7 or any(sc.closes_at > EVENING for sc in s.schedules)
                      for s in members)
        gaps = [w for w, ok in (("at weekends", weekend), ("in the evening (after 17:00)",
                                                            evening)) if not ok]
        if gaps:
            yield Finding("hours", "services.yaml", places.category(cid),
                          f'category "{cid}" has no service open {" or ".join(gaps)}',
                          "add a session then if a partner runs one, or mention a 24/7 "
                          "route in the replies that show this category")


def lint(cat: Catalogue, today: dt.date | None = None, deep: bool = False) -> list[Finding]:
    """Every finding, grouped in LINT_GROUPS order."""
    root = Path(cat.root)
    today = today or dt.datetime.now(LONDON).date()
    places = _Places.read(root, cat)
    found = [*_misrouted(cat, places, deep), *_duplicates(cat, places), *_few(cat, places),
             *_stale(cat, places, today), *_unreachable(cat, places, today),
             *_hours(cat, places, today)]
    order = {g: n for n, g in enumerate(LINT_GROUPS)}
    return sorted(found, key=lambda f: (order[f.group], f.file, f.line))


def lint_text(found: list[Finding]) -> str:
    by_group: dict[str, list[Finding]] = defaultdict(list)
    for f in found:
        by_group[f.group].append(f)
    out: list[str] = []
    for group, title in LINT_GROUPS.items():
        items = by_group.get(group, [])
        out.append(f"{title}: {len(items) or 'none'}")
        out += [f"  {f}" for f in items]
    out.append("")
    out.append(f"{len(found)} finding(s). Lint is advice and never blocks publishing: fix what "
               "matters, then run signpost validate.")
    return "\n".join(out)


def lint_args(p: argparse.ArgumentParser) -> None:
    add_catalogue_arg(p)
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.add_argument("--deep", action="store_true",
                   help="stricter example check: each example is matched as if it were not "
                        "in the catalogue (a few seconds; expect many findings)")
    p.add_argument("--today", type=dt.date.fromisoformat, metavar="YYYY-MM-DD",
                   help="judge staleness and past events as of this day (default: today)")


def lint_run(args: argparse.Namespace) -> int:
    found = lint(load_for_command(args), args.today, args.deep)
    if args.json:
        print(json.dumps([asdict(f) for f in found], indent=2, ensure_ascii=False))
    else:
        print(lint_text(found))
    return 0
