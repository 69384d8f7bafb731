"""``mbo-dns check``: compare what DNS serves with the record plan, and find conflicts.

Every query of every domain runs at once on one asyncio loop (probe.query_async), so a
50-domain stack takes about as long as its slowest answer, not the sum of all.

Per planned record the result is ok, missing, different (something else is served there),
partial (some servers serve it, others do not) or unknown (no server gave an answer).
Conflicts are what a user must fix even when every planned record is in place: other MX
hosts, a second SPF record, more than 10 SPF lookups, an invalid DMARC record, a lagging
nameserver. Failures are queries that could not be answered: the check is then incomplete.
"""
from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import dns.resolver

from . import probe
from .dmarc import ALIGNMENTS, FAILURE_OPTIONS, POLICIES, mailto_problem
from .records import Record, plan
from .settings import DomainSettings
from .spf import MAX_DNS_LOOKUPS

STATUSES = ("ok", "missing", "different", "partial", "unknown")
CONFLICTS = ("other-mx", "second-spf", "spf-lookups", "spf-broken", "invalid-dmarc", "lagging-server", "nameserver")
# Answers that say something about the zone; the other probe statuses are failures to answer.
_DEFINITE = ("ok", "nxdomain", "nodata")
_MAX_PARALLEL_QUERIES = 256  # far below a resolver's rate limits, far above what 50 domains need

# A query function: (server, name, rdtype, recursive) -> Answer. Tests and the benchmark
# may pass their own; the default asks the network through probe.query_async.
QueryFn = Callable[[probe.Server, str, str, bool], Awaitable[probe.Answer]]


@dataclass(frozen=True)
class ServerAnswer:
    """What one server said for a record's (name, type): its status and the values served."""

    server: str
    status: str  # probe statuses: ok, nxdomain, nodata, servfail, refused, timeout, error
    values: tuple[str, ...]


@dataclass
class RecordResult:
    record: Record
    status: str  # one of STATUSES
    served: tuple[str, ...] = ()  # what is served instead (different/partial), presentation form
    detail: str = ""
    answers: list[ServerAnswer] = field(default_factory=list)


@dataclass(frozen=True)
class Conflict:
    kind: str  # one of CONFLICTS
    name: str  # the DNS name concerned
    message: str


@dataclass(frozen=True)
class Failure:
    """A query that got no usable answer: the check is incomplete for this name."""

    server: str
    name: str
    rdtype: str
    message: str


@dataclass
class DomainReport:
    domain: str
    zone: str | None
    servers: list[str]
    records: list[RecordResult] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    spf_lookups: int | None = None  # DNS-querying SPF terms with includes followed

    @property
    def problems(self) -> bool:
        return bool(self.conflicts) or any(r.status not in ("ok", "unknown") for r in self.records)


@dataclass
class CheckReport:
    domains: list[DomainReport]
    seconds: float = 0.0


def exit_code(report: CheckReport) -> int:
    """1 when a problem was found (even if parts could not be checked), 3 when something
    could not be checked and nothing wrong was found, 0 when everything is in place."""
    if any(d.problems for d in report.domains):
        return 1
    if any(d.failures or any(r.status == "unknown" for r in d.records) for d in report.domains):
        return 3
    return 0


# ---- comparing values ---------------------------------------------------------------------

def _host(text: str) -> str:
    return text.strip().rstrip(".").lower()


def _dmarc_tags(text: str) -> list[tuple[str, str]]:
    return [
        (k.strip().lower(), v.strip())
        for k, _, v in (t.partition("=") for t in text.split(";") if t.strip())
    ]


def is_spf(text: str) -> bool:
    return text.lower() == "v=spf1" or text.lower().startswith("v=spf1 ")


def is_dmarc(text: str) -> bool:
    return re.match(r"^v\s*=\s*DMARC1\s*(;|$)", text) is not None


def _normal(record: Record, value: str) -> object:
    """A served value (probe presentation: TXT unquoted, others zone-file text) in a form
    comparable with the planned record, ignoring what DNS and receivers ignore."""
    if record.type == "TXT":
        if record.purpose == "spf":
            return " ".join(value.lower().split())
        if record.purpose == "dmarc":
            return _dmarc_tags(value)
        if record.purpose == "dkim":
            return "".join(value.split())
        if record.purpose == "security-key":
            return value.strip().lower()
        return value
    parts = value.split()
    if record.type == "MX" and len(parts) == 2 and parts[0].isdigit():
        return (int(parts[0]), _host(parts[1]))
    if record.type == "SRV" and len(parts) == 4 and all(p.isdigit() for p in parts[:3]):
        return (int(parts[0]), int(parts[1]), int(parts[2]), _host(parts[3]))
    return _host(value)


def _planned_normal(record: Record) -> object:
    if record.type == "TXT":
        return _normal(record, record.value)
    return _normal(record, record.rdata())


def _rivals(record: Record, values: Sequence[str]) -> list[str]:
    """Served values that take the planned record's place (a different SPF, key, MX priority)."""
    if record.type == "TXT":
        if record.purpose == "spf":
            return [v for v in values if is_spf(v)]
        if record.purpose == "dmarc":
            return [v for v in values if is_dmarc(v)]
        if record.purpose == "dkim":
            return [v for v in values if v.lower().replace(" ", "").startswith("v=dkim1")] or list(values)
        if record.purpose == "apex-txt":
            return []  # other apex TXT (site verifications) are not this record's business
        return list(values)
    if record.type == "MX":
        return [v for v in values if _host(v.split()[-1]) == record.value]
    return list(values)


def compare(record: Record, answers: Sequence[probe.Answer]) -> RecordResult:
    """The status of one planned record from every server's answer to its (name, type)."""
    wanted = _planned_normal(record)
    seen = [ServerAnswer(str(a.server), a.status, a.values) for a in answers]
    definite = [a for a in answers if a.status in _DEFINITE]
    if not definite:
        reasons = "; ".join(f"{a.server}: {a.describe()}" for a in answers) or "no server to ask"
        return RecordResult(record, "unknown", detail=reasons, answers=seen)
    have = [a for a in definite if a.status == "ok" and any(_normal(record, v) == wanted for v in a.values)]
    lacking = [a for a in definite if a not in have]
    rivals = sorted({v for a in lacking if a.status == "ok" for v in _rivals(record, a.values)})
    if not lacking:
        return RecordResult(record, "ok", answers=seen)
    if have:
        names = ", ".join(str(a.server) for a in lacking)
        return RecordResult(record, "partial", tuple(rivals), f"not served by {names}", seen)
    if rivals:
        return RecordResult(record, "different", tuple(rivals), "served: " + "; ".join(rivals), seen)
    return RecordResult(record, "missing", detail=lacking[0].describe(), answers=seen)


# ---- DMARC validity -------------------------------------------------------------------------

def dmarc_problems(text: str) -> list[str]:
    """Why a served DMARC record is invalid (RFC 7489 6.3/6.4), or [] when it is valid."""
    tags = _dmarc_tags(text)
    if not tags or tags[0] != ("v", "DMARC1"):
        return ["the first tag must be v=DMARC1"]
    problems: list[str] = []
    values = dict(tags)
    names = [k for k, _ in tags]
    for dup in sorted({k for k in names if names.count(k) > 1}):
        problems.append(f"tag {dup} appears twice")
    if "p" not in values:
        problems.append("p= (the policy) is missing")
    for tag in ("p", "sp"):
        if tag in values and values[tag].lower() not in POLICIES:
            problems.append(f"{tag}={values[tag]} is not one of {', '.join(POLICIES)}")
    for tag in ("adkim", "aspf"):
        if tag in values and values[tag].lower() not in ALIGNMENTS:
            problems.append(f"{tag}={values[tag]} is not r or s")
    if "pct" in values and not (values["pct"].isdigit() and 0 <= int(values["pct"]) <= 100):
        problems.append(f"pct={values['pct']} is not a whole number from 0 to 100")
    if "fo" in values and not all(p in FAILURE_OPTIONS for p in values["fo"].split(":")):
        problems.append(f"fo={values['fo']} is not 0, 1, d or s (joined by ':')")
    for tag in ("rua", "ruf"):
        for uri in (u.strip() for u in values.get(tag, "").split(",") if u.strip()):
            problem = mailto_problem(uri)
            if problem:
                problems.append(f"{tag}: {problem}")
    return problems


# ---- SPF lookups ----------------------------------------------------------------------------

_LOOKUP_MECHANISMS = ("include", "a", "mx", "ptr", "exists")


@dataclass
class SpfCount:
    lookups: int = 0
    problems: list[str] = field(default_factory=list)  # permerrors: void include, loop
    failures: list[Failure] = field(default_factory=list)  # the resolver did not answer


class SpfFollower:
    """Counts an SPF record's DNS-querying terms with includes and redirects followed
    (RFC 7208 4.6.4), asking recursive resolvers; include texts are cached for the run."""

    def __init__(self, resolvers: Sequence[probe.Server], query: QueryFn) -> None:
        self.resolvers = list(resolvers)
        self.query = query
        self.cache: dict[str, asyncio.Task[tuple[list[str], Failure | None, str]]] = {}

    async def _fetch(self, name: str) -> tuple[list[str], Failure | None, str]:
        """(SPF records at name, failure if no resolver answered, status text)."""
        if not self.resolvers:
            return [], Failure("(no resolver)", name, "TXT", "no recursive resolver to follow SPF includes"), ""
        last: probe.Answer | None = None
        for server in self.resolvers:
            answer = await self.query(server, name, "TXT", True)
            if answer.status in _DEFINITE:
                return [v for v in answer.values if is_spf(v)], None, answer.status
            last = answer
        assert last is not None
        return [], Failure(str(last.server), name, "TXT", f"following SPF: {last.describe()}"), last.status

    async def spf_at(self, name: str) -> tuple[list[str], Failure | None, str]:
        key = name.lower().rstrip(".")
        if key not in self.cache:
            self.cache[key] = asyncio.ensure_future(self._fetch(key))
        return await self.cache[key]

    async def count(self, text: str, chain: tuple[str, ...], result: SpfCount) -> None:
        for term in text.split()[1:]:
            body = term.lstrip("+-~?")
            target: str | None
            if body.lower().startswith("redirect="):
                mechanism, target = "redirect", body.split("=", 1)[1]
            else:
                mechanism = re.split(r"[:/]", body.lower(), maxsplit=1)[0]
                if mechanism not in _LOOKUP_MECHANISMS:
                    continue  # ip4, ip6, all, exp= and unknown modifiers cost no lookup
                target = body.split(":", 1)[1] if mechanism == "include" and ":" in body else None
            result.lookups += 1
            if mechanism not in ("include", "redirect") or not target or "%" in target:
                continue  # macros are expanded per message: cannot be followed here
            where = f"{mechanism}:{target}" if mechanism == "include" else f"redirect={target}"
            if target.lower().rstrip(".") in chain:
                result.problems.append(f"{where} loops back to {target}")
                continue
            records, failure, status = await self.spf_at(target)
            if failure is not None:
                result.failures.append(failure)
            elif len(records) != 1:
                found = "no SPF record" if not records else f"{len(records)} SPF records"
                result.problems.append(f"{where}: {target} has {found} ({status}), a permanent error for receivers")
            else:
                await self.count(records[0], (*chain, target.lower().rstrip(".")), result)


# ---- running the check ----------------------------------------------------------------------

def _query_fn(timeout: float) -> QueryFn:
    semaphore = asyncio.Semaphore(_MAX_PARALLEL_QUERIES)

    async def query(server: probe.Server, name: str, rdtype: str, recursive: bool) -> probe.Answer:
        async with semaphore:
            answer = await probe.query_async(server, name, rdtype, timeout, recursive)
            if answer.status == "timeout":  # one retry: a lost UDP packet is not a broken server
                answer = await probe.query_async(server, name, rdtype, timeout, recursive)
            return answer

    return query


def default_resolvers() -> list[probe.Server]:
    """The system's recursive resolvers (port 53), or [] when none is configured."""
    try:
        return [probe.Server(a, 53) for a in dns.resolver.Resolver().nameservers if isinstance(a, str)]
    except Exception:  # noqa: BLE001 - no resolv.conf: SPF includes are then reported unchecked
        return []


async def _check_domain(
    settings: DomainSettings,
    servers: Sequence[probe.Server],
    zone: str | None,
    query: QueryFn,
    spf: SpfFollower,
) -> DomainReport:
    domain = settings.domain
    records = plan(settings)
    report = DomainReport(domain, zone, [str(s) for s in servers])
    wanted = list(dict.fromkeys([(r.name, r.type) for r in records]
                                + [(domain, "MX"), (domain, "TXT"), (f"_dmarc.{domain}", "TXT")]))
    jobs = [query(s, name, rdtype, False) for name, rdtype in wanted for s in servers]
    flat = await asyncio.gather(*jobs)
    answers: dict[tuple[str, str], list[probe.Answer]] = {
        key: list(flat[i * len(servers):(i + 1) * len(servers)]) for i, key in enumerate(wanted)
    }
    for key, group in answers.items():
        for a in group:
            if a.status not in _DEFINITE:
                report.failures.append(Failure(str(a.server), key[0], key[1], a.describe()))

    report.records = [compare(r, answers[(r.name, r.type)]) for r in records]
    await _explain_missing_cnames(report, servers, query)

    # Other MX hosts: a second mail route. Expected while mx is false (migration phase one).
    if settings.mx:
        planned_hosts = {h.host for h in settings.mx_hosts}
        others = sorted({v for a in answers[(domain, "MX")] if a.ok for v in a.values
                         if _host(v.split()[-1]) not in planned_hosts})
        if others:
            report.conflicts.append(Conflict(
                "other-mx", domain,
                f"other MX hosts beside mailbox.org's ({', '.join(others)}): senders may deliver there; remove them",
            ))

    apex = [a for a in answers[(domain, "TXT")] if a.ok]
    spf_sets = {tuple(sorted(v for v in a.values if is_spf(v))) for a in apex}
    for spf_set in sorted(spf_sets):
        if len(spf_set) > 1:
            report.conflicts.append(Conflict(
                "second-spf", domain,
                f"{len(spf_set)} SPF records ({'; '.join(spf_set)}): receivers treat that as a permanent error "
                "(RFC 7208 3.2); keep one and merge the other's terms into 'spf'",
            ))
    served_spf = sorted({v for s in spf_sets for v in s})
    planned_spf = next((r.value for r in records if r.purpose == "spf"), None)
    # Count the served record(s); before it is published, the one that will be.
    for text in served_spf or ([planned_spf] if planned_spf else []):
        count = SpfCount()
        await spf.count(text, (domain,), count)
        report.spf_lookups = max(report.spf_lookups or 0, count.lookups)
        report.failures += count.failures
        if count.lookups > MAX_DNS_LOOKUPS:
            report.conflicts.append(Conflict(
                "spf-lookups", domain,
                f"SPF needs {count.lookups} DNS lookups with includes followed; RFC 7208 allows {MAX_DNS_LOOKUPS} "
                f"({text}): replace includes by ip4/ip6 ranges",
            ))
        for problem in count.problems:
            report.conflicts.append(Conflict("spf-broken", domain, problem))

    dmarc_name = f"_dmarc.{domain}"
    for a in answers[(dmarc_name, "TXT")]:
        if not a.ok:
            continue
        found = [v for v in a.values if is_dmarc(v) or v.lower().startswith("v=dmarc")]
        if len(found) > 1:
            message = f"{a.server} serves {len(found)} DMARC records: receivers then apply none of them"
        elif found and dmarc_problems(found[0]):
            message = f"{found[0]!r}: " + "; ".join(dmarc_problems(found[0]))
        else:
            continue
        conflict = Conflict("invalid-dmarc", dmarc_name, message)
        if conflict not in report.conflicts:
            report.conflicts.append(conflict)

    # A lagging server: the gate and mailbox.org may ask exactly that one.
    lagging: dict[str, list[Record]] = {}
    for result in report.records:
        if result.status != "partial":
            continue
        wanted_value = _planned_normal(result.record)
        for said in result.answers:
            served = said.status == "ok" and any(_normal(result.record, v) == wanted_value for v in said.values)
            if said.status in _DEFINITE and not served:
                lagging.setdefault(said.server, []).append(result.record)
    for server, missing in lagging.items():
        names = ", ".join(f"{r.name} {r.type}" for r in missing)
        has_key = any(r.purpose == "security-key" for r in missing)
        report.conflicts.append(Conflict(
            "lagging-server", domain,
            f"{server} does not serve {len(missing)} record{'s' if len(missing) != 1 else ''} the other servers do"
            f"{', among them the security key' if has_key else ''} ({names}): "
            "check zone transfers/NOTIFY to it, or wait and check again",
        ))
    return report


async def _explain_missing_cnames(report: DomainReport, servers: Sequence[probe.Server], query: QueryFn) -> None:
    """A planned CNAME answered with NODATA usually means other data sits at the name, most
    often the article's DKIM TXT key where the CNAME delegation should be: say what is there."""
    missing = [r for r in report.records if r.status == "missing" and r.record.type == "CNAME"
               and any(a.status == "nodata" for a in r.answers)]
    if not missing:
        return
    found = await asyncio.gather(*(query(s, r.record.name, "TXT", False) for r in missing for s in servers))
    for i, result in enumerate(missing):
        txt = sorted({v for a in found[i * len(servers):(i + 1) * len(servers)] if a.ok for v in a.values})
        if txt:
            result.status = "different"
            result.served = tuple(f"TXT {v}" for v in txt)
            result.detail = "a TXT record is served instead of the CNAME: delete it so the CNAME can be created"


def _failed_domain(settings: DomainSettings, message: str) -> DomainReport:
    report = DomainReport(settings.domain, None, [])
    report.failures.append(Failure("(discovery)", settings.domain, "NS", message))
    report.records = [RecordResult(r, "unknown", detail=message) for r in plan(settings)]
    return report


async def check_async(
    domains: Sequence[DomainSettings],
    nameservers: Sequence[str] = (),
    resolvers: Sequence[str] = (),
    timeout: float = 3.0,
    query: QueryFn | None = None,
) -> CheckReport:
    loop = asyncio.get_running_loop()
    start = loop.time()
    given = [probe.parse_server(s) for s in nameservers]
    recursive = [probe.parse_server(s) for s in resolvers] or default_resolvers()
    query = query or _query_fn(timeout)
    spf = SpfFollower(recursive, query)

    async def one(settings: DomainSettings) -> DomainReport:
        if given:
            return await _check_domain(settings, given, None, query, spf)
        try:
            resolver = probe.system_resolver(list(resolvers), lifetime=max(timeout * 3, 5.0))
            delegation = await loop.run_in_executor(pool, probe.discover, settings.domain, resolver)
        except (LookupError, ValueError) as exc:
            return _failed_domain(settings, str(exc))
        report = await _check_domain(settings, delegation.servers, delegation.zone, query, spf)
        report.conflicts += [Conflict("nameserver", delegation.zone, p) for p in delegation.problems]
        return report

    # Discovery is blocking dnspython: threads, so 50 domains are discovered side by side.
    with ThreadPoolExecutor(max_workers=32) as pool:
        reports = list(await asyncio.gather(*(one(s) for s in domains)))
    return CheckReport(reports, loop.time() - start)


def run_check(
    domains: Sequence[DomainSettings],
    nameservers: Sequence[str] = (),
    resolvers: Sequence[str] = (),
    timeout: float = 3.0,
) -> CheckReport:
    """Blocking front for the CLI. Raises ValueError for a bad server spec."""
    for spec in [*nameservers, *resolvers]:
        probe.parse_server(spec)  # fail before any query, with the spec named
    # A private loop, not asyncio.run: that would leave "no current event loop" behind for
    # in-process callers (Pulumi's mocks ask asyncio.get_event_loop() later).
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(check_async(domains, nameservers, resolvers, timeout))
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
