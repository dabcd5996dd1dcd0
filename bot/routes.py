"""Routes to help that live in code, so no catalogue edit can remove them.

The national numbers are copied exactly from shared/DOMAIN.md section 2. They are the
floor: used when the catalogue is missing, broken or has lost a safety intent, and in
every error reply.
"""

from __future__ import annotations

# Order matters when several fire with equal strength: earlier wins.
SAFETY_INTENTS: tuple[str, ...] = (
    "emergency", "self_harm", "sexual_harm", "abuse_at_home", "exploitation", "hurting_others",
    "threatened", "weapon_carrying", "running_away",
)

EMERGENCY_LINE = "In danger right now? Call 999."

# A route to a human that is always open; added to every error reply.
HUMAN_LINE = (
    "To talk to someone now: Childline 0800 1111 (free, 24/7, under 19), "
    "Samaritans 116 123 (free, 24/7), or text SHOUT to 85258."
)

ERROR_REPLY = (
    "Sorry, something went wrong on my side.\n"
    f"{EMERGENCY_LINE}\n"
    f"{HUMAN_LINE}\n"
    "You can try your message again in a moment."
)

# What each safety reply must contain. `signpost validate` refuses a catalogue whose
# safety reply is missing one of these (each entry: any one of the alternatives).
REQUIRED_ROUTES: dict[str, tuple[tuple[str, ...], ...]] = {
    "emergency": (("999",),),
    "self_harm": (("116 123",), ("85258",), ("0800 1111",), ("999",)),
    "exploitation": (("0800 1111",), ("101",), ("999",), ("fearless",)),
    "threatened": (("fearless", "101"), ("999",)),
    "abuse_at_home": (("999",), ("0800 1111",), ("0808 2000 247",)),
    "sexual_harm": (("999",), ("0800 1111",), ("report remove",), ("ceop",)),
    "hurting_others": (("999",), ("0800 1111", "116 123")),
    "weapon_carrying": (("999",), ("0800 1111", "116 123")),
    "running_away": (("116 000",), ("0800 1111",), ("999",)),
}

ROUTE_NAMES = {
    "999": "999 (emergency)",
    "116 123": "Samaritans 116 123",
    "85258": "text SHOUT to 85258",
    "0800 1111": "Childline 0800 1111",
    "101": "police 101",
    "fearless": "Fearless (fearless.org)",
    "0808 2000 247": "National Domestic Abuse Helpline 0808 2000 247",
    "report remove": "Report Remove (Childline)",
    "ceop": "CEOP Safety Centre (ceop.police.uk)",
    "116 000": "Runaway Helpline 116 000",
}

# Replies used when the catalogue cannot provide one. Plain text; channels escape it.
FLOOR_REPLIES: dict[str, str] = {
    "emergency": (
        "If you or someone else is in danger right now, call 999.\n"
        "You did the right thing by reaching out. This is not your fault.\n"
        "While you wait: get somewhere safe if you can. If someone is bleeding, press hard "
        "on the wound with a cloth and keep pressing. Stay on the line with 999.\n"
        "If you can't speak, textphone 18000."
    ),
    "self_harm": (
        "I'm really glad you told me. You did the right thing, and you don't have to deal "
        "with this on your own. It is not your fault.\n"
        "You can talk to someone right now, free, any time:\n"
        "• Samaritans: call 116 123\n"
        "• Shout: text SHOUT to 85258\n"
        "• Childline (under 19): call 0800 1111\n"
        "If you have taken something or you are in danger now, call 999."
    ),
    "exploitation": (
        "Thank you for telling me. You did the right thing. If someone is making you do "
        "things, you are being exploited and it is not your fault.\n"
        "• Childline (under 19): 0800 1111, free, 24/7\n"
        "• Police: 101, or 999 if you are in danger now\n"
        "• Tell someone anonymously through Fearless: fearless.org"
    ),
    "threatened": (
        "That sounds really scary. You did the right thing by telling someone, and it is "
        "not your fault.\n"
        "If it is happening now, call 999.\n"
        "Stay with people you trust, keep your phone charged and tell an adult you trust.\n"
        "You can report it to the police on 101, or anonymously through Fearless: "
        "fearless.org"
    ),
}

FLOOR_REPLIES.update({
    "abuse_at_home": (
        "Thank you for telling me. You did the right thing. What is happening at home is "
        "not your fault, and you don't have to deal with it alone.\n"
        "If you are in danger right now, call 999.\n"
        "• Childline (under 19): call 0800 1111, free, 24/7\n"
        "• National Domestic Abuse Helpline: 0808 2000 247, free, 24/7\n"
        "• An adult who is worried about a child can call the NSPCC on 0808 800 5000"
    ),
    "sexual_harm": (
        "Thank you for telling me. You did the right thing. This is not your fault, and you "
        "are not in trouble.\n"
        "If you are in danger right now, call 999.\n"
        "• Childline (under 19): call 0800 1111, free, 24/7\n"
        "• Nudes shared or used to threaten you (under 18): Report Remove, on the Childline "
        "website\n"
        "• Someone online asking for nudes or to meet (under 18): report to CEOP at "
        "ceop.police.uk\n"
        "• Rape Crisis (16+): 0808 500 2222, free, 24/7\n"
        "Don't pay and don't send more. Keep the messages."
    ),
    "hurting_others": (
        "Thanks for being honest with me. You did the right thing by telling me. Feeling "
        "angry when something bad has happened makes sense, and it is not your fault you feel "
        "this way. "
        "You can get through it without anyone getting hurt.\n"
        "If someone is about to get hurt, call 999.\n"
        "Tell a youth worker or an adult you trust today. They can find you a mentor.\n"
        "• Childline (under 19): 0800 1111, free, 24/7\n"
        "• Samaritans: 116 123, free, 24/7"
    ),
    "weapon_carrying": (
        "Thanks for telling me. You did the right thing. It is not your fault you feel "
        "unsafe. Most young people don't carry a knife, and carrying one makes it more likely "
        "you get hurt.\n"
        "If you are in danger right now, call 999.\n"
        "Tell a youth worker or an adult you trust today. A mentor can help you feel safer "
        "without one.\n"
        "• Childline (under 19): 0800 1111, free, 24/7\n"
        "• Samaritans: 116 123, free, 24/7"
    ),
    "running_away": (
        "Thank you for telling me. You did the right thing. It is not your fault, and you "
        "don't have to work this out alone.\n"
        "If you are in danger right now, call 999.\n"
        "• Runaway Helpline: call or text 116 000\n"
        "• Childline (under 19): 0800 1111, free, 24/7"
    ),
})

SAFETY_TITLES = {
    "emergency": "Emergency",
    "self_harm": "Feeling unsafe",
    "exploitation": "Being pushed into things",
    "threatened": "Being threatened",
    "abuse_at_home": "Not safe at home",
    "sexual_harm": "Sexual abuse or nudes",
    "hurting_others": "Wanting to hurt someone",
    "weapon_carrying": "Carrying a weapon",
    "running_away": "Running away",
}


def missing_routes(intent_id: str, reply: str) -> list[str]:
    """Names of the required routes a safety reply leaves out."""
    low = reply.lower()
    return [
        ROUTE_NAMES.get(alts[0], alts[0])
        for alts in REQUIRED_ROUTES.get(intent_id, ())
        if not any(a in low for a in alts)
    ]
