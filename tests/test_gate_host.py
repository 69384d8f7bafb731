"""The verification gate through the real dynamic-provider host, against real BIND servers."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator

import pytest

from dns_server import BindServer, SilentServer, txt_rdata, zone_text
from host import DynamicHost, HostError
from mbo_component.gate import GateProvider, GateSpec, WatchProvider

ZONE = "example.com"
KEY = "mbo1.example.com"
VALUE = "c965215" + "0" * 33


@pytest.fixture(scope="module")
def host() -> Iterator[DynamicHost]:
    with DynamicHost() as h:
        yield h


def spec_for(*servers: str, keys: tuple[tuple[str, str], ...] = ((KEY, VALUE),), domain: str = ZONE, **timing: float) -> GateSpec:
    settings = dict(timeout_seconds=8, interval_seconds=0.05, max_interval_seconds=0.3, query_timeout_seconds=0.5)
    settings.update(timing)
    return GateSpec(domain, keys, servers=tuple(servers), **settings)  # type: ignore[arg-type]


def checked(host: DynamicHost, provider: Any, spec: GateSpec) -> dict[str, Any]:
    inputs, failures = host.check(host.props(provider, spec.to_inputs()))
    assert failures == []
    return inputs


def run_gate(host: DynamicHost, spec: GateSpec, watch_first: bool = False, name: str = "gate") -> tuple[str, dict[str, Any]]:
    if watch_first:
        host.create(checked(host, WatchProvider(), spec), name=name + "-watch")
    return host.create(checked(host, GateProvider(), spec), name=name)


def new_bind(bind_factory: Any) -> BindServer:
    return bind_factory({ZONE: zone_text(ZONE, negative_ttl=120, soa_ttl=300)})


def publish(ns: BindServer, value: str = VALUE, name: str = KEY) -> None:
    ns.replace(ZONE, name, "TXT", [txt_rdata(value)])


# ---- the gate's waiting -----------------------------------------------------------------
def test_key_already_present(host: DynamicHost, bind_factory: Any) -> None:
    ns = new_bind(bind_factory)
    publish(ns)
    start = time.monotonic()
    id_, outs = run_gate(host, spec_for(ns.spec))
    assert time.monotonic() - start < 5
    assert id_ == "gate-example.com"
    assert outs["verifiedAt"] and outs["checkedServers"] == [ns.spec]
    assert outs["keys"] == [{"name": KEY, "value": VALUE}]


def test_key_appearing_after_a_delay(host: DynamicHost, bind_factory: Any) -> None:
    ns = new_bind(bind_factory)
    timer = ns.add_txt_later(1.0, ZONE, KEY, VALUE)
    id_, outs = run_gate(host, spec_for(ns.spec), watch_first=True)
    returned = time.monotonic()
    assert returned >= timer.done_at  # type: ignore[attr-defined]
    assert returned - timer.done_at < 3  # type: ignore[attr-defined]  # interval caps at 0.3 s


def test_wrong_value_then_corrected(host: DynamicHost, bind_factory: Any) -> None:
    ns = new_bind(bind_factory)
    publish(ns, "wrong-value")
    timer = ns.add_txt_later(1.0, ZONE, KEY, VALUE)
    run_gate(host, spec_for(ns.spec), name="wrong")
    assert time.monotonic() >= timer.done_at  # type: ignore[attr-defined]
    assert any('another value "wrong-value"' in line for line in host.lines("mbo verification gate"))


def test_one_of_two_servers_lagging(host: DynamicHost, bind_factory: Any) -> None:
    first, lagging = new_bind(bind_factory), new_bind(bind_factory)
    publish(first)
    timer = lagging.add_txt_later(1.0, ZONE, KEY, VALUE)
    _, outs = run_gate(host, spec_for(first.spec, lagging.spec), name="lag")
    assert time.monotonic() >= timer.done_at  # type: ignore[attr-defined]
    assert outs["checkedServers"] == [first.spec, lagging.spec]
    progress = host.lines(f"{lagging.spec} answered NXDOMAIN")
    assert progress and not any(f"{first.spec} answered" in line for line in progress)


def test_truncated_udp_answer_is_retried_over_tcp(host: DynamicHost, bind_factory: Any) -> None:
    ns = new_bind(bind_factory)
    filler = [txt_rdata(f"{i:02d}" + "x" * 250) for i in range(12)]  # ~3 kB RRset: TC over UDP
    ns.replace(ZONE, KEY, "TXT", [*filler, txt_rdata(VALUE)])
    _, outs = run_gate(host, spec_for(ns.spec), name="big")
    assert outs["verifiedAt"]


def test_several_keys_all_needed(host: DynamicHost, bind_factory: Any) -> None:
    ns = new_bind(bind_factory)
    keys = ((KEY, VALUE), ("mbo2.example.com", "second-account"))
    publish(ns)
    timer = ns.add_txt_later(1.0, ZONE, "mbo2.example.com", "second-account")
    run_gate(host, spec_for(ns.spec, keys=keys), name="keys")
    assert time.monotonic() >= timer.done_at  # type: ignore[attr-defined]


# ---- failures at the deadline -----------------------------------------------------------
def test_deadline_message(host: DynamicHost, bind_factory: Any) -> None:
    ns = new_bind(bind_factory)
    start = time.monotonic()
    with pytest.raises(HostError) as caught:
        run_gate(host, spec_for(ns.spec, timeout_seconds=1.5), name="late")
    waited = time.monotonic() - start
    assert 1.4 <= waited < 10
    line = caught.value.last_line
    assert line.startswith("The security key TXT record mbo1.example.com was not served")
    assert f"mbo1.example.com: {ns.spec} answered NXDOMAIN" in line
    assert "within 1.5 s" in line
    assert "MX records were not created" in line and "run `pulumi up` again" in line
    # RFC 2308: min(SOA TTL 300, MINIMUM 120)
    assert "mbo1.example.com did not exist when polling began" in line
    assert "cache its absence for up to 120 s" in line and "RFC 2308" in line
    assert line.endswith(".") and "\n" not in line


@pytest.mark.parametrize("failure", ["servfail", "refused", "silent"])
def test_one_server_broken(host: DynamicHost, bind_factory: Any, failure: str) -> None:
    good = new_bind(bind_factory)
    publish(good)
    if failure == "servfail":  # BIND with the zone file broken: the zone fails to load
        bad = bind_factory({"other.test": zone_text("other.test")})
        bad.add_zone(ZONE, "$TTL 300\n@ IN SOA ns1 h 1 1 1 1 1\nnot a record\n", check=False)
        bad_spec, expected = bad.spec, "answered SERVFAIL"
    elif failure == "refused":  # BIND not serving the zone, recursion off
        bad = bind_factory({"other.test": zone_text("other.test")})
        bad_spec, expected = bad.spec, "answered REFUSED"
    else:
        silent = SilentServer()
        bad_spec, expected = silent.spec, "did not answer within 0.5 s"
    try:
        with pytest.raises(HostError) as caught:
            run_gate(host, spec_for(good.spec, bad_spec, timeout_seconds=1.5), name=f"broken-{failure}")
    finally:
        if failure == "silent":
            silent.stop()
    line = caught.value.last_line
    assert f"{bad_spec} {expected}" in line
    assert good.spec not in line  # the good server is not blamed
    assert "did not exist" not in line  # the good server served it from the start


# ---- resource lifecycle -----------------------------------------------------------------
def test_check_reports_bad_inputs(host: DynamicHost) -> None:
    inputs = spec_for("127.0.0.1:99999", interval_seconds=60).to_inputs()
    inputs["keys"] = [{"name": "mbo1.elsewhere.org", "value": ""}]
    inputs["timeoutSeconds"] = 7200
    _, failures = host.check(host.props(GateProvider(), inputs))
    properties = {p for p, _ in failures}
    assert {"servers[0]", "keys[0].name", "keys[0].value", "timeoutSeconds", "intervalSeconds"} <= properties


def test_check_normalizes(host: DynamicHost) -> None:
    inputs = spec_for("127.0.0.1:53").to_inputs()
    inputs["domain"] = "Example.COM."
    inputs["keys"] = [{"name": "MBO1.example.com.", "value": VALUE}]
    del inputs["resolvers"], inputs["maxIntervalSeconds"]
    checked_inputs, failures = host.check(host.props(GateProvider(), inputs))
    assert failures == []
    assert checked_inputs["domain"] == "example.com" and checked_inputs["keys"][0]["name"] == KEY
    assert checked_inputs["resolvers"] == [] and checked_inputs["maxIntervalSeconds"] == 30


def test_diff_update_read_delete(host: DynamicHost, bind_factory: Any) -> None:
    ns = new_bind(bind_factory)
    publish(ns)
    spec = spec_for(ns.spec)
    for provider, name in ((WatchProvider(), "life-watch"), (GateProvider(), "life")):
        id_, outs = host.create(checked(host, provider, spec), name=name)
        # Unchanged inputs (ints where the state holds floats, fresh __provider): no diff.
        same = host.props(provider, {**spec.to_inputs(), "timeoutSeconds": 8, "intervalSeconds": 0.05})
        assert host.diff(id_, outs, same, name=name).changes == 1  # DIFF_NONE
        # A changed key: update in place, not replace.
        changed_spec = spec_for(ns.spec, keys=((KEY, "rotated"),))
        response = host.diff(id_, outs, host.props(provider, changed_spec.to_inputs()), name=name)
        assert response.changes == 2 and list(response.replaces) == []  # DIFF_SOME
        # Refresh keeps the state.
        read_id, read_outs = host.read(id_, outs, name=name)
        assert read_id == id_ and {k: v for k, v in read_outs.items() if k != "__provider"} == {
            k: v for k, v in outs.items() if k != "__provider"
        }
        # Delete touches nothing in DNS.
        host.delete(id_, outs, name=name)
    from mbo_component.probe import parse_server, query

    assert query(parse_server(ns.spec), KEY).values == (VALUE,)


def test_update_reruns_the_gate(host: DynamicHost, bind_factory: Any) -> None:
    ns = new_bind(bind_factory)
    publish(ns)
    id_, outs = run_gate(host, spec_for(ns.spec), name="rerun")
    new_spec = spec_for(ns.spec, keys=((KEY, "rotated-key"),))
    timer = ns.add_txt_later(1.0, ZONE, KEY, "rotated-key")
    new_outs = host.update(id_, outs, checked(host, GateProvider(), new_spec), name="rerun")
    assert time.monotonic() >= timer.done_at  # type: ignore[attr-defined]
    assert new_outs["keys"] == [{"name": KEY, "value": "rotated-key"}]
    assert new_outs["verifiedAt"] >= outs["verifiedAt"]


# ---- many domains through one host ------------------------------------------------------
def _domains(n: int) -> list[str]:
    return [f"d{i:02d}.example.com" for i in range(n)]


def test_forty_domains_finish_together(bind_factory: Any) -> None:
    ns = new_bind(bind_factory)
    domains = _domains(40)
    specs = [spec_for(ns.spec, domain=d, keys=((f"mbo.{d}", VALUE),), timeout_seconds=30) for d in domains]
    appear_after = 2.0
    with DynamicHost() as host, ThreadPoolExecutor(max_workers=40) as pool:
        # The engine creates every watch first (they have no dependencies).
        list(pool.map(lambda s: host.create(checked(host, WatchProvider(), s), name=s.domain + "-w"), specs))
        # One update makes all 40 keys appear at the same moment.
        published: dict[str, float] = {}

        def publish_all() -> None:
            time.sleep(appear_after)
            update = ns._update(ZONE)
            for d in domains:
                update.replace(f"mbo.{d}.", 300, "TXT", txt_rdata(VALUE))
            ns._send(update)
            published["at"] = time.monotonic()

        threading.Thread(target=publish_all, daemon=True).start()
        start = time.monotonic()
        gate_inputs = [checked(host, GateProvider(), s) for s in specs]

        def gate(inputs: dict[str, Any]) -> float:
            host.create(inputs, name=inputs["domain"])
            return time.monotonic()

        done = list(pool.map(gate, gate_inputs))
    assert min(done) >= published["at"]  # nobody passes before its key exists
    spread = max(done) - published["at"]
    # All 40 within a few poll intervals of the update, not in 10 rounds of 4.
    assert spread < 5, f"last gate returned {spread:.1f} s after the keys appeared"
    assert max(done) - start < appear_after + 5


def test_forty_deadlines_run_concurrently(bind_factory: Any) -> None:
    """Keys that never appear: about one deadline for the stack, not 10 (40 / 4 threads)."""
    ns = new_bind(bind_factory)
    timeout = 2.0
    specs = [spec_for(ns.spec, domain=d, keys=((f"mbo.{d}", VALUE),), timeout_seconds=timeout) for d in _domains(40)]
    with DynamicHost() as host, ThreadPoolExecutor(max_workers=40) as pool:
        list(pool.map(lambda s: host.create(checked(host, WatchProvider(), s), name=s.domain + "-w"), specs))
        start = time.monotonic()

        def gate(spec: GateSpec) -> str:
            try:
                host.create(checked(host, GateProvider(), spec), name=spec.domain)
            except HostError as exc:
                return exc.last_line
            return "verified?"

        lines = list(pool.map(gate, specs))
        elapsed = time.monotonic() - start
    assert all(line.startswith(f"The security key TXT record mbo.{s.domain} was not served") for line, s in zip(lines, specs))
    assert elapsed < 10 * timeout / 2, f"40 deadlines took {elapsed:.1f} s"  # sequential rounds: 20 s


# ---- the watch's part -------------------------------------------------------------------
def test_gate_arrival_polls_at_once_after_backoff(host: DynamicHost, bind_factory: Any) -> None:
    """The watch backs off while the TXT records are being created; the gate resets that."""
    ns = new_bind(bind_factory)
    spec = spec_for(ns.spec, interval_seconds=1.0, max_interval_seconds=20, timeout_seconds=30)
    host.create(checked(host, WatchProvider(), spec), name="kick-watch")
    time.sleep(2.7)  # rounds at 0, 1, 2.5 s; without the reset the next one is at 4.75 s
    publish(ns)
    gate_inputs = checked(host, GateProvider(), spec)
    start = time.monotonic()
    host.create(gate_inputs, name="kick")
    assert time.monotonic() - start < 1.5  # ~0.05 s with the reset


def test_watch_diff_starts_polling_for_an_existing_watch(host: DynamicHost, bind_factory: Any) -> None:
    """A watch from an earlier run has no create this run; its diff registers the spec."""
    ns = new_bind(bind_factory)
    spec = spec_for(ns.spec, timeout_seconds=1.5)
    inputs = checked(host, WatchProvider(), spec)
    outs = {**inputs, "startedAt": "2026-01-01T00:00:00.000+00:00"}  # state of an earlier run
    start = time.monotonic()
    assert host.diff("watch-example.com", outs, inputs, name="warm-watch").changes == 1  # no diff
    time.sleep(2.0)  # the engine is busy creating the TXT records
    with pytest.raises(HostError) as caught:
        run_gate(host, spec, name="warm")
    # The deadline ran from the diff, not from the gate: ~2 s in total, not 2 + 1.5 s.
    assert time.monotonic() - start < 3.0
    assert "was not served" in caught.value.last_line


def test_several_keys_failure_names_each(host: DynamicHost, bind_factory: Any) -> None:
    ns = new_bind(bind_factory)
    publish(ns, "old-value")
    keys = ((KEY, VALUE), ("mbo2.example.com", "second"))
    with pytest.raises(HostError) as caught:
        run_gate(host, spec_for(ns.spec, keys=keys, timeout_seconds=1), name="keys-fail")
    line = caught.value.last_line
    assert f'mbo1.example.com: {ns.spec} answered another value "old-value"' in line
    assert f"mbo2.example.com: {ns.spec} answered NXDOMAIN" in line
    assert "mbo2.example.com did not exist when polling began" in line
    assert "mbo1.example.com did not exist" not in line and "mbo1.example.com, mbo2.example.com did not" not in line


def test_resolvers_must_see_it_too_and_are_asked_last(host: DynamicHost, bind_factory: Any) -> None:
    authoritative, resolver = new_bind(bind_factory), new_bind(bind_factory)
    # The authoritative server never gets the key: the resolver must not be asked at all.
    with pytest.raises(HostError) as caught:
        run_gate(host, GateSpec(ZONE, ((KEY, VALUE),), (authoritative.spec,), (resolver.spec,), 1, 0.05, 0.3, 0.5),
                 name="res-unasked")
    assert f"resolver {resolver.spec} was not asked yet" in caught.value.last_line
    # Authoritative has it, the resolver only later: the gate waits for the resolver.
    publish(authoritative)
    timer = resolver.add_txt_later(1.0, ZONE, KEY, VALUE)
    _, outs = run_gate(host, GateSpec(ZONE, ((KEY, VALUE),), (authoritative.spec,), (resolver.spec,), 8, 0.05, 0.3, 0.5),
                       name="res")
    assert time.monotonic() >= timer.done_at  # type: ignore[attr-defined]
    assert outs["checkedResolvers"] == [resolver.spec]


def test_gate_module_loads_no_cloud_sdk() -> None:
    """The host imports mbo_component.gate for every stack: it must stay light."""
    import subprocess
    import sys

    from host import PROJECT_ROOT

    code = (
        "import sys, mbo_component.gate; "
        "print(sorted(m for m in sys.modules if m.startswith(('pulumi_aws', 'pulumi_cloudflare', 'mbo_component'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['mbo_component', 'mbo_component.gate', 'mbo_component.gate_spec', 'mbo_component.poller', 'mbo_component.probe']"
