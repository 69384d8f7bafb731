"""probe.py against a real BIND on 127.0.0.1 (and stand-ins for broken servers)."""

from __future__ import annotations

import asyncio

import dns.rcode
import pytest

from dns_server import BindServer, RcodeServer, SilentServer, txt_rdata, zone_text
from mbo_component.gate_spec import GateSpec
from mbo_component.probe import (
    Answer,
    Server,
    discover,
    has_route,
    parse_server,
    query,
    query_async,
    system_resolver,
)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("192.0.2.1", Server("192.0.2.1", 53)),
        ("192.0.2.1:5353", Server("192.0.2.1", 5353)),
        ("[2001:db8::1]:53", Server("2001:db8::1", 53)),
        ("[::1]", Server("::1", 53)),
        ("2001:db8::2", Server("2001:db8::2", 53)),
        (" 127.0.0.1:1053 ", Server("127.0.0.1", 1053)),
    ],
)
def test_parse_server(spec: str, expected: Server) -> None:
    assert parse_server(spec) == expected
    assert parse_server(expected.spec) == expected  # spec round-trips


@pytest.mark.parametrize("spec", ["", "[::1", "[::1]x", "127.0.0.1:0", "127.0.0.1:99999", "127.0.0.1:dns", "a b"])
def test_parse_server_rejects(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_server(spec)


def test_parse_server_resolves_a_host_name() -> None:
    server = parse_server("localhost:1053")
    assert server.port == 1053 and server.address in ("127.0.0.1", "::1") and server.name == "localhost"


def _bind(bind_factory, negative_ttl: int = 42, soa_ttl: int = 300) -> tuple[BindServer, Server]:
    ns = bind_factory({"example.com": zone_text("example.com", soa_ttl=soa_ttl, negative_ttl=negative_ttl)})
    return ns, parse_server(ns.spec)


def test_nxdomain_then_value(bind_factory) -> None:
    ns, server = _bind(bind_factory)
    before = query(server, "mbo1.example.com")
    assert before.status == "nxdomain" and before.soa_negative_ttl == 42 and not before.ok
    ns.add_records("example.com", [("mbo1.example.com", 300, "TXT", txt_rdata("abc"))])
    after = query(server, "mbo1.example.com")
    assert after.status == "ok" and after.values == ("abc",) and after.has("abc") and not after.has("ab")


@pytest.mark.parametrize(("soa_ttl", "minimum", "expected"), [(300, 42, 42), (30, 120, 30)])
def test_negative_ttl_is_min_of_soa_ttl_and_minimum(bind_factory, soa_ttl: int, minimum: int, expected: int) -> None:
    _, server = _bind(bind_factory, negative_ttl=minimum, soa_ttl=soa_ttl)
    assert query(server, "nothing.example.com").soa_negative_ttl == expected


def test_nodata(bind_factory) -> None:
    ns, server = _bind(bind_factory)
    ns.add_records("example.com", [("host.example.com", 300, "A", "192.0.2.1")])
    answer = query(server, "host.example.com")
    assert answer.status == "nodata" and answer.soa_negative_ttl == 42
    assert "NODATA" in answer.describe("x")


def test_long_value_is_joined_and_other_values_reported(bind_factory) -> None:
    ns, server = _bind(bind_factory)
    long_value = "k" * 300  # two character-strings on the wire
    ns.replace("example.com", "example.com", "TXT", [txt_rdata(long_value), txt_rdata("v=spf1 -all")])
    answer = query(server, "example.com")
    assert answer.status == "ok" and set(answer.values) == {long_value, "v=spf1 -all"}
    assert answer.has(long_value)
    assert query(server, "example.com").describe("other").startswith("other values")


def test_truncated_udp_answer_falls_back_to_tcp(bind_factory) -> None:
    ns, server = _bind(bind_factory)
    values = [f"{i:02d}" + "x" * 250 for i in range(12)]  # ~3 kB: over the 1232-byte EDNS payload
    ns.replace("example.com", "big.example.com", "TXT", [txt_rdata(v) for v in values])
    answer = query(server, "big.example.com")
    assert answer.status == "ok" and answer.used_tcp and set(answer.values) == set(values)


def test_refused_for_a_zone_the_server_does_not_serve(bind_factory) -> None:
    _, server = _bind(bind_factory)
    answer = query(server, "mbo1.other.test")
    assert answer.status == "refused" and answer.describe() == "REFUSED"


def test_servfail_from_a_zone_bind_cannot_load(bind_factory) -> None:
    ns = bind_factory({"example.com": zone_text("example.com")})
    ns.add_zone("broken.test", "$TTL 300\n@ IN SOA ns1 h 1 1 1 1 1\nthis is not a record\n", check=False)
    assert query(parse_server(ns.spec), "x.broken.test").status == "servfail"


def test_servfail_from_a_socket_server() -> None:
    with RcodeServer(dns.rcode.SERVFAIL) as broken:
        assert query(parse_server(broken.spec), "x.example.com", timeout=2).status == "servfail"


def test_timeout_when_nothing_answers() -> None:
    with SilentServer() as silent:
        answer = query(parse_server(silent.spec), "x.example.com", timeout=0.3)
    assert answer.status == "timeout" and "0.3" in answer.describe()


def test_query_async_runs_concurrently_per_pair(bind_factory) -> None:
    """The poller and `mbo-dns check` gather many query_async calls on one loop."""
    ns, server = _bind(bind_factory)
    ns.add_records("example.com", [("a.example.com", 300, "TXT", txt_rdata("1"))])

    async def ask_all(servers: list[Server]) -> list[Answer]:
        names = ["a.example.com", "b.example.com"]
        return list(await asyncio.gather(*(query_async(s, n, timeout=0.3) for s in servers for n in names)))

    with SilentServer() as silent:
        loop = asyncio.new_event_loop()  # private: leave the caller's asyncio state alone
        try:
            answers = loop.run_until_complete(ask_all([server, parse_server(silent.spec)]))
        finally:
            loop.close()
    assert [(a.name, a.status) for a in answers] == [
        ("a.example.com", "ok"),
        ("b.example.com", "nxdomain"),
        ("a.example.com", "timeout"),
        ("b.example.com", "timeout"),
    ]


def test_discover_finds_zone_ns_and_addresses(bind_factory) -> None:
    ns = bind_factory(
        {
            "example.com": zone_text(
                "example.com",
                ["ns2 IN AAAA ::1"],
                nameservers=[("ns1.example.com", "127.0.0.1"), ("ns2.example.com", "127.0.0.2")],
            )
        }
    )
    resolver = system_resolver([ns.spec])  # stands in for the system resolver
    delegation = discover("mbo1.sub.example.com", resolver=resolver, port=ns.port)
    assert delegation.zone == "example.com"
    assert delegation.nameservers == ("ns1.example.com", "ns2.example.com")
    assert {(s.name, s.address, s.port) for s in delegation.servers} == {
        ("ns1.example.com", "127.0.0.1", ns.port),
        ("ns2.example.com", "127.0.0.2", ns.port),
        ("ns2.example.com", "::1", ns.port),
    }


def test_discover_skips_addresses_without_a_route(bind_factory) -> None:
    """A runner without IPv6 still checks ns2 through its IPv4 address; an NS with only an
    unroutable address is kept, so the gate reports it instead of silently skipping it."""
    ns = bind_factory(
        {
            "example.com": zone_text(
                "example.com",
                ["ns2 IN AAAA ::1", "@ IN NS ns3.example.com.", "ns3 IN AAAA ::1"],
                nameservers=[("ns1.example.com", "127.0.0.1"), ("ns2.example.com", "127.0.0.2")],
            )
        }
    )
    no_ipv6 = lambda server: ":" not in server.address  # noqa: E731
    delegation = discover("example.com", resolver=system_resolver([ns.spec]), port=ns.port, routable=no_ipv6)
    assert {(s.name, s.address) for s in delegation.servers} == {
        ("ns1.example.com", "127.0.0.1"),
        ("ns2.example.com", "127.0.0.2"),
        ("ns3.example.com", "::1"),
    }
    assert delegation.problems == (
        f"ns2.example.com ([::1]:{ns.port}) skipped: no route from this machine (checked through its other addresses)",
    )


def test_has_route_for_loopback() -> None:
    assert has_route(Server("127.0.0.1", 53))


def test_discover_raises_lookup_error_without_zone(bind_factory) -> None:
    ns = bind_factory({"example.com": zone_text("example.com")})
    with pytest.raises(LookupError):
        discover("nothing.invalid", resolver=system_resolver([ns.spec], lifetime=2), lifetime=2)


def test_gate_spec_inputs_round_trip() -> None:
    spec = GateSpec("example.com", (("mbo1.example.com", "v"),), servers=("127.0.0.1:53",), timeout_seconds=60)
    inputs = spec.to_inputs()
    assert inputs["timeoutSeconds"] == 60.0 and inputs["keys"] == [{"name": "mbo1.example.com", "value": "v"}]
    assert GateSpec.from_inputs(inputs) == spec


def test_answer_describe_texts() -> None:
    server = Server("192.0.2.1")
    assert Answer(server, "n", "ok", ("a",)).describe("a") == "the expected value"
    assert Answer(server, "n", "ok", ("b",)).describe("a") == 'another value "b"'
    assert Answer(server, "n", "nxdomain").describe("a").startswith("NXDOMAIN")
    assert Answer(server, "n", "servfail").describe() == "SERVFAIL"


# ---- the poller in-process (discovery path; the host tests give explicit servers) -------
def test_poller_discovers_servers_and_verifies(bind_factory) -> None:
    from mbo_component.poller import Poller

    ns = bind_factory({"example.com": zone_text("example.com")})
    ns.add_records("example.com", [("mbo1.example.com", 300, "TXT", txt_rdata("v"))])
    resolver = system_resolver([ns.spec])
    poller = Poller(discover_fn=lambda domain: discover(domain, resolver=resolver, port=ns.port))
    spec = GateSpec("example.com", (("mbo1.example.com", "v"),), timeout_seconds=5, interval_seconds=0.05)
    watch = poller.register(spec)
    assert poller.register(spec) is watch  # same spec, same watch
    assert watch.wait(5) and watch.verified
    assert [str(s) for s in watch.servers] == [f"ns1.example.com (127.0.0.1:{ns.port})"]


def test_poller_reports_discovery_failure_at_deadline(bind_factory) -> None:
    from mbo_component.poller import Poller

    def fail(domain: str):
        raise LookupError(f"cannot find the authoritative nameservers of {domain}: test")

    poller = Poller(discover_fn=fail)
    watch = poller.register(GateSpec("example.com", (("mbo1.example.com", "v"),), timeout_seconds=0.5, interval_seconds=0.1))
    assert watch.wait(5) and not watch.verified
    assert "no nameserver could be queried: cannot find the authoritative nameservers of example.com" in watch.failure()
