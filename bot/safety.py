"""screen(message) -> SafetyVerdict; pure; runs before matching on every message.

Three layers, any of which can fire:

1. the floor: phrases and patterns in this file, so clear danger and self-harm are
   recognised even when the catalogue is missing, broken or a safety intent is gutted;
2. the catalogue's rules: phrases, patterns and harmless exclusions that staff can read
   and extend in intents/<safety intent>.yaml (the lexicon is applied first);
3. fuzzy matching: a safety intent that the matcher ranks confidently and near the top.

Tuned for recall: over-triggering costs a safety reply; missing a disclosure costs a life.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.routes import SAFETY_INTENTS
from bot.text import Normalised, Normaliser

if TYPE_CHECKING:
    from bot.catalogue import Catalogue
    from bot.matcher import Candidate

# Words the floor must understand without the catalogue's lexicon.
FLOOR_LEXICON: dict[str, str] = {
    "shank": "knife", "shanked": "stabbed", "jook": "stab", "jooked": "stabbed",
    "jookd": "stabbed", "blade": "knife", "bladed": "stabbed", "wetted": "stabbed",
    "wet up": "stabbed", "kms": "kill myself", "unalive": "kill", "unalived": "killed",
    "unaliving": "killing", "murk": "kill", "murked": "killed", "merk": "kill",
    "merked": "killed", "ot": "county lines", "going country": "county lines",
    "cunch": "county lines", "on tick": "in debt", "stabed": "stabbed", "stabd": "stabbed",
    "sucide": "suicide", "suicidel": "suicidal", "sucidal": "suicidal", "ded": "dead",
    "bleding": "bleeding", "bleedin": "bleeding",
}

FLOOR_RULES: dict[str, tuple[str, ...]] = {
    "emergency": (
        r"\b(been|got|getting|just got|being) (stabbed|shot|attacked|jumped)\b",
        r"\b(is|s|are|keeps?|wont stop|will not stop|cannot stop|wont|loads of) ?bleeding\b",
        r"\bbleeding (bad|badly|loads|a lot|everywhere|out)\b",
        r"\b(call|need|get) (an )?ambulance\b",
        r"\b(has|got|pulled|pulling|with|holding) (a |out a |out his |his )?(knife|gun|machete)\b",
        r"\b(chasing|attacking|beating|stabbing|shooting) (me|us|my)\b",
        r"\b(not breathing|will not wake up|wont wake up|unconscious|overdosed?|od d|oded)\b",
        r"\bhelp me (now|please|pls)\b",
        r"\b(outside|at) my (door|house|flat) with\b",
    ),
    "self_harm": (
        r"\b(kill|killing|hurt|hurting|harm|harming|cut|cutting|end) (myself|my self|my life)\b",
        r"\bsuicid(e|al)\b",
        r"\b(want|wanna|going|ready|trying) to (die|end it|end it all|disappear forever)\b",
        r"\bself ?harm(ing)?\b",
        r"\bbetter off (without me|dead|if i was dead|if i wasnt here|if i was not here)\b",
        r"\b(no|nothing|no point|no reason) (to|in) liv(e|ing)\b",
        r"\b(take|taking|took) my (own )?life\b",
        r"\b(took|taken|swallowed) (a load of|loads of|all my|all the|a lot of|too many) "
        r"(pills|tablets|paracetamol)\b",
        r"\bdo not want to (be alive|be here|live|exist|wake up)\b",
        r"\b(cannot|can not|dont|do not) (see a way out|go on|carry on|do this anymore)\b",
    ),
    "exploitation": (
        r"\bcounty lines?\b",
        r"\b(made|make|making|forcing|forced|force) me (to )?(sell|run|hold|carry|deliver|"
        r"drop|shot)\b",
        r"\bi (owe|owed) (them|him|the olders|my olders)\b",
        r"\b(in|into) debt (to|with) (them|him|the olders|my olders|a dealer)\b",
        r"\brun (drugs|food|packs|a line|lines) for\b",
        r"\btrap ?(house|phone|line)\b",
        r"\bcuckoo(ed|ing)?\b",
    ),
    "threatened": (
        r"\b(going to|gonna|will|wants to|want to|said he would|said theyd|said they would)"
        r" (stab|shoot|kill|jump|beat up|get|hurt|rob|wet|murk) me\b",
        r"\b(threaten(ed|ing)?|threats)\b",
        r"\b(after me|know where i live|following me|followed me|watching my house)\b",
        r"\b(scared|afraid|frightened|too scared) (to go|of going) (out|outside|to school|"
        r"home|to college)\b",
        r"\b(i am|im) (a )?(target|marked|on a list)\b",
    ),
}

FLOOR_EXCLUDE: tuple[str, ...] = (
    "killed it", "killing it", "kill it", "smashed it", "dead tired", "died laughing",
    "dying laughing", "nearly died laughing", "i am dead", "im dead", "dead lol",
    "kill time", "killing time", "deadly", "to die for", "dying to", "shooting hoops",
    "shoot hoops", "shot a video", "shoot a video", "music video shoot", "photo shoot",
    "bleeding hell", "knife and fork", "knife skills", "cut my hair", "haircut",
    "this heat is killing me", "my feet are killing me", "phone is dying", "battery is dying",
    "my mum will kill me", "mum is going to kill me", "teacher is going to kill me",
    "first aid", "self defence", "self defense", "awareness", "workshop",
)


@dataclass(frozen=True, slots=True)
class SafetyVerdict:
    """What the screen decided and why."""

    intent: str | None
    reasons: tuple[str, ...] = ()
    near: tuple[str, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def fired(self) -> bool:
        return self.intent is not None


@dataclass(frozen=True, slots=True)
class _Rule:
    intent: str
    label: str
    regex: re.Pattern[str]


def _phrase_regex(phrases: Iterable[str], normaliser: Normaliser) -> str | None:
    parts = sorted({normaliser.normalise(p).text for p in phrases if p.strip()}, key=len,
                   reverse=True)
    parts = [p for p in parts if p]
    if not parts:
        return None
    return r"(?<!\w)(?:" + "|".join(re.escape(p) for p in parts) + r")(?!\w)"


@dataclass(slots=True)
class Screen:
    """The compiled safety screen for one catalogue (or none: the floor alone)."""

    rules: list[_Rule]
    exclude: re.Pattern[str] | None
    floor_normaliser: Normaliser
    threshold: float = 50.0
    margin: float = 4.0

    @classmethod
    def build(cls, cat: Catalogue | None) -> Screen:
        floor_norm = Normaliser(lexicon=FLOOR_LEXICON)
        rules = [_Rule(i, f'built-in rule for {i}: "{p}"', re.compile(p))
                 for i, pats in FLOOR_RULES.items() for p in pats]
        excludes = list(FLOOR_EXCLUDE)
        threshold, margin = 50.0, 4.0
        if cat is not None:
            threshold = cat.settings.match_threshold
            margin = cat.settings.ambiguity_margin
            norm = cat.index.normaliser
            for sid in SAFETY_INTENTS:
                intent = cat.intents.get(sid)
                if intent is None:
                    continue
                phrase_re = _phrase_regex(intent.rules.phrases, norm)
                if phrase_re:
                    for p in intent.rules.phrases:
                        pass
                    rules.append(_Rule(sid, f"{intent.file} rules.phrases", re.compile(phrase_re)))
                for p in intent.rules.patterns:
                    rules.append(_Rule(sid, f'{intent.file} rules.patterns "{p}"', re.compile(p)))
                excludes.extend(intent.rules.exclude)
        ex_norm = Normaliser(lexicon=cat.lexicon if cat else FLOOR_LEXICON)
        ex = _phrase_regex(excludes, ex_norm)
        return cls(rules, re.compile(ex) if ex else None, floor_norm, threshold, margin)

    def screen(
        self,
        text: str,
        norm: Normalised | None = None,
        ranked: list[Candidate] | None = None,
    ) -> SafetyVerdict:
        """Decide whether `text` is a disclosure, and which kind."""
        views = [self.floor_normaliser.normalise(text).text]
        if norm is not None and norm.text not in views:
            views.append(norm.text)
        if self.exclude is not None:
            views = [self.exclude.sub(" ", v) for v in views]
        hits: dict[str, list[str]] = {}
        for rule in self.rules:
            for v in views:
                m = rule.regex.search(v)
                if m:
                    hits.setdefault(rule.intent, []).append(f'{rule.label} matched "{m[0]}"')
                    break
        scores: dict[str, float] = {}
        near: list[str] = []
        fuzzy: dict[str, float] = {}
        if ranked:
            top = ranked[0].score
            for c in ranked:
                if c.intent_id not in SAFETY_INTENTS:
                    continue
                scores[c.intent_id] = c.score
                if c.score >= self.threshold and c.score >= top - self.margin:
                    fuzzy[c.intent_id] = c.score
                    hits.setdefault(c.intent_id, []).append(
                        f'close to the example "{c.example}" (score {c.score:.0f})')
                elif c.score >= self.threshold - 12:
                    near.append(f'{c.intent_id}: close to "{c.example}" (score {c.score:.0f},'
                                f" needs {self.threshold:.0f} and near the top)")
        if not hits:
            return SafetyVerdict(None, (), tuple(near), scores)
        order = {s: n for n, s in enumerate(SAFETY_INTENTS)}
        best = max(hits, key=lambda i: (len(hits[i]), fuzzy.get(i, 0.0), -order[i]))
        reasons = tuple(r for i in sorted(hits, key=order.__getitem__) for r in
                        (f"{i}: {x}" for x in hits[i]))
        return SafetyVerdict(best, reasons, tuple(near), scores)


_FLOOR: Screen | None = None


def floor_screen(text: str) -> SafetyVerdict:
    """The built-in floor on its own: used when nothing else can run."""
    global _FLOOR
    if _FLOOR is None:
        _FLOOR = Screen.build(None)
    return _FLOOR.screen(text)
