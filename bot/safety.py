"""screen(message) -> SafetyVerdict; pure; runs before matching on every message.

Three layers, any of which can fire:

1. the floor: patterns in this file, so clear danger, self-harm, exploitation and threats
   are recognised even when the catalogue is missing, broken or a safety intent is gutted;
2. the catalogue's rules: phrases, patterns and harmless exclusions that staff can read
   and extend in intents/<safety intent>.yaml (the lexicon is applied first);
3. fuzzy matching: a safety intent that the matcher ranks well above the answer threshold
   and clearly ahead of every other topic.

Exclusions ("killed it", "got shot in fortnite") cut only the words they name out of the
message before the rules run, so a disclosure elsewhere in the same message still fires.

Tuned for recall: over-triggering costs a safety reply; missing a disclosure costs a life.
Measured on tests/data/safety.yaml and tests/data/eval.yaml (see docs/safeguarding.md).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.matcher import index_for
from bot.prefilter import Prefilter
from bot.routes import SAFETY_INTENTS
from bot.safety_model import THRESHOLD, SafetyModel, judge
from bot.safety_rules import FLOOR_EXCLUDE, FLOOR_EXCLUDE_PATTERNS
from bot.safety_rules import FLOOR_LEXICON as _BASE_LEXICON
from bot.safety_rules import FLOOR_RULES as _BASE_RULES
from bot.safety_rules_more import MORE_RULES
from bot.safety_words import MORE_LEXICON, emoji_view
from bot.text import STOPWORDS, Normalised, Normaliser

if TYPE_CHECKING:
    from bot.catalogue_types import Catalogue
    from bot.matcher import Candidate, Index

log = logging.getLogger(__name__)

FLOOR_LEXICON: dict[str, str] = {**_BASE_LEXICON, **MORE_LEXICON}
FLOOR_RULES: dict[str, tuple[str, ...]] = {
    i: _BASE_RULES.get(i, ()) + MORE_RULES.get(i, ()) for i in SAFETY_INTENTS}


# The fuzzy layer fires for a safety intent that scores at least match_threshold +
# FUZZY_EXTRA and leads every other intent by FUZZY_LEAD points. At match_threshold alone
# (40) it answered "this party is dead" and "is it gonna rain tmrw" with a safety reply;
# measured options are in docs/safeguarding.md.
FUZZY_EXTRA = 10.0
FUZZY_LEAD = 10.0


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
    builtin: bool = False  # floor rules read the floor's views, catalogue rules the catalogue's


_PRONOUNS = frozenset("he she they him her them his hers their theirs hes shes im".split())


# A message ending in one of these is unfinished ("i honestly want to"): the rest is on its
# way, and the conversation layer reads the two together. Resemblance waits for it.
_DANGLING = frozenset("to a an the and but or if of for with at because when that "
                      "my his her their your".split())  # not "like", "so", "cos": fillers
# ... these end a short message that is unfinished ("my step dad keeps coming in"), but
# also finish a longer sentence ("so i dont have to see him when he gets in", "a phone my
# mum doesnt know about"): on blind sets A-V, each left out in turn, half the indirect
# disclosures the engine missed ended in one of them. From FINISHED_WORDS words of
# substance such a message is read as finished. "to", "when" and "that" always wait: a
# review found "i dont want to go back to" and "keeps barging into my room when" fire.
_DANGLING_SHORT = frozenset("in on about".split())
FINISHED_WORDS = 6
# ... and a verb whose "to" ends a sentence ("dont know who to talk to"): read from four
# words of substance (a second review's probes).
_FINISHED_TO_RE = re.compile(r"\b(?:talk|speak|turn|listen|belong|look forward|reach out|"
                             r"tell it) to$")  # not "go to": "i dont want to go back to"


# Asking for help: the veto never applies; something done to the writer: it needs
# HARMLESS_ME (see Screen._reads_as_harmless). Read on the normalised text ("cant" is
# "cannot").
_ASKS_RE = re.compile(
    r"\b(?:talk|speak|chat) to (?:someone|somebody|anyone|a person|an adult|a human|you)\b"
    r"|\b(?:get|need|want|find|ask for) (?:some )?help\b|\bhelp me\b"
    r"|\bwho (?:do|can|should|could) i (?:tell|talk|speak|call|ring|go)\b")
_SAYS_ME_RE = re.compile(
    r"\b\w+(?:s|ed|ing)? me\b(?! (?:too|as|and|so)\b)|\bmyself\b|\bi am (?:being|getting)\b")
# Someone who could do it: with one of these named, a "kill me" is never set aside.
_SOMEONE_RE = re.compile(
    r"\b(?:he|she|they|hes|shes|him|her|them|someone|somebody|mum|mom|mother|dad|father|"
    r"step ?(?:dad|mum)|parents?|carers?|brother|sister|bro|sis|uncle|aunt|auntie|nan|grandad|"
    r"cousin|boyfriend|girlfriend|bf|gf|partner|ex|man|men|boys?|guys?|girls?|gang|olders?|"
    r"rivals|people|teacher)\b")


def _judgeable(text: str) -> bool:
    """Enough of a finished message for the resemblance layers (fuzzy and learned)."""
    words = text.split()
    substance = _substance(text)
    if substance < 2 or not words:
        return False
    if words[-1] == "to":  # "who to talk to", "nothing to look forward to" are finished
        return substance >= SHORT_WORDS and _FINISHED_TO_RE.search(text) is not None
    if words[-1] in _DANGLING:
        return False
    return words[-1] not in _DANGLING_SHORT or substance >= FINISHED_WORDS


def _substance(text: str) -> int:
    """Words that carry meaning: not stopwords, pronouns or numbers ("hes 24" has one)."""
    return sum(w.isalpha() and w not in STOPWORDS and w not in _PRONOUNS for w in text.split())


def _phrase_regex(phrases: Iterable[str], normaliser: Normaliser) -> str | None:
    parts = sorted({normaliser.normalise(p).text for p in phrases if p.strip()}, key=len,
                   reverse=True)
    parts = [p for p in parts if p]
    if not parts:
        return None
    return r"(?<!\w)(?:" + "|".join(re.escape(p) for p in parts) + r")(?!\w)"


WINDOW = 3500  # characters the floor reads at a time in a very long message
# A message longer than 2 x EDGE is screened at its start and its end, EDGE characters
# each, in full; the middle is skipped, so one 100,000-character paste costs what an
# 8,000-character one does. Disclosures come at the start or the end of a long paste.
EDGE = 4000
HARMLESS = 0.85  # the learned layer's veto on a rule's verdict (see _reads_as_harmless)
HARMLESS_ME = 0.95  # ... on one that says something is done to the writer ("kill me")
HARMLESS_WORDS = 30  # ... only for messages this short, where all of it is the context
# A short message gives the learned layer few features to read ("upcoming stuff for 16+"
# read as running away at 0.50): under SHORT_WORDS words of substance it needs
# SHORT_THRESHOLD, the threshold before set P. On A-P, each left out in turn: 4 fewer
# disclosures caught of 5687, 2 fewer false alarms of 3811; it is for ordinary questions.
SHORT_THRESHOLD = 0.6
SHORT_WORDS = 4
KIND_SURE = 0.5  # the learned layer names the kind when it gives one kind this probability
KIND_DOUBT = 0.2  # ... and gives the kind the rules chose less than this


def bounded(text: str) -> str:
    """The part of a message the screen reads: all of it, or its start and its end."""
    if len(text) <= 2 * EDGE:
        return text
    return f"{text[:EDGE]} \n {text[-EDGE:]}"


def _windows(text: str, size: int = WINDOW, overlap: int = 500) -> list[str]:
    """Split a very long message so every part of it is read (the normaliser truncates)."""
    if len(text) <= size:
        return [text]
    step = size - overlap
    return [text[i:i + size] for i in range(0, len(text) - overlap, step)]


@dataclass(slots=True)
class Screen:
    """The compiled safety screen for one catalogue (or none: the floor alone)."""

    rules: list[_Rule]
    exclude: re.Pattern[str] | None
    floor_normaliser: Normaliser
    threshold: float = 50.0
    margin: float = 4.0
    fuzzy_extra: float = FUZZY_EXTRA
    fuzzy_lead: float = FUZZY_LEAD
    index: Index | None = None
    model: SafetyModel | None = None
    prefilter: Prefilter | None = None

    def __post_init__(self) -> None:
        self.prefilter = Prefilter([r.regex for r in self.rules])

    @classmethod
    def build(cls, cat: Catalogue | None) -> Screen:
        floor_norm = Normaliser(lexicon=FLOOR_LEXICON)
        rules = [_Rule(i, f'built-in rule for {i}: "{p}"', re.compile(p), builtin=True)
                 for i, pats in FLOOR_RULES.items() for p in pats]
        excludes = list(FLOOR_EXCLUDE)
        threshold, margin = 50.0, 4.0
        if cat is not None:
            threshold = cat.settings.match_threshold
            margin = cat.settings.ambiguity_margin
            norm = index_for(cat).normaliser
            for sid in SAFETY_INTENTS:
                intent = cat.intents.get(sid)
                if intent is None:
                    continue
                phrase_re = _phrase_regex(intent.rules.phrases, norm)
                if phrase_re:
                    rules.append(_Rule(sid, f"{intent.file} rules.phrases", re.compile(phrase_re)))
                for p in intent.rules.patterns:
                    rules.append(_Rule(sid, f'{intent.file} rules.patterns "{p}"', re.compile(p)))
                excludes.extend(intent.rules.exclude)
        ex_norm = Normaliser(lexicon=cat.lexicon if cat else FLOOR_LEXICON)
        parts = [p for p in (_phrase_regex(excludes, ex_norm),) if p]
        parts += [f"(?:{p})" for p in FLOOR_EXCLUDE_PATTERNS]
        exclude = re.compile("|".join(parts)) if parts else None
        index = index_for(cat) if cat is not None else None
        model = None
        if cat is not None:
            try:
                model = SafetyModel.train(cat, index_for(cat).normaliser)
            except Exception:  # the rules still run; never lose the screen to the model
                log.exception("the learned safety layer could not be trained")
        return cls(rules, exclude, floor_norm, threshold, margin, index=index, model=model)

    def views(self, text: str, norm: Normalised | None = None) -> list[str]:
        """The normalised forms of `text` the rules read, with exclusions cut out."""
        views = [self.floor_normaliser.normalise(w).text for w in _windows(text)]
        if norm is not None and norm.text not in views:
            views.append(norm.text)

        if self.exclude is not None:
            views = [self.exclude.sub(" ", v) for v in views]
        return views

    def screen(
        self,
        text: str,
        norm: Normalised | None = None,
        ranked: list[Candidate] | None = None,
    ) -> SafetyVerdict:
        """Decide whether `text` is a disclosure, and which kind."""
        text = bounded(text)
        views = self.views(text, norm)
        floor_views, cat_views = views, views
        if norm is not None and len(views) == 2 and len(text) <= WINDOW:
            # A short message read two ways: built-in rules read the floor's normalising,
            # catalogue rules the catalogue's (half the searches). Long messages: all views.
            floor_views, cat_views = views[:1], views[1:]
        marked = emoji_view(text[:WINDOW])
        if marked is not None:  # emoji as marker words: read by the built-in emoji rules
            floor_views = [*floor_views, self.floor_normaliser.normalise(marked).text]
        hits: dict[str, list[str]] = {}
        read = [*floor_views, *cat_views]
        runnable = (self.prefilter.candidates(read) if self.prefilter is not None
                    else range(len(self.rules)))
        for i in runnable:  # only rules whose required words appear (bot/prefilter.py)
            rule = self.rules[i]
            for v in (floor_views if rule.builtin else cat_views):
                m = rule.regex.search(v)
                if m:
                    hits.setdefault(rule.intent, []).append(f'{rule.label} matched "{m[0]}"')
                    break
        scores: dict[str, float] = {}
        near: list[str] = []
        fuzzy: dict[str, float] = {}
        soft: dict[str, int] = {}  # evidence that is not a rule: fuzzy and learned
        if ranked and (norm is None or _judgeable(norm.text)):
            # one word ("tonight") is too little to be close in meaning to a disclosure
            need = self.threshold + self.fuzzy_extra
            passed = self._fuzzy_pass(ranked, need)
            if passed and norm is not None and self.index is not None and self.exclude:
                cut = self.exclude.sub(" ", norm.text)
                if cut.split() != norm.text.split():
                    # An exclusion removed words ("die of boredom"): the message must still be
                    # close to a safety example without them.
                    again = self.index.rank(self.index.normaliser.normalise(cut))
                    passed &= self._fuzzy_pass(again, need)
                    if _substance(cut) < 2:  # too little is left to judge ("he  ")
                        passed = set()
            other = max((c.score for c in ranked if c.intent_id not in SAFETY_INTENTS),
                        default=0.0)
            for c in ranked:
                if c.intent_id not in SAFETY_INTENTS:
                    continue
                scores[c.intent_id] = c.score
                if c.intent_id in passed:
                    fuzzy[c.intent_id] = c.score
                    soft[c.intent_id] = soft.get(c.intent_id, 0) + 1
                    hits.setdefault(c.intent_id, []).append(
                        f'close to the example "{c.example}" (score {c.score:.0f})')
                elif c.score >= self.threshold:
                    near.append(f'{c.intent_id}: close to "{c.example}" (score {c.score:.0f};'
                                f" fuzzy needs {need:.0f} and {self.fuzzy_lead:.0f} points"
                                f" ahead of other topics, best other {other:.0f})")
        learn_text = cat_views[0] if cat_views else ""
        model_probs: dict[str, float] | None = None
        if (self.model is not None and norm is not None
                and _judgeable(learn_text)):
            # like the fuzzy layer: one word ("goodbye", "knife") is too little to judge.
            # Where a look-alike was cut out ("beat me at fifa"), the whole message must
            # read as harm too: the cut removes the context that made it harmless.
            model_probs = self.model.read(learn_text)  # once: the kind choice reuses it
            learned = judge(model_probs, SHORT_THRESHOLD if _substance(learn_text) < SHORT_WORDS
                            else THRESHOLD)
            if learned is not None and norm.text.split() != learn_text.split():
                whole = judge(self.model.read(norm.text), THRESHOLD)
                learned = learned if whole is not None else None
            if learned is not None:
                soft[learned[0]] = soft.get(learned[0], 0) + 1
                fuzzy.setdefault(learned[0], 0.0)
                hits.setdefault(learned[0], []).append(
                    f"learned layer: probability {learned[1]:.2f}")
        if not hits:
            return SafetyVerdict(None, (), tuple(near), scores)
        calm = self._reads_as_harmless(norm)
        if calm is not None:
            near.extend(f"{i}: {x}" for i in sorted(hits) for x in hits[i])
            near.append(f"set aside: the learned layer reads the whole message as harmless "
                        f"(probability {calm:.2f}), like the joke, game or question it is "
                        f"close to")
            return SafetyVerdict(None, (), tuple(near), scores)
        order = {s: n for n, s in enumerate(SAFETY_INTENTS)}

        def strength(i: str) -> tuple[int, float, float, int]:
            # Danger now (any emergency rule) comes first, unless carrying or wanting to hurt
            # someone has as many rules ("i got a knife for protection", "revenge ... hes got
            # a knife"): both replies give 999 too. Then any specific kind of harm
            # that a rule names ahead of the general "threatened" (a bare "threat" word must
            # not hide sexual harm), more agreeing rules first; then fuzzy and learned
            # similarity; then the order of SAFETY_INTENTS.
            rules_hit = len(hits[i]) - soft.get(i, 0)
            tier = 0
            if rules_hit:
                tier = 1 if i == "threatened" else 2
                if i == "emergency" and rules_hit > carry_rules:
                    tier = 3
            return (tier, float(rules_hit), fuzzy.get(i, 0.0), -order[i])

        carry_rules = max(len(hits.get(i, ())) - soft.get(i, 0)
                          for i in ("weapon_carrying", "hurting_others"))
        best_intent = max(hits, key=strength)
        reasons = tuple(r for i in sorted(hits, key=order.__getitem__) for r in
                        (f"{i}: {x}" for x in hits[i]))
        sure = None
        if not (best_intent == "emergency" and len(hits["emergency"]) > soft.get("emergency", 0)):
            # danger right now that a rule named keeps the reply whose first line is 999
            if model_probs is None and self.model is not None and _judgeable(learn_text):
                model_probs = self.model.read(learn_text)  # screened without a catalogue reading
            sure = self._sure_kind(model_probs or {}, best_intent)
        if sure is not None:
            reasons += (f"kind: {sure[0]}, not {best_intent}: the learned layer gives "
                        f"{sure[0]} probability {sure[1]:.2f}",)
            best_intent = sure[0]
        return SafetyVerdict(best_intent, reasons, tuple(near), scores)

    def _sure_kind(self, probs: dict[str, float], chosen: str) -> tuple[str, float] | None:
        """Another kind of harm than `chosen`, when the learned layer (`probs`) is sure of it.

        The rules find harm well but name its kind by a few words: "knife" reads as danger
        now in "got a knife in my bag every day", "olders" as exploitation in "the olders
        gave me a machete to mind". The model weighs the whole message. It names the kind
        when it gives that kind KIND_SURE and the rules' kind under KIND_DOUBT ("someone
        screenshotted my nudes and is threatening me" stays sexual harm). It is not asked
        when a rule named danger right now ("my plug has a gun to my head right now"): that
        reply's first line is 999. Measured leaving each of the blind sets A-I out of
        training in turn: of the disclosures caught, the right kind rose from 0.934 to 0.976
        (docs/safeguarding.md).
        """
        kinds = {k: p for k, p in probs.items() if k in SAFETY_INTENTS}
        if not kinds:
            return None
        best = max(kinds, key=kinds.__getitem__)
        if best == chosen or kinds[best] < KIND_SURE or kinds.get(chosen, 0.0) >= KIND_DOUBT:
            return None
        return best, kinds[best]

    def _reads_as_harmless(self, norm: Normalised | None) -> float | None:
        """The probability of "none" when the learned layer is confident that a message the
        rules flagged is a harmless look-alike ("im literally gonna die 💀", "got stabbed in
        among us", "do u run sessions about county lines"); None otherwise.

        Chosen on sets E and F, each left out of training in turn: at 0.85 false alarms fell
        from 14 to 8 of E's 240 look-alikes and from 16 to 14 of F's, and no disclosure was
        set aside; at 0.80, two plain questions in tests/data/safety.yaml were ("whats the
        point of anything"). It needs a finished message of at most HARMLESS_WORDS words
        that the model knows words of: emoji alone, one word, or a disclosure inside a long
        ramble keep their rule's verdict; without a catalogue (the floor alone) there is no
        veto. It never sets aside a message that asks for help ("can i talk to someone
        about my dad hitting me"): the model has learned that such questions are usually
        about services, and that is exactly how young people ask. One that says something
        is done to the writer ("hits me lol", "im being groomed") is never set aside when it
        names someone who could do it (a person, a relative, "they"), and otherwise needs
        HARMLESS_ME: "this heat is going to kill me", "this queue, shoot me now lol"."""
        if norm is None or _ASKS_RE.search(norm.text):
            return None
        if (self.model is None or not _judgeable(norm.text)
                or len(norm.text.split()) > HARMLESS_WORDS):
            return None  # a long message's chatter must not outvote what a rule found in it
        need = HARMLESS
        if _SAYS_ME_RE.search(norm.text):
            if _SOMEONE_RE.search(norm.text):
                return None  # "my dad is going to kill me this time": never set aside
            need = HARMLESS_ME
        calm = self.model.harmless(norm.text)
        return calm if calm is not None and calm >= need else None

    def _fuzzy_pass(self, ranked: list[Candidate], need: float) -> set[str]:
        """Safety intents scoring at least `need` and leading every other intent."""
        other = max((c.score for c in ranked if c.intent_id not in SAFETY_INTENTS), default=0.0)
        return {c.intent_id for c in ranked if c.intent_id in SAFETY_INTENTS
                and c.score >= need and c.score >= other + self.fuzzy_lead}


_FLOOR: Screen | None = None


def floor_screen(text: str) -> SafetyVerdict:
    """The built-in floor on its own: used when nothing else can run."""
    global _FLOOR
    if _FLOOR is None:
        _FLOOR = Screen.build(None)
    return _FLOOR.screen(text)
