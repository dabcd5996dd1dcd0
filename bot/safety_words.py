"""The safety floor's own words: slang it reads as plain words (MORE_LEXICON, added to
bot/safety_rules.py's FLOOR_LEXICON), and emoji it reads as marker words ("emjknife") in a
view of the message of their own, which the emoji rules in bot/safety_rules_more.py read.
"""

from __future__ import annotations

import re

from bot.text import TOY_REACH, names_a_toy_gun

MORE_LEXICON: dict[str, str] = {
    "strapped": "carrying a gun", "tooled up": "carrying a weapon", "tooled": "armed",
    "noodz": "nudes", "noods": "nudes", "nudies": "nudes",
    "sextorted": "blackmailed with nudes", "sextortion": "blackmail with nudes",
    "bf": "boyfriend", "gf": "girlfriend", "stepdad": "step dad", "stepmum": "step mum",
    "stepmom": "step mum", "mom": "mum", "mam": "mum", "mums": "mum", "dads": "dad",
    "finna": "going to", "boutta": "about to", "bout to": "about to",
    "runaway": "run away", "ranaway": "ran away", "bora": "knife", "boras": "knives",
    "zombie on me": "knife on me", "lamping": "hitting", "lamps": "hits", "lamped": "hit",
    "bangs me up": "beats me", "bang me up": "beat me", "banged me up": "beat me",
    "my old man": "my dad", "my old lady": "my mum", "dip from this world": "die",
    "dip from yard": "run away from home", "dipping from yard": "running away from home",
    "yard": "home", "cuz": "cousin", "bredrin": "friend", "bruv": "brother",
    "noodes": "nudes", "nudez": "nudes", "n00dz": "nudes", "dem": "them",
    "linking": "seeing", "bouncing": "leaving",
    # more slang for hitting, attacking, carrying and leaving (generalising from blind sets)
    "puttin hands on": "hitting", "putting hands on": "hitting", "put hands on": "hit",
    "gives me digs": "punches me", "give me digs": "punch me", "backhanded": "hit",
    "bangs her about": "beats her", "bangs me about": "beats me", "knocks me about": "beats me",
    "knocks her about": "beats her", "get wet": "get stabbed", "gets wet": "gets stabbed",
    "ride out": "go and attack", "ridin out": "going to attack", "riding out": "going to attack",
    "run down on": "attack", "slide on": "attack", "on strap": "carrying a gun",
    "booted out": "kicked out", "done in": "killed", "put him in the ground": "kill him",
    "send em": "kill them", "sharpener blade": "blade",
    "flick knife": "knife", "zombie": "knife", "dip from home": "run away from home",
    "dipping from home": "running away from home", "link him": "meet him", "sayin": "saying",
}

# Emoji that carry meaning for the screen, read as marker words in their own view.
EMOJI_MARKERS: dict[str, str] = {
    "🔪": "emjknife", "🗡": "emjknife", "⚔": "emjknife", "🔫": "emjgun", "🩸": "emjblood",
    "🌉": "emjbridge", "🪦": "emjgrave", "⚰": "emjgrave", "💀": "emjskull", "💊": "emjpills",
    "🍾": "emjdrink", "🪢": "emjrope", "😭": "emjsad", "😢": "emjsad", "😔": "emjsad",
    "😞": "emjsad", "💔": "emjsad", "🥀": "emjsad", "😰": "emjscared", "😨": "emjscared",
    "😱": "emjscared", "😟": "emjscared", "😬": "emjscared", "🆘": "emjsos",
    "🚑": "emjambulance", "👊": "emjpunch", "🤕": "emjhurt", "💥": "emjpunch",
    "🎒": "emjbag", "🧥": "emjcoat", "👖": "emjpocket", "🏃": "emjrun", "🚪": "emjdoor",
    "🏠": "emjhome", "🏡": "emjhome", "🛏": "emjbed", "❌": "emjno", "📸": "emjpic",
    "🔞": "emjadult", "🍑": "emjbody", "🍆": "emjbody", "📦": "emjpackage",
    "💷": "emjmoney", "💰": "emjmoney", "💵": "emjmoney", "🚆": "emjtrain", "🏚": "emjhouse",
    "📍": "emjpin", "😡": "emjangry", "😤": "emjangry", "🤬": "emjangry", "👉": "emjat",
    "➡": "emjat", "🍺": "emjdrink", "🎯": "emjtarget", "🛌": "emjbed", "🥶": "emjcold",
    "🌃": "emjnight", "🌙": "emjnight",
}

_EMOJI_RE = re.compile("|".join(re.escape(e) for e in sorted(EMOJI_MARKERS, key=len,
                                                                reverse=True)))

def emoji_view(text: str) -> str | None:
    """The message with meaningful emoji as marker words ("emjknife"), or None if none. A
    toy named just before 🔫 makes it a toy (bot/text.py)."""
    if text.isascii() or not _EMOJI_RE.search(text):
        return None

    def marker(m: re.Match[str]) -> str:
        word = EMOJI_MARKERS[m[0]]
        if word == "emjgun" and names_a_toy_gun(text[max(0, m.start() - TOY_REACH):m.start()]):
            return " toy "
        return f" {word} "
    return _EMOJI_RE.sub(marker, text)
