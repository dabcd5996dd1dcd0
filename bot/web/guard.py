"""What protects the web API before any message reaches the session.

    read_json        the body is limited *before* it is read (Content-Length, then while
                     streaming), must be a JSON object: else 413 / 400 with a plain reason
    same_origin      a POST must come from this site's own page (Origin, Sec-Fetch-Site);
                     CORS stays closed: no Access-Control-* header is ever sent
    client_address   the peer's address; X-Forwarded-For only from SIGNPOST_TRUSTED_PROXIES
    Limiter          token buckets per conversation and per address; keys are keyed hashes
                     held in memory only, so an IP address is never stored or logged
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request

MAX_BODY = 32 * 1024  # bytes: 2,000 emoji even as \uXXXX\uXXXX escapes, plus the envelope
MAX_KEYS = 50_000  # buckets kept; the least recently used go first


class Rejected(Exception):
    """A request the API refuses; `status` and a message for whoever reads it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_json(request: Request, limit: int = MAX_BODY) -> dict[str, Any]:
    """The body as a JSON object, never reading more than `limit` bytes."""
    length = request.headers.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise Rejected(400, "The Content-Length header is not a number.")
        if int(length) > limit:
            raise Rejected(413, f"The request is too large (at most {limit} bytes).")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Rejected(413, f"The request is too large (at most {limit} bytes).")
    try:
        data = json.loads(bytes(body).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Rejected(400, "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise Rejected(400, "The request body should be a JSON object.")
    return data


def same_origin(request: Request) -> None:
    """Refuse a POST that did not come from this site's own page."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise Rejected(403, "Requests from other sites are not accepted.")
    origin = request.headers.get("origin")
    host = request.headers.get("host", "")
    if not origin or urlsplit(origin).netloc.lower() != host.lower():
        raise Rejected(403, "Requests must come from the chat page itself.")


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(items: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(i, strict=False) for i in items)


def _trusted(addr: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def client_address(peer: str, forwarded_for: str | None, proxies: tuple[Network, ...]) -> str:
    """The client's address: the peer, or the first untrusted hop in X-Forwarded-For
    (read from the right) when the peer is a trusted proxy."""
    if not forwarded_for or not _trusted(peer, proxies):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop
    return hops[0] if hops else peer


@dataclass(slots=True)
class _Bucket:
    tokens: float
    last: float


class Limiter:
    """Token buckets: `burst` requests at once, then `rate` per second, per key.

    Keys are hashed with a key that exists only in this process's memory, so the table
    holds no address or token, and nothing here is ever written out.
    """

    def __init__(self, burst: float, rate: float, max_keys: int = MAX_KEYS) -> None:
        self.burst = burst
        self.rate = rate
        self.max_keys = max_keys
        self._key = secrets.token_bytes(32)
        self._buckets: OrderedDict[bytes, _Bucket] = OrderedDict()

    def _hash(self, key: str) -> bytes:
        return hmac.new(self._key, key.encode(), hashlib.sha256).digest()[:16]

    def take(self, key: str, now: float) -> bool:
        """Spend one token for `key`; False when its bucket is empty."""
        h = self._hash(key)
        b = self._buckets.get(h)
        if b is None:
            b = self._buckets[h] = _Bucket(self.burst, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(h)
            b.tokens = min(self.burst, b.tokens + (now - b.last) * self.rate)
            b.last = now
        if b.tokens >= 1.0:
            b.tokens -= 1.0
            return True
        return False

    def __len__(self) -> int:
        return len(self._buckets)

    def holds(self, key: str) -> bool:
        """Whether `key` has a bucket (for tests; the table never holds the key itself)."""
        return self._hash(key) in self._buckets

    def raw_keys(self) -> list[bytes]:
        return list(self._buckets)
