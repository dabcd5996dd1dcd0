"""The web chat under load: messages per second, latency and memory of `signpost run`.

The server is the real command (`python -m bot run`) in a child process: one asyncio loop
serving the web chat, plus its SQLite writer thread. With `--telegram` the same process
also serves Telegram (polling the loopback fake Bot API that this process runs), so its
memory is measured with both channels on. This process plays the young people over
loopback HTTP, each simulated client behind "a proxy" (127.0.0.1 is a trusted
proxy and each client has its own X-Forwarded-For address, as behind a real reverse proxy).
The driver speaks HTTP/1.1 itself over keep-alive connections (see `Http`): httpx would
cost it more CPU per request than the server spends answering.

Every message is different (held-out messages with openings and endings, about 10%
disclosures), so no timed message is one the engine has ranked before. No conversation
gets two messages within the burst window or more than 20 a minute, so every message is
answered as its own turn (the driver checks: any merged or skipped message is reported).

Three runs:

    throughput   `--inflight` requests always in flight (closed loop), for `--seconds`
    people       100 conversations at once, each sending a message every 1.6-4 s (open loop)
    offered      messages arriving at `--rate` per second (Poisson), spread over 1,500
                 conversations (open loop): latency at that load

    python -m bench web [--inflight 100] [--rate 300] [--seconds 20] [--telegram]
                        [--json [PATH]]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.common import REPO, distinct_messages, ms, process_memory, save, table

TOKEN = "123456789:AAHbenchTokenForSignpostOnly_0123456789"
GAP = 1.6  # seconds between two messages of one conversation: more than the burst window
START_TIMEOUT = 120.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """`python -m bot run` in a child process."""

    data: Path
    telegram_api: str | None = None
    port: int = field(default_factory=_free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> float:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SIGNPOST_", "TELEGRAM_"))}
        env.update(SIGNPOST_CATALOGUE=str(REPO), SIGNPOST_DATA_DIR=str(self.data),
                   SIGNPOST_WEB_PORT=str(self.port), SIGNPOST_TRUSTED_PROXIES="127.0.0.1",
                   SIGNPOST_LOG_LEVEL="WARNING")
        if self.telegram_api:
            env.update(TELEGRAM_BOT_TOKEN=TOKEN, SIGNPOST_BOT_API_URL=self.telegram_api,
                       SIGNPOST_ALERT_CHAT_ID="-1001234500001")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=self.data.parent,
                                     env=env)
        deadline = time.monotonic() + START_TIMEOUT
        async with httpx.AsyncClient() as client:
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(self.base + "/healthz")).status_code == 200:
                        return time.perf_counter() - t0
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("signpost run did not start")
                await asyncio.sleep(0.05)

    def memory(self) -> dict[str, float]:
        """Current and peak RSS of the process, from /proc."""
        assert self.proc is not None
        return process_memory(self.proc.pid)

    def cpu_seconds(self) -> float:
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def stop(self) -> int:
        if self.proc is None:
            return 0
        self.proc.terminate()
        for _ in range(600):
            if self.proc.poll() is not None:
                break
            await asyncio.sleep(0.05)
        else:
            self.proc.kill()
        return int(self.proc.wait())


class Http:
    """A minimal keep-alive HTTP/1.1 client over one loopback connection.

    httpx costs the driver ~5 ms of CPU per request, which on a 2-core machine measures the
    driver, not the server; this costs well under 0.1 ms. It speaks only what the API
    answers: a status line, headers with Content-Length, a JSON body.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: dict[str, Any], headers: dict[str, str]
                   ) -> tuple[int, Any]:
        for attempt in (1, 2):
            try:
                return await self._post(path, body, headers)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()  # the server closed an idle connection: reconnect once
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _post(self, path: str, body: dict[str, Any], headers: dict[str, str]
                    ) -> tuple[int, Any]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        data = json.dumps(body).encode()
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.writer.write(f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{head}"
                          f"Content-Type: application/json\r\nContent-Length: {len(data)}"
                          f"\r\n\r\n".encode() + data)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = next(int(v) for k, _, v in (x.partition(":") for x in lines[1:])
                      if k.lower() == "content-length")
        payload = await self.reader.readexactly(length)
        return status, json.loads(payload)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None


@dataclass
class Conversation:
    token: str
    address: str
    last: float = -1e9
    sent: int = 0


@dataclass
class Run:
    name: str
    latencies: list[float] = field(default_factory=list)
    started: list[float] = field(default_factory=list)  # when each message was sent
    statuses: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    driver_cpu_seconds: float = 0.0

    def slow_spells(self, over: float = 0.1) -> list[tuple[float, float, int]]:
        """(start s, length s, messages) of stretches where answers took over `over` s."""
        if not self.started:
            return []
        t0 = min(self.started)
        slow = sorted((s - t0, s - t0 + lat) for s, lat in
                      zip(self.started, self.latencies, strict=True) if lat > over)
        spells: list[list[float]] = []
        for a, b in slow:
            if spells and a <= spells[-1][1]:
                spells[-1][1] = max(spells[-1][1], b)
                spells[-1][2] += 1
            else:
                spells.append([a, b, 1])
        return [(round(a, 2), round(b - a, 2), int(n)) for a, b, n in spells]

    def summary(self) -> dict[str, Any]:
        n = len(self.latencies)
        return {"run": self.name, "messages": n, "slow_spells": self.slow_spells(),
                "msg_per_s": round(n / self.seconds, 1) if self.seconds else 0.0,
                **ms(np.array(self.latencies)), "statuses": dict(self.statuses),
                "server_cpu_s": round(self.cpu_seconds, 1),
                "driver_cpu_s": round(self.driver_cpu_seconds, 1),
                "seconds": round(self.seconds, 1)}


class Driver:
    """The simulated young people: conversations, distinct messages, timing."""

    def __init__(self, server: Server, messages: list[str], connections: int) -> None:
        self.server = server
        self.messages = iter(messages)
        self.n_conversations = 0
        self.pool: asyncio.Queue[Http] = asyncio.Queue()
        self.all = [Http("127.0.0.1", server.port) for _ in range(connections)]
        for c in self.all:
            self.pool.put_nowait(c)

    async def close(self) -> None:
        for c in self.all:
            await c.close()

    async def _post(self, path: str, body: dict[str, Any], address: str) -> tuple[int, Any]:
        http = await self.pool.get()
        try:
            return await http.post(path, body, self._headers(address))
        finally:
            self.pool.put_nowait(http)

    async def conversation(self) -> Conversation:
        self.n_conversations += 1
        n = self.n_conversations
        address = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
        status, data = await self._post("/api/start", {}, address)
        assert status == 200, data
        return Conversation(data["token"], address)

    def _headers(self, address: str) -> dict[str, str]:
        return {"Origin": self.server.base, "X-Forwarded-For": address}

    async def say(self, conv: Conversation, run: Run) -> None:
        text = next(self.messages)
        conv.last = time.monotonic()
        conv.sent += 1
        t0 = time.perf_counter()
        code, data = await self._post("/api/send", {"token": conv.token, "text": text},
                                      conv.address)
        run.latencies.append(time.perf_counter() - t0)
        run.started.append(t0)
        run.statuses[data.get("status", str(code)) if code == 200 else str(code)] += 1


async def throughput(d: Driver, inflight: int, seconds: float) -> Run:
    """`inflight` requests always outstanding; each worker rotates over its conversations."""
    run = Run(f"throughput, {inflight} in flight")
    per_worker = 16
    pools = [[await d.conversation() for _ in range(per_worker)] for _ in range(inflight)]
    cpu0 = d.server.cpu_seconds()
    own0 = time.process_time()
    t0 = time.monotonic()
    end = t0 + seconds

    async def worker(pool: list[Conversation]) -> None:
        while time.monotonic() < end:
            conv = min(pool, key=lambda c: c.last)
            wait = conv.last + GAP - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            await d.say(conv, run)

    await asyncio.gather(*(worker(p) for p in pools))
    run.seconds = time.monotonic() - t0
    run.cpu_seconds = d.server.cpu_seconds() - cpu0
    run.driver_cpu_seconds = time.process_time() - own0
    return run


async def people(d: Driver, count: int, seconds: float) -> Run:
    """`count` conversations at once, each a person sending every 1.6-4 s."""
    run = Run(f"people, {count} conversations")
    convs = [await d.conversation() for _ in range(count)]
    rng = random.Random(7)
    cpu0 = d.server.cpu_seconds()
    own0 = time.process_time()
    t0 = time.monotonic()
    end = t0 + seconds

    async def person(conv: Conversation) -> None:
        await asyncio.sleep(rng.uniform(0, 4.0))
        while time.monotonic() < end:
            await d.say(conv, run)
            await asyncio.sleep(rng.uniform(GAP, 4.0))

    await asyncio.gather(*(person(c) for c in convs))
    run.seconds = time.monotonic() - t0
    run.cpu_seconds = d.server.cpu_seconds() - cpu0
    run.driver_cpu_seconds = time.process_time() - own0
    return run


async def offered(d: Driver, rate: float, seconds: float, conversations: int = 1500) -> Run:
    """Messages arriving at `rate` a second (Poisson) over many conversations."""
    run = Run(f"offered {rate:.0f} msg/s")
    convs = [await d.conversation() for _ in range(conversations)]
    rng = random.Random(11)
    tasks: set[asyncio.Task[None]] = set()
    cpu0 = d.server.cpu_seconds()
    own0 = time.process_time()
    t0 = time.monotonic()
    end = t0 + seconds
    at = t0
    while at < end:
        at += rng.expovariate(rate)
        delay = at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        conv = min(convs, key=lambda c: c.last)  # the longest-quiet conversation
        conv.last = time.monotonic()  # now, not when the task starts: it is taken
        task = asyncio.create_task(d.say(conv, run))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    run.seconds = time.monotonic() - t0
    run.cpu_seconds = d.server.cpu_seconds() - cpu0
    run.driver_cpu_seconds = time.process_time() - own0
    return run


def distinct_rankings(messages: list[str]) -> int:
    """How many different normalised token sequences the messages give (cache keys)."""
    from bot.live import LiveCatalogue
    from bot.matcher import index_for

    live = LiveCatalogue(REPO)
    assert live.catalogue is not None
    index = index_for(live.catalogue)
    return len({index.normaliser.normalise(m).tokens for m in messages})


async def run_all(args: argparse.Namespace) -> dict[str, Any]:
    need = int((args.inflight * 4 + 40 + args.rate) * args.seconds * 1.5) + 5000
    messages = distinct_messages(need, safety_share=args.safety_share)
    fake = None
    if args.telegram:
        sys.path.insert(0, str(REPO))
        from tests.fake_telegram import FakeTelegram

        fake = await FakeTelegram(TOKEN).start()
    with tempfile.TemporaryDirectory(prefix="signpost-bench-web-") as tmp:
        server = Server(Path(tmp) / "data", fake.base_url if fake else None)
        started = await server.start()
        idle = server.memory()
        runs: list[Run] = []
        try:
            d = Driver(server, messages, connections=max(args.inflight, 100) + 100)
            try:
                chosen = args.runs.split(",")
                if "throughput" in chosen:
                    runs.append(await throughput(d, args.inflight, args.seconds))
                if "people" in chosen:
                    runs.append(await people(d, 100, args.seconds))
                if "offered" in chosen:
                    runs.append(await offered(d, args.rate, args.seconds))
            finally:
                await d.close()
            memory = server.memory()
        finally:
            code = await server.stop()
            if fake is not None:
                await fake.stop()
    used = sum(len(r.latencies) for r in runs)
    return {
        "telegram_on": bool(args.telegram),
        "start_s": round(started, 2),
        "idle_memory": idle,
        "memory_after": memory,
        "exit_code": code,
        "messages_sent": used,
        "distinct_texts": len(set(messages[:used])),
        "distinct_rankings": distinct_rankings(messages[:used]),
        "runs": [r.summary() for r in runs],
    }


def report(r: dict[str, Any]) -> str:
    rows = [(x["run"], x["messages"], x["msg_per_s"], x["median_ms"], x["p99_ms"],
             x["max_ms"], x["server_cpu_s"], x["driver_cpu_s"], x["seconds"],
             ", ".join(f"{k} {v}" for k, v in sorted(x["statuses"].items())))
            for x in r["runs"]]
    lines = [table(["run", "messages", "msg/s", "median ms", "p99 ms", "max ms",
                    "server CPU s", "driver CPU s", "wall s", "statuses"], rows), ""]
    lines.append(f"channels: web{' + Telegram (polling)' if r['telegram_on'] else ''}; "
                 f"started in {r['start_s']} s; RSS idle {r['idle_memory']}, after the runs "
                 f"{r['memory_after']}; exit code {r['exit_code']}")
    for x in r["runs"]:
        spells = x["slow_spells"]
        if spells:
            worst = max(spells, key=lambda sp: sp[1])
            lines.append(f"{x['run']}: {len(spells)} stretch(es) with answers over 100 ms, "
                         f"covering {sum(sp[2] for sp in spells)} messages; the longest "
                         f"began at {worst[0]} s and lasted {worst[1]} s")
    lines.append(f"{r['messages_sent']} messages, {r['distinct_texts']} distinct texts, "
                 f"{r['distinct_rankings']} distinct normalised forms (ranking cache keys)")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench web", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--inflight", type=int, default=100)
    p.add_argument("--rate", type=float, default=300.0)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--safety-share", type=float, default=0.1,
                   help="share of messages that are disclosures (default 0.1)")
    p.add_argument("--runs", default="throughput,people,offered",
                   help="which runs, comma-separated (default: all three)")
    p.add_argument("--telegram", action="store_true",
                   help="serve Telegram too (polling a loopback fake Bot API)")
    p.add_argument("--json", nargs="?", const="", default=None, metavar="PATH")
    args = p.parse_args(argv)
    result = asyncio.run(run_all(args))
    print(report(result))
    if args.json is not None:
        print(f"\nsaved {save('web', result, args.json or None)}")
    return 0
