"""End to end through the real PTB stack against the loopback fake Bot API server.

This process runs tests/fake_telegram.py on 127.0.0.1 and plays the young people; the bot
runs in a child process (one asyncio loop: one core, plus its SQLite writer thread), built
by `bot.channels.telegram_app.build_application` exactly as `signpost run` builds it, except:

* PTB's AIORateLimiter is removed, because it enforces Telegram's own ~30 messages/s cap
  by design and would hide the bot's capacity (one run keeps it, to show the cap);
* the per-person flood limit (20 a minute) and burst merging (messages within 1.5 s are one
  turn) are lifted, since one simulated person here types far faster than anyone can.

Each conversation sends a message, waits for the complete reply, then sends the next
(closed loop); "latency" is from the update being available (queued for getUpdates, or
POSTed to the webhook) to the first reply message arriving. Every message is different
(held-out messages with openings and endings, about 10% disclosures), so the bot's ranking
cache answers none of them; how many Telegram messages each reply takes is worked out in
this process with its own engine (`Predictor`), not by sending anything to the bot first.
Runs are bounded in count and time and use loopback addresses only.

    python -m bench e2e [--conversations 1,50,500] [--modes polling,webhook]
                        [--rss-factor 100] [--json [PATH]]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import (
    REPO,
    cold_start_line,
    distinct_messages,
    ms,
    process_memory,
    save,
    table,
)

TOKEN = "123456789:AAHbenchTokenForSignpostOnly_0123456789"
SECRET = "bench-Secret_123"
USER_BASE = 6_100_000_000
RUN_TIMEOUT = 240.0  # seconds a single run may take before it is abandoned
START_TIMEOUT = 300.0  # a 100x catalogue takes a while to load and index
MESSAGES = {1: 300, 50: 20, 500: 4}  # messages per conversation for each concurrency


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Predictor:
    """How many Telegram messages the bot will send for each message, worked out here.

    The bot's own ranking cache must stay cold for the timed messages, so nothing is sent
    to it in advance: this process loads the same catalogue into its own engine, follows
    each simulated person's conversation state, and renders each reply as the Telegram
    channel does (`render_part`), which gives the number of messages to wait for.
    """

    def __init__(self, catalogue: Path) -> None:
        from bot.live import LiveCatalogue

        live = LiveCatalogue(catalogue)
        assert live.catalogue is not None, "catalogue has errors"
        self.engine = live.engine
        self.states: dict[int, Any] = {}

    def parts(self, user_id: int, text: str) -> int:
        from dataclasses import replace

        from bot.channels.telegram_html import render_part
        from bot.dialogue import ChatState

        reply = self.engine.respond(text, self.states.get(user_id, ChatState()))
        self.states[user_id] = replace(reply.state, location=None)
        return sum(len(render_part(p)) for p in reply.all_parts())


# ---------------------------------------------------------------- the bot (child process)


def bot_main(args: argparse.Namespace) -> int:
    """Run the bot as `signpost run` would, against the fake server; stop on SIGTERM."""
    import logging

    from bot.channels import telegram as tg
    from bot.channels import telegram_app as tga
    from bot.config import Settings, TelegramSettings
    from bot.live import LiveCatalogue
    from bot.matcher import index_for

    logging.basicConfig(level=logging.WARNING)
    webhook_url = f"http://127.0.0.1:{args.webhook_port}/hook" if args.webhook_port else None
    telegram = TelegramSettings(token=TOKEN, bot_api_url=args.api, webhook_url=webhook_url,
                                webhook_port=args.webhook_port or 8443,
                                webhook_secret=SECRET if webhook_url else None)
    settings = Settings(catalogue_dir=Path(args.catalogue), data_dir=Path(args.data),
                        log_level="WARNING", telegram=telegram)
    live = LiveCatalogue(settings.catalogue_dir)
    if live.catalogue is None:
        print("catalogue has errors", file=sys.stderr)
        return 2
    index_for(live.catalogue)  # build the index before the first message, as a warm bot has
    # Each simulated person sends the next message the moment a reply arrives, far faster
    # than anyone types: no flood limit, and no burst window (it would merge them).
    app = tga.build_application(settings, live, flood=tg.FloodPolicy(per_minute=10**9),
                               burst_window=0.0)
    if not args.limiter:
        app.bot._rate_limiter = None  # see the module docstring
    if webhook_url:
        app.run_webhook(**tga.webhook_options(settings))
    else:
        app.run_polling(allowed_updates=tga.ALLOWED_UPDATES, poll_interval=0, timeout=10)
    return 0


# ---------------------------------------------------------------- the people (this process)


@dataclass
class Timings:
    """Per chat: how many bot messages have arrived, and waiters for a count."""

    counts: dict[int, int] = field(default_factory=dict)
    waiters: dict[int, tuple[int, asyncio.Future[float]]] = field(default_factory=dict)
    first_reply: dict[int, float] = field(default_factory=dict)


def timed_fake() -> Any:
    from tests.fake_telegram import FakeTelegram

    class TimedFake(FakeTelegram):  # type: ignore[misc]
        """The fake server, noting when each chat's bot messages arrive."""

        timings: Timings

        async def api_sendMessage(self, p: dict[str, Any]) -> Any:
            out = await super().api_sendMessage(p)
            chat = int(p["chat_id"])
            t = self.timings
            t.counts[chat] = t.counts.get(chat, 0) + 1
            t.first_reply.setdefault(chat, time.perf_counter())
            want = t.waiters.get(chat)
            if want is not None and t.counts[chat] >= want[0] and not want[1].done():
                want[1].set_result(time.perf_counter())
            return out

    fake = TimedFake(TOKEN)
    fake.timings = Timings()
    return fake


async def wait_count(fake: Any, chat: int, count: int, timeout: float = 120.0) -> float:
    """Wait until `chat` has received `count` bot messages; the time the last arrived."""
    t: Timings = fake.timings
    if t.counts.get(chat, 0) >= count:
        return time.perf_counter()
    fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    t.waiters[chat] = (count, fut)
    try:
        return await asyncio.wait_for(fut, timeout)
    finally:
        t.waiters.pop(chat, None)


class Bot:
    """The bot child process for one mode."""

    def __init__(self, fake: Any, mode: str, catalogue: Path, data: Path,
                 limiter: bool = False) -> None:
        self.fake, self.mode, self.catalogue, self.data = fake, mode, catalogue, data
        self.limiter = limiter
        self.port = _free_port() if mode == "webhook" else 0
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> float:
        cmd = [sys.executable, "-m", "bench.e2e", "--bot", "--api", self.fake.base_url,
               "--catalogue", str(self.catalogue), "--data", str(self.data)]
        if self.port:
            cmd += ["--webhook-port", str(self.port)]
        if self.limiter:
            cmd.append("--limiter")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(cmd, cwd=REPO)
        calls = len(self.fake.calls)
        want = "setWebhook" if self.mode == "webhook" else "getUpdates"
        deadline = time.monotonic() + START_TIMEOUT
        while not any(c.method == want for c in self.fake.calls[calls:]):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the bot did not start in {self.mode} mode")
            await asyncio.sleep(0.05)
        return time.perf_counter() - t0

    async def post(self, client: Any, update: dict[str, Any]) -> None:
        r = await client.post(f"http://127.0.0.1:{self.port}/hook", json=update,
                              headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        r.raise_for_status()

    def memory(self) -> dict[str, float]:
        """Current and peak RSS of the process, from /proc."""
        assert self.proc is not None
        return process_memory(self.proc.pid)

    def cpu_seconds(self) -> float:
        import psutil

        assert self.proc is not None
        t = psutil.Process(self.proc.pid).cpu_times()
        return float(t.user + t.system)

    async def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            for _ in range(100):
                if self.proc.poll() is not None:
                    break
                await asyncio.sleep(0.1)
            else:
                self.proc.kill()
        self.proc = None


def turn_count(data: Path) -> int:
    db = data / "signpost.db"
    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return int(conn.execute("SELECT count(*) FROM turns").fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


async def say(fake: Any, bot: Bot, client: Any, user: dict[str, Any], text: str) -> None:
    """The person sends `text`: queued for getUpdates, or POSTed to the webhook."""
    if bot.mode == "polling":
        fake.say(user, text)
        return
    message = {"message_id": fake._next_message_id(user["id"]), "date": int(time.time()),
               "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
               "from": user, "text": text}
    fake._store(user["id"], message)
    await bot.post(client, {"update_id": next(fake._update_ids), "message": message})


async def load_run(fake: Any, bot: Bot, predict: Predictor, messages: list[str],
                   conversations: int, per_conversation: int, run: int) -> dict[str, Any]:
    """`conversations` people at once, each sending `per_conversation` messages in turn;
    every message different from every other (so none is answered from the bot's cache)."""
    import httpx

    latencies: list[float] = []
    mismatched = 0
    plan: dict[int, list[tuple[str, int]]] = {}
    base = USER_BASE + run * 10_000
    texts = iter(messages)
    for i in range(conversations):
        plan[i] = []
        for _ in range(per_conversation):
            text = next(texts)
            plan[i].append((text, predict.parts(base + i, text)))
    turns_before = turn_count(bot.data)
    cpu_before = bot.cpu_seconds()
    own_before = time.process_time()

    async def person(i: int, client: Any) -> None:
        nonlocal mismatched
        user = fake.user(base + i, f"P{i}", None)
        expected = fake.timings.counts.get(user["id"], 0)
        for text, parts in plan[i]:
            first = expected + 1
            expected += parts
            fake.timings.first_reply.pop(user["id"], None)
            t0 = time.perf_counter()
            await say(fake, bot, client, user, text)
            await wait_count(fake, user["id"], first)
            latencies.append(fake.timings.first_reply[user["id"]] - t0)
            try:
                await wait_count(fake, user["id"], expected, timeout=10.0)
            except TimeoutError:  # the prediction was wrong: carry on from what arrived
                mismatched += 1
                expected = fake.timings.counts.get(user["id"], 0)

    # Few connections: httpcore scans its whole pool on every request.
    limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        t0 = time.perf_counter()
        await asyncio.wait_for(
            asyncio.gather(*(person(i, client) for i in range(conversations))), RUN_TIMEOUT)
        wall = time.perf_counter() - t0
    turns_in_run = turn_count(bot.data) - turns_before
    cpu = bot.cpu_seconds() - cpu_before
    own = time.process_time() - own_before
    await asyncio.sleep(0.5)  # let queued log writes land
    turns_after = turn_count(bot.data) - turns_before
    handled = conversations * per_conversation
    return {
        "mode": bot.mode, "conversations": conversations, "messages": handled,
        "limiter": bot.limiter,
        "seconds": round(wall, 3), "messages_per_s": round(handled / wall, 1),
        "turns_logged_per_s": round(turns_in_run / wall, 1),
        "turns_logged_total": turns_after,
        "bot_cpu_share": round(cpu / wall, 2),
        "predicted_wrong": mismatched,
        "driver_cpu_share": round(own / wall, 2),  # the fake server and the people
        **ms(np.array(latencies)),
    }


async def cold_start(fake: Any, data_root: Path, runs: int) -> dict[str, Any]:
    """`signpost run` from a new process to the first answered message, via the fake."""
    times = []
    for n in range(runs):
        user = fake.user(USER_BASE - 900_000 - n, "Cold", None)
        fake.say(user, "any boxing near me")  # waiting in getUpdates before the bot starts
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNPOST_")}
        env.update(TELEGRAM_BOT_TOKEN=TOKEN, SIGNPOST_BOT_API_URL=fake.base_url,
                   SIGNPOST_CATALOGUE=str(REPO), SIGNPOST_DATA_DIR=str(data_root / f"c{n}"),
                   SIGNPOST_LOG_LEVEL="WARNING", SIGNPOST_WEB_PORT=str(_free_port()))
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=data_root, env=env,
                                stdout=subprocess.DEVNULL)
        try:
            got = await wait_count(fake, user["id"], 1, timeout=60)
            times.append(got - t0)
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
    return {"median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3),
            "max_s": round(max(times), 3), "runs": runs}


async def run_all(args: argparse.Namespace) -> dict[str, Any]:
    fake = timed_fake()
    await fake.start()
    result: dict[str, Any] = {"runs": [], "memory": {}}
    try:
        with tempfile.TemporaryDirectory(prefix="signpost-e2e-") as tmp:
            root = Path(tmp)
            if not args.no_cold:
                result["cold_start"] = await cold_start(fake, root, args.cold_runs)
                print(f"cold start: {result['cold_start']}", file=sys.stderr)
            run = 0
            need = sum(c * MESSAGES.get(c, 4) for c in
                       (int(x) for x in args.conversations.split(",")))
            messages = iter(distinct_messages(need * 2 + 1000))
            predict = Predictor(REPO)

            def fresh(n: int) -> list[str]:
                return [next(messages) for _ in range(n)]

            for mode in args.modes.split(","):
                bot = Bot(fake, mode, REPO, root / f"data-{mode}")
                started = await bot.start()
                try:
                    for conv in (int(c) for c in args.conversations.split(",")):
                        run += 1
                        per = MESSAGES.get(conv, 4)
                        r = await load_run(fake, bot, predict, fresh(conv * per), conv, per,
                                           run)
                        r["start_seconds"] = round(started, 2)
                        result["runs"].append(r)
                        print(f"{mode} x{conv}: {r['messages_per_s']} msg/s", file=sys.stderr)
                    result["memory"][f"shipped, {mode}"] = bot.memory()
                finally:
                    await bot.stop()
            if args.limiter_run:
                bot = Bot(fake, "polling", REPO, root / "data-limited", limiter=True)
                await bot.start()
                try:
                    run += 1
                    r = await load_run(fake, bot, predict, fresh(150), 50, 3, run)
                    result["runs"].append(r)
                finally:
                    await bot.stop()
            if args.rss_factor > 1:
                from bench.synth import scale

                big = root / f"x{args.rss_factor}"
                scale(REPO, big, args.rss_factor)
                bot = Bot(fake, "polling", big, root / "data-big")
                started = await bot.start()
                try:
                    run += 1
                    r = await load_run(fake, bot, Predictor(big), fresh(200), 50, 4, run)
                    r["catalogue"] = f"x{args.rss_factor}"
                    r["start_seconds"] = round(started, 2)
                    result["runs"].append(r)
                    result["memory"][f"x{args.rss_factor}, polling"] = bot.memory()
                finally:
                    await bot.stop()
    finally:
        await fake.stop()
    return result


def report(r: dict[str, Any]) -> str:
    rows = [[x["mode"] + (" + PTB rate limiter" if x["limiter"] else "")
             + (f" ({x['catalogue']})" if x.get("catalogue") else ""),
             x["conversations"], x["messages"], x["messages_per_s"], x["median_ms"],
             x["p99_ms"], x["turns_logged_per_s"], x["bot_cpu_share"],
             x["driver_cpu_share"], x["predicted_wrong"]] for x in r["runs"]]
    lines = [table(["mode", "conversations", "messages", "msg/s", "latency median ms",
                    "p99 ms", "log turns/s", "bot CPU (cores)", "driver CPU",
                    "reply count mispredicted"], rows), ""]
    for name, mem in r["memory"].items():
        lines.append(f"bot RSS ({name}): {mem.get('rss_mb')} MB now, "
                     f"{mem.get('peak_rss_mb')} MB peak")
    c = r.get("cold_start")
    if c:
        lines.append(cold_start_line("`signpost run` to the first answered message", c))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench e2e", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--conversations", default="1,50,500")
    ap.add_argument("--modes", default="polling,webhook")
    ap.add_argument("--rss-factor", type=int, default=100,
                    help="also run the bot on a synthetic catalogue this many times bigger "
                         "and report its memory (1 to skip)")
    ap.add_argument("--no-limiter-run", dest="limiter_run", action="store_false",
                    help="skip the run that keeps PTB's rate limiter")
    ap.add_argument("--no-cold", action="store_true", help="skip the cold-start runs")
    ap.add_argument("--cold-runs", type=int, default=3)
    ap.add_argument("--json", nargs="?", const="", default=None, metavar="PATH",
                    help="also write JSON (default bench/results/e2e.json)")
    # The bot child process.
    ap.add_argument("--bot", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--api", help=argparse.SUPPRESS)
    ap.add_argument("--catalogue", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--webhook-port", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--limiter", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.bot:
        return bot_main(args)
    result = asyncio.run(run_all(args))
    print(report(result))
    if args.json is not None:
        print(f"\nwrote {save('e2e', result, args.json or None)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
