"""Ask DNS servers directly what they serve for a name.

dnspython only: this module is loaded by the dynamic-provider host (every import is paid
there) and by the `mbo-dns check` CLI. Nothing here raises for a DNS-level failure: a
query always yields an `Answer` whose `status` says what happened.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.nameserver
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver

from .gate_spec import split_server

# Statuses an Answer can carry, from best to worst.
STATUSES = ("ok", "nxdomain", "nodata", "servfail", "refused", "timeout", "error")

# EDNS payload size recommended by DNS Flag Day 2020: big answers get TC and go to TCP.
EDNS_PAYLOAD = 1232


@dataclass(frozen=True, order=True)
class Server:
    """One DNS server to query: an IP address and port, with the name it was found under."""

    address: str
    port: int = 53
    name: str = ""  # NS host name when discovered, "" when given as an address

    @property
    def spec(self) -> str:
        """`host:port` text; IPv6 in brackets. Round-trips through `parse_server`."""
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"

    def __str__(self) -> str:
        return f"{self.name} ({self.spec})" if self.name else self.spec


def parse_server(spec: str, default_port: int = 53) -> Server:
    """Parse `host[:port]`: `192.0.2.1`, `192.0.2.1:5353`, `[2001:db8::1]:53`, `2001:db8::1`.

    A host name (not an address) is resolved with the system resolver. Raises ValueError
    with a readable reason for a bad spec.
    """
    host, port = split_server(spec, default_port)
    try:
        return Server(str(ipaddress.ip_address(host)), port)
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except OSError as exc:
        raise ValueError(f"{spec!r}: cannot resolve host {host!r} ({exc})") from None
    return Server(str(infos[0][4][0]), port, host)


@dataclass(frozen=True)
class Answer:
    """What one server said about (name, rdtype)."""

    server: Server
    name: str
    status: str  # one of STATUSES
    values: tuple[str, ...] = ()  # TXT: the character-strings of each RR joined
    soa_negative_ttl: int | None = None  # RFC 2308: min(SOA TTL, SOA MINIMUM) on NXDOMAIN/NODATA
    detail: str = ""
    elapsed: float = 0.0
    used_tcp: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def has(self, value: str) -> bool:
        return self.status == "ok" and value in self.values

    def describe(self, expected: str | None = None) -> str:
        """Short human text: `NXDOMAIN`, `another value "x"`, `timeout after 3.0 s`."""
        if self.status == "ok":
            if expected is not None and expected in self.values:
                return "the expected value"
            shown = ", ".join(_quote(v) for v in self.values[:3])
            more = f" (+{len(self.values) - 3} more)" if len(self.values) > 3 else ""
            label = "another value" if len(self.values) == 1 else "other values"
            return f"{label} {shown}{more}" if expected is not None else f"{shown}{more}"
        text = {
            "nxdomain": "NXDOMAIN (no such name)",
            "nodata": "no record of that type (NODATA)",
            "servfail": "SERVFAIL",
            "refused": "REFUSED",
            "timeout": "nothing (timeout)",
            "error": "an error",
        }[self.status]
        if self.status == "timeout" and self.detail:
            return f"nothing (timeout {self.detail})"
        return f"{text}: {self.detail}" if self.detail and self.status == "error" else text


def _quote(value: str, limit: int = 60) -> str:
    shown = value if len(value) <= limit else value[: limit - 1] + "…"
    return '"' + shown.replace('"', '\\"') + '"'


def make_query(name: str, rdtype: str = "TXT", recursive: bool = False) -> dns.message.Message:
    """A query with EDNS0 (payload 1232); RD only when asking a recursive resolver."""
    q = dns.message.make_query(name, rdtype, use_edns=0, payload=EDNS_PAYLOAD)
    if not recursive:
        q.flags &= ~dns.flags.RD
    return q


def answer_from_response(
    server: Server, name: str, rdtype: str, response: dns.message.Message, elapsed: float = 0.0, used_tcp: bool = False
) -> Answer:
    """Classify a response into an Answer (pure: usable with any transport)."""
    rcode = response.rcode()

    def answer(status: str, values: tuple[str, ...] = (), negative_ttl: int | None = None, detail: str = "") -> Answer:
        return Answer(server, name, status, values, negative_ttl, detail, elapsed, used_tcp)

    if rcode == dns.rcode.SERVFAIL:
        return answer("servfail")
    if rcode == dns.rcode.REFUSED:
        return answer("refused")
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        return answer("error", detail=f"rcode {dns.rcode.to_text(rcode)}")
    wanted = dns.rdatatype.from_text(rdtype)
    values: list[str] = []
    for rrset in response.answer:
        if rrset.rdtype != wanted:
            continue  # e.g. a CNAME in front of the TXT
        for rdata in rrset:
            values.append(_rdata_text(rdata))
    if values:
        return answer("ok", tuple(values))
    negative_ttl = None
    for rrset in response.authority:
        if rrset.rdtype == dns.rdatatype.SOA:
            negative_ttl = min(rrset.ttl, rrset[0].minimum)
    if rcode == dns.rcode.NXDOMAIN:
        return answer("nxdomain", negative_ttl=negative_ttl)
    if negative_ttl is None and not (response.flags & dns.flags.AA) and any(
        rrset.rdtype == dns.rdatatype.NS for rrset in response.authority
    ):
        # A referral: this server is not authoritative for the zone (lame delegation).
        return answer("error", detail="referral: server is not authoritative for this zone")
    return answer("nodata", negative_ttl=negative_ttl)


def _rdata_text(rdata: object) -> str:
    strings = getattr(rdata, "strings", None)
    if strings is not None:
        # One TXT RR = one value: its character-strings are concatenated (RFC 7208 3.3 style).
        return b"".join(strings).decode("utf-8", errors="replace")
    return rdata.to_text()  # type: ignore[attr-defined]


def _error_answer(server: Server, name: str, exc: BaseException, timeout: float, elapsed: float) -> Answer:
    if isinstance(exc, (dns.exception.Timeout, asyncio.TimeoutError, TimeoutError)):
        return Answer(server, name, "timeout", detail=f"after {timeout:g} s", elapsed=elapsed)
    if isinstance(exc, ConnectionRefusedError):
        return Answer(server, name, "error", detail="connection refused", elapsed=elapsed)
    return Answer(server, name, "error", detail=f"{type(exc).__name__}: {exc}".rstrip(": "), elapsed=elapsed)


def query(server: Server, name: str, rdtype: str = "TXT", timeout: float = 3.0, recursive: bool = False) -> Answer:
    """Ask one server once over UDP, retrying over TCP when the answer is truncated."""
    q = make_query(name, rdtype, recursive)
    start = time.monotonic()
    try:
        response, used_tcp = dns.query.udp_with_fallback(q, server.address, timeout=timeout, port=server.port)
    except Exception as exc:  # noqa: BLE001 - every failure becomes an Answer
        return _error_answer(server, name, exc, timeout, time.monotonic() - start)
    return answer_from_response(server, name, rdtype, response, time.monotonic() - start, used_tcp)


async def query_async(
    server: Server, name: str, rdtype: str = "TXT", timeout: float = 3.0, recursive: bool = False
) -> Answer:
    """Same as `query`, for an asyncio loop (the poller runs hundreds of these at once)."""
    q = make_query(name, rdtype, recursive)
    start = time.monotonic()
    try:
        # wait_for bounds UDP + TCP fallback together by the per-query timeout.
        response, used_tcp = await asyncio.wait_for(
            dns.asyncquery.udp_with_fallback(q, server.address, timeout=timeout, port=server.port), timeout
        )
    except Exception as exc:  # noqa: BLE001
        return _error_answer(server, name, exc, timeout, time.monotonic() - start)
    return answer_from_response(server, name, rdtype, response, time.monotonic() - start, used_tcp)


@dataclass(frozen=True)
class Delegation:
    """A zone cut found through a resolver: the zone, its NS names and their addresses."""

    zone: str
    nameservers: tuple[str, ...]
    servers: tuple[Server, ...]
    problems: tuple[str, ...] = field(default=())  # e.g. an NS name without an address


def system_resolver(nameservers: Sequence[str] = (), lifetime: float = 10.0) -> dns.resolver.Resolver:
    """The system resolver, or one that asks the given `host[:port]` resolvers."""
    if not nameservers:
        resolver = dns.resolver.Resolver()
    else:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [
            dns.nameserver.Do53Nameserver(s.address, s.port) for s in (parse_server(n) for n in nameservers)
        ]
    resolver.lifetime = lifetime
    return resolver


def has_route(server: Server) -> bool:
    """Whether this machine has a route to the address (a UDP connect sends no packet).

    Many CI runners have no IPv6: their queries to an NS's AAAA address fail at once with
    "network unreachable", which says nothing about the nameserver.
    """
    family = socket.AF_INET6 if ":" in server.address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((server.address, server.port))
        return True
    except OSError:
        return False


def discover(
    domain: str,
    resolver: dns.resolver.Resolver | None = None,
    port: int = 53,
    lifetime: float = 10.0,
    routable: Callable[[Server], bool] = has_route,
) -> Delegation:
    """Find the zone containing `domain`, its NS set and every NS address (A and AAAA).

    An address this machine has no route to is left out when the same nameserver has another
    one (noted in `problems`): the nameserver is still checked, through the address it can reach.
    Raises LookupError when the zone or its NS set cannot be found. `port` is the port the
    authoritative servers are queried on later (53 except in tests).
    """
    res = resolver or system_resolver(lifetime=lifetime)
    try:
        zone = dns.resolver.zone_for_name(domain.rstrip(".") + ".", resolver=res, lifetime=lifetime)
        ns_answer = res.resolve(zone, "NS", lifetime=lifetime)
    except dns.exception.DNSException as exc:
        raise LookupError(f"cannot find the authoritative nameservers of {domain}: {exc}") from None
    names = sorted({rr.target.to_text() for rr in ns_answer})
    servers: list[Server] = []
    problems: list[str] = []
    for ns in names:
        addresses: list[Server] = []
        for rdtype in ("A", "AAAA"):
            try:
                addresses += [Server(rr.address, port, ns.rstrip(".")) for rr in res.resolve(ns, rdtype, lifetime=lifetime)]
            except dns.exception.DNSException:
                continue  # many NS hosts have no AAAA
        if not addresses:
            problems.append(f"nameserver {ns} has no A or AAAA address")
        reachable = [s for s in addresses if routable(s)]
        for skipped in (s for s in addresses if s not in reachable) if reachable else ():
            problems.append(f"{skipped} skipped: no route from this machine (checked through its other addresses)")
        servers += reachable or addresses
    if not servers:
        raise LookupError(f"no nameserver of {zone.to_text()} has an address: {'; '.join(problems)}")
    return Delegation(zone.to_text().rstrip(".") or ".", tuple(n.rstrip(".") for n in names), tuple(servers), tuple(problems))
