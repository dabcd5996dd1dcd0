"""Accounts for the console: roles, passwords, TOTP codes, setup links, login throttling.

Pure rules and small helpers; the SQL lives in bot.store (console section). What a role may
do is decided here, once, by `ALLOWED`; every console route names the permission it needs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import secrets
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

ROLES = ("moderator", "safeguarding", "editor", "admin")
# Roles that can read what young people wrote need a second factor (the issue); admin too,
# because an admin can create accounts that read conversations.
TOTP_ROLES = frozenset({"moderator", "safeguarding", "admin"})

# permission -> roles that have it. The safeguarding lead does a moderator's work as well.
ALLOWED: dict[str, frozenset[str]] = {
    "inbox": frozenset({"moderator", "safeguarding"}),
    "feedback": frozenset({"moderator", "safeguarding"}),
    "safety": frozenset({"safeguarding"}),
    "promote-safety": frozenset({"safeguarding"}),
    "catalogue": frozenset({"editor"}),
    "stats": frozenset(ROLES),
    "users": frozenset({"admin"}),
    "audit": frozenset({"admin"}),
    "home": frozenset(ROLES),
}

IDLE = dt.timedelta(minutes=30)  # a session ends after this long without a request
SETUP_VALID = dt.timedelta(days=3)  # how long a setup link works
MAX_FAILURES = 5  # failed logins in a row before an account locks
LOCK_FOR = dt.timedelta(minutes=15)
MIN_PASSWORD = 12
ADDRESS_BURST = 20  # login attempts from one address before it must slow down
ADDRESS_RATE = 1 / 15  # attempts per second refilled (one every 15 seconds)

_hasher = PasswordHasher()
# Verifying against this when the name is unknown makes both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def can(role: str, permission: str) -> bool:
    return role in ALLOWED.get(permission, frozenset())


def needs_totp(role: str) -> bool:
    return role in TOTP_ROLES


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(stored: str | None, password: str) -> bool:
    """True if the password matches; takes as long when there is no stored hash."""
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_problem(password: str, name: str) -> str | None:
    """Why a new password is not acceptable, in plain words; None if it is fine."""
    if len(password) < MIN_PASSWORD:
        return f"Use at least {MIN_PASSWORD} characters (a few words in a row are easy to " \
               "remember)."
    if name.lower() in password.lower():
        return "Do not put your name in your password."
    if len(set(password)) < 5:
        return "That password repeats too few characters; choose something less predictable."
    return None


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, name: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name="Signpost console")


def check_code(secret: str | None, code: str, last_step: str | None, now: dt.datetime
               ) -> str | None:
    """The time step a 6-digit code belongs to if it is valid and not used before; else None.

    One step either side is accepted (phone clocks drift); a code already used to log in
    cannot be used again.
    """
    code = "".join(code.split())
    if not secret or not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    step = int(now.timestamp()) // totp.interval
    for candidate in (step - 1, step, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            if last_step is not None and candidate <= int(last_step):
                return None
            return str(candidate)
    return None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens (False if either is missing)."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class AddressThrottle:
    """Login attempts per client address (kept hashed, in memory only, never stored)."""

    def __init__(self, burst: int = ADDRESS_BURST, rate: float = ADDRESS_RATE,
                 max_keys: int = 10_000) -> None:
        self.burst, self.rate, self.max_keys = burst, rate, max_keys
        self._salt = secrets.token_bytes(16)
        self._buckets: OrderedDict[bytes, _Bucket] = OrderedDict()

    def take(self, address: str, now: float | None = None) -> bool:
        """Use one attempt; False when this address must wait."""
        now = time.monotonic() if now is None else now
        key = hashlib.blake2b(address.encode(), key=self._salt, digest_size=16).digest()
        b = self._buckets.get(key) or _Bucket(float(self.burst), now)
        b.tokens = min(float(self.burst), b.tokens + (now - b.at) * self.rate)
        b.at = now
        self._buckets[key] = b
        self._buckets.move_to_end(key)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        if b.tokens < 1:
            return False
        b.tokens -= 1
        return True


def is_https(scheme: str, peer: str, forwarded_proto: str | None,
             proxies: Iterable[str]) -> bool:
    """Whether the browser reached us over https: directly, or through one of the
    operator's trusted proxies (SIGNPOST_TRUSTED_PROXIES) that says so."""
    if scheme == "https":
        return True
    try:
        ip = ipaddress.ip_address(peer)
        trusted = any(ip in ipaddress.ip_network(n, strict=False) for n in proxies)
    except ValueError:
        return False
    return trusted and (forwarded_proto or "").split(",")[0].strip().lower() == "https"
