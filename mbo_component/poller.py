"""One process-wide poller that watches many domains' security keys at once.

Why: the dynamic-provider host serves every dynamic resource of a stack with 4 gRPC threads.
If each gate polled on its own thread, 40 domains would be verified 4 at a time and their
deadlines would run one batch after another. Here every domain's keys are polled by one
asyncio loop on one daemon thread from the moment they are registered; a blocked gate only
waits on an event, and gates that get a thread later find their watch already done.

dnspython + stdlib only (loaded by the dynamic-provider host).
"""

from __future__ import annotations

import asyncio
import datetime
import threading
import time
from dataclasses import dataclass
from typing import Callable

from .gate_spec import GateSpec
from .probe import Answer, Delegation, Server, discover, parse_server, query_async

# Sockets open at once across all watches (each query uses one UDP socket, maybe one TCP).
MAX_CONCURRENT_QUERIES = 256
# Interval growth per round, from interval_seconds up to max_interval_seconds.
BACKOFF = 1.5


@dataclass(frozen=True)
class Missing:
    """A (server, key) pair that does not serve the expected value yet, and what it said."""

    server: Server
    name: str
    expected: str
    answer: Answer | None  # None: not asked yet
    resolver: bool = False

    def describe(self, with_name: bool = False) -> str:
        role = "resolver " if self.resolver else ""
        if self.answer is None:
            said = "was not asked yet"
        elif self.answer.status == "timeout":
            said = f"did not answer within {self.answer.detail.removeprefix('after ')}"
        else:
            said = f"answered {self.answer.describe(self.expected)}"
        prefix = f"{self.name}: " if with_name else ""
        return f"{prefix}{role}{self.server} {said}"


class Watch:
    """The polling state of one GateSpec. Written by the poller thread, read by any thread."""

    def __init__(self, spec: GateSpec) -> None:
        self.spec = spec
        self.started = time.monotonic()
        self.started_wall = time.time()
        self.deadline = self.started + spec.timeout_seconds
        self.state = "discovering"  # -> polling -> verified | expired
        self.servers: tuple[Server, ...] = ()
        self.resolvers: tuple[Server, ...] = ()
        self.problem = ""  # discovery or configuration problem, shown in progress/failure
        self.last: dict[tuple[Server, str], Answer] = {}
        self.done: set[tuple[Server, str]] = set()
        self.first_missing: dict[str, int | None] = {}  # key name -> negative TTL, if absent at first
        self.verified_wall: float | None = None
        self.finished: float | None = None
        self.rounds = 0
        self.queries = 0
        self.changes = 0  # bumped on every round; waiters watch it
        self._cond = threading.Condition()
        self._kick: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # ---- read side (any thread) ---------------------------------------------------------
    @property
    def verified(self) -> bool:
        return self.state == "verified"

    @property
    def finished_state(self) -> bool:
        return self.state in ("verified", "expired")

    def wait(self, timeout: float | None = None, seen_changes: int | None = None) -> bool:
        """Block until verified/expired (or, with seen_changes, until the state moves on).

        Returns True once finished. A caller printing progress passes the `changes` it
        last saw and wakes up at every polling round.
        """
        with self._cond:
            self._cond.wait_for(
                lambda: self.finished_state or (seen_changes is not None and self.changes != seen_changes), timeout
            )
            return self.finished_state

    def wait_first_round(self, timeout: float) -> bool:
        """Block until the first polling round has answers (or the watch finished)."""
        with self._cond:
            self._cond.wait_for(lambda: self.finished_state or self.rounds > 0, timeout)
            return self.finished_state

    def kick(self) -> None:
        """Poll again now, with the interval back at its start (the TXT records were just created)."""
        loop, event = self._loop, self._kick
        if loop is not None and event is not None and not self.finished_state:
            loop.call_soon_threadsafe(event.set)

    def missing(self) -> list[Missing]:
        """Everything not serving its value yet: authoritative servers, then resolvers."""
        with self._cond:
            out = [
                Missing(server, name, value, self.last.get((server, name)))
                for server in self.servers
                for name, value in self.spec.keys
                if (server, name) not in self.done
            ]
            out += [
                Missing(server, name, value, self.last.get((server, name)), resolver=True)
                for server in self.resolvers
                for name, value in self.spec.keys
                if (server, name) not in self.done
            ]
            return out

    def waited(self) -> float:
        end = self.finished if self.finished is not None else time.monotonic()
        return end - self.started

    def verified_at(self) -> str:
        return _iso(self.verified_wall or time.time())

    def started_at(self) -> str:
        return _iso(self.started_wall)

    def pending_summary(self) -> str:
        """What is missing and what each said, without the clock (to detect change)."""
        return f"{self.state}|{self.problem}|" + "; ".join(m.describe(with_name=True) for m in self.missing())

    def progress(self) -> str:
        """One line for `pulumi up` output: who still lacks which value and what they answer."""
        if self.state == "verified":
            return f"{self.spec.domain}: every server serves the security key(s) after {_duration(self.waited())}"
        if self.state == "discovering" and self.spec.servers:
            return f"{self.spec.domain}: starting to poll {', '.join(self.spec.servers)}"
        if self.state == "discovering":
            extra = f" ({self.problem})" if self.problem else ""
            return f"{self.spec.domain}: looking up the authoritative nameservers{extra}"
        missing = self.missing()
        total = (len(self.servers) + len(self.resolvers)) * len(self.spec.keys)
        parts = "; ".join(m.describe(with_name=True) for m in missing[:6])
        more = f"; +{len(missing) - 6} more" if len(missing) > 6 else ""
        verb = "gave up after" if self.state == "expired" else "waiting"
        return (
            f"{self.spec.domain}: {verb} {_duration(self.waited())} for {len(missing)} of {total} "
            f"server/key pairs: {parts}{more}"
        )

    def failure(self) -> str:
        """The one actionable sentence for a deadline that passed."""
        missing = self.missing()
        names = sorted({m.name for m in missing}) or [n for n, _ in self.spec.keys]
        if not self.servers and self.problem:
            who = f"no nameserver could be queried: {self.problem}"
        else:
            # Grouped per record so several keys stay readable in one sentence.
            who = "; ".join(
                f"{name}: " + ", ".join(m.describe() for m in missing if m.name == name) for name in names
            ) or "no server answered"
        record = "record" if len(names) == 1 else "records"
        sentence = (
            f"The security key TXT {record} {', '.join(names)} {'was' if len(names) == 1 else 'were'} not served with the expected value "
            f"by every nameserver within {_duration(self.waited())} ({who}), so the MX records were not "
            f"created: fix the TXT record at your DNS provider (or raise timeoutSeconds) and run `pulumi up` again"
        )
        absent = [n for n in names if n in self.first_missing]
        if absent:
            known = [t for t in (self.first_missing[n] for n in absent) if t is not None]
            what = f"{absent[0]} did not exist" if len(absent) == 1 else f"{', '.join(absent)} did not exist"
            if known:
                sentence += (
                    f"; {what} when polling began, so resolvers that asked for it earlier, "
                    f"mailbox.org's included, may cache its absence for up to {_ttl(max(known))} "
                    f"(min of SOA TTL and SOA MINIMUM, RFC 2308) after it appears"
                )
            else:
                sentence += (
                    f"; {what} when polling began, so resolvers that asked for it earlier, "
                    "mailbox.org's included, may cache its absence for the zone's negative TTL (RFC 2308)"
                )
        return sentence + "."

    # ---- write side (poller thread) -----------------------------------------------------
    def _record(self, answers: list[Answer], resolver: bool = False) -> None:
        expected = dict(self.spec.keys)
        with self._cond:
            for a in answers:
                key = (a.server, a.name)
                self.last[key] = a
                self.queries += 1
                if a.has(expected[a.name]):
                    self.done.add(key)
                # RFC 2308 note only for authoritative first answers saying "absent".
                if not resolver and a.name not in self.first_missing and self.rounds == 0:
                    if a.status in ("nxdomain", "nodata"):
                        self.first_missing[a.name] = a.soa_negative_ttl
            if not resolver:
                self.rounds += 1

    def _set_state(self, state: str, problem: str | None = None) -> None:
        with self._cond:
            self.state = state
            if problem is not None:
                self.problem = problem
            if state in ("verified", "expired"):
                self.finished = time.monotonic()
                if state == "verified":
                    self.verified_wall = time.time()
            self.changes += 1
            self._cond.notify_all()

    def _bump(self) -> None:
        with self._cond:
            self.changes += 1
            self._cond.notify_all()


def _iso(stamp: float) -> str:
    return datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).isoformat(timespec="milliseconds")


def _ttl(seconds: int) -> str:
    return f"{seconds} s ({_duration(seconds)})" if seconds >= 120 else f"{seconds} s"


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes} min {secs} s" if secs else f"{minutes} min"


DiscoverFn = Callable[[str], Delegation]


class Poller:
    """Polls every registered Watch on one asyncio loop in one daemon thread."""

    def __init__(self, discover_fn: DiscoverFn | None = None) -> None:
        self._discover = discover_fn or (lambda domain: discover(domain))
        self._watches: dict[GateSpec, Watch] = {}
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run_loop, name="mbo-dns-poller", daemon=True)
        self._thread.start()
        self._ready.wait()

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._sem = asyncio.Semaphore(MAX_CONCURRENT_QUERIES)
        self._ready.set()
        self._loop.run_forever()

    def register(self, spec: GateSpec) -> Watch:
        """The Watch for this spec, started now unless it already exists (then reused)."""
        with self._lock:
            watch = self._watches.get(spec)
            if watch is None:
                watch = Watch(spec)
                self._watches[spec] = watch
                asyncio.run_coroutine_threadsafe(self._poll(watch), self._loop)
            return watch

    def get(self, spec: GateSpec) -> Watch | None:
        with self._lock:
            return self._watches.get(spec)

    def watches(self) -> list[Watch]:
        with self._lock:
            return list(self._watches.values())

    async def _ask(self, server: Server, name: str, spec: GateSpec, recursive: bool) -> Answer:
        async with self._sem:
            return await query_async(server, name, "TXT", spec.query_timeout_seconds, recursive)

    async def _sleep(self, watch: Watch, seconds: float) -> bool:
        """Sleep, or wake early on kick(); True when kicked."""
        assert watch._kick is not None
        try:
            await asyncio.wait_for(watch._kick.wait(), max(0.0, seconds))
        except asyncio.TimeoutError:
            return False
        watch._kick.clear()
        return True

    async def _poll(self, watch: Watch) -> None:
        spec = watch.spec
        watch._loop = self._loop
        watch._kick = asyncio.Event()
        try:
            if not await self._resolve_servers(watch):
                watch._set_state("expired")
                return
            watch._set_state("polling")
            interval = spec.interval_seconds
            while True:
                await self._round(watch)
                if watch.verified:
                    return
                now = time.monotonic()
                if now >= watch.deadline:
                    watch._set_state("expired")
                    return
                if await self._sleep(watch, min(interval, watch.deadline - now)):
                    interval = spec.interval_seconds
                else:
                    interval = min(interval * BACKOFF, spec.max_interval_seconds)
        except Exception as exc:  # noqa: BLE001 - never leave a gate waiting on a dead task
            watch._set_state("expired", problem=f"poller error {type(exc).__name__}: {exc}")

    async def _resolve_servers(self, watch: Watch) -> bool:
        spec = watch.spec
        try:
            watch.resolvers = tuple(parse_server(r) for r in spec.resolvers)
            if spec.servers:
                watch.servers = tuple(parse_server(s) for s in spec.servers)
                return True
        except ValueError as exc:
            watch.problem = str(exc)
            return False
        interval = spec.interval_seconds
        while True:
            try:
                delegation = await self._loop.run_in_executor(None, self._discover, spec.domain)
                watch.servers = delegation.servers
                watch.problem = "; ".join(delegation.problems)
                return True
            except Exception as exc:  # noqa: BLE001 - keep trying until the deadline
                watch.problem = str(exc)
                watch._bump()
            now = time.monotonic()
            if now >= watch.deadline:
                return False
            await self._sleep(watch, min(interval, watch.deadline - now))
            interval = min(interval * BACKOFF, spec.max_interval_seconds)

    async def _round(self, watch: Watch) -> None:
        spec = watch.spec
        pending = [(s, n) for s in watch.servers for n, _ in spec.keys if (s, n) not in watch.done]
        if pending:
            answers = await asyncio.gather(*(self._ask(s, n, spec, False) for s, n in pending))
            watch._record(list(answers))
        authoritative_done = all((s, n) in watch.done for s in watch.servers for n, _ in spec.keys)
        # Resolvers only once every authoritative server serves the value: asking earlier
        # would make them cache the absence (RFC 2308) and delay the very thing we wait for.
        if authoritative_done and watch.resolvers:
            pending = [(s, n) for s in watch.resolvers for n, _ in spec.keys if (s, n) not in watch.done]
            if pending:
                answers = await asyncio.gather(*(self._ask(s, n, spec, True) for s, n in pending))
                watch._record(list(answers), resolver=True)
        everything = [(s, n) for s in watch.servers + watch.resolvers for n, _ in spec.keys]
        if everything and all(p in watch.done for p in everything):
            watch._set_state("verified")
        else:
            watch._bump()


_POLLER: Poller | None = None
_POLLER_LOCK = threading.Lock()


def get_poller() -> Poller:
    """The process-wide poller (created on first use)."""
    global _POLLER
    with _POLLER_LOCK:
        if _POLLER is None:
            _POLLER = Poller()
        return _POLLER
