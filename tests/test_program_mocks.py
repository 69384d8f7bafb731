"""The component and the stack program under Pulumi mocks (no CLI, no network).

Each program runs through ``mock_harness.run``: fresh runtime settings and a monitor that
records type, name, parent, dependencies and inputs of every registered resource.
"""
from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mock_harness as h  # noqa: E402

from mbo_component.backends import MANAGED_COMMENT  # noqa: E402
from mbo_component.component import TYPE_TOKEN, MailboxOrgDomain  # noqa: E402
from mbo_component.stack import build  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DNS_RECORD = "cloudflare:index/dnsRecord:DnsRecord"
R53_RECORD = "aws:route53/record:Record"
WATCH = "pulumi-python:dynamic/mbo:VerificationWatch"
GATE = "pulumi-python:dynamic/mbo:VerificationGate"
RECORD_TYPES = (DNS_RECORD, R53_RECORD)

LABEL = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
VALUE = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
LABEL2, VALUE2 = "ab" * 20, "cd" * 20
KEY_B64 = base64.b64encode(bytes([0x30, 0x82, 0x01, 0x22]) + bytes(range(256)) + bytes(34)).decode()


def key_line(domain: str, label: str = LABEL, value: str = VALUE) -> str:
    return f"{label}.{domain}. IN TXT {value}"


def cf(domain: str = "example.com", **extra: Any) -> dict[str, Any]:
    return {"domain": domain, "provider": "cloudflare", "securityKeys": [key_line(domain)], **extra}


def r53(domain: str = "example.org", **extra: Any) -> dict[str, Any]:
    return {"domain": domain, "provider": "route53", "securityKeys": [key_line(domain)], **extra}


def run_build(*domains: dict[str, Any]) -> h.Run:
    outcome = h.run(lambda: build(list(domains)))
    if outcome.error is not None:
        raise outcome.error
    return outcome


def run_component(name: str, args: dict[str, Any]) -> h.Run:
    outcome = h.run(lambda: MailboxOrgDomain(name, args))  # type: ignore[arg-type]
    if outcome.error is not None:
        raise outcome.error
    return outcome


def records_of(run: h.Run, domain: str) -> list[h.Registered]:
    component = run.monitor.named(domain) if not isinstance(domain, h.Registered) else domain
    return [r for r in run.monitor.children(component) if r.type in RECORD_TYPES]


def by_name_type(resources: list[h.Registered], name: str, type_: str) -> list[h.Registered]:
    return [r for r in resources if r.inputs.get("name") == name and r.inputs.get("type") == type_]


# --- parenting and the component's outputs ----------------------------------------------------


def test_every_resource_is_parented_to_its_component() -> None:
    run = run_build(cf("one.example"), r53("two.example"), cf("three.example", dmarc=True))
    components = run.monitor.by_type(TYPE_TOKEN)
    assert sorted(c.name for c in components) == ["one.example", "three.example", "two.example"]  # registration order is async
    stack_urn = "urn:pulumi:test::mbo::pulumi:pulumi:Stack::mbo-test"
    assert all(c.parent == stack_urn for c in components)
    urns = {c.urn: c.name for c in components}
    for r in run.monitor.registered:
        if r.type == TYPE_TOKEN:
            continue
        assert r.parent in urns, (r.type, r.name, r.parent)
        # child names carry the component's name: URNs stay unique across domains
        assert r.name.startswith(urns[r.parent] + "-"), r.name
        if r.type in RECORD_TYPES:
            domain = urns[r.parent]
            assert r.inputs["name"] == domain or r.inputs["name"].endswith("." + domain)
    assert len({r.urn for r in run.monitor.registered}) == len(run.monitor.registered)


def test_component_outputs_and_register_outputs() -> None:
    holder: dict[str, MailboxOrgDomain] = {}

    def program() -> None:
        holder["c"] = MailboxOrgDomain("mail", {"domain": "example.com", "provider": "cloudflare", "security_keys": [key_line("example.com")], "zone_id": "0123456789abcdef0123456789abcdef", "dmarc": True})

    run = h.run(program)
    assert run.error is None
    component = run.monitor.named("mail")
    outputs = run.monitor.outputs[component.urn]
    assert outputs["zoneId"] == "0123456789abcdef0123456789abcdef"
    sets = {(s["name"], s["type"]): s for s in outputs["records"]}
    assert sets[("example.com", "MX")]["values"] == ["10 mxext1.mailbox.org.", "10 mxext2.mailbox.org.", "20 mxext3.mailbox.org."]
    assert sets[("example.com", "TXT")]["values"] == ['"v=spf1 include:mailbox.org ~all"']
    assert sets[("_dmarc.example.com", "TXT")]["values"] == ['"v=DMARC1; p=none"']
    assert sets[(f"{LABEL}.example.com", "TXT")] == {"name": f"{LABEL}.example.com", "type": "TXT", "ttl": 300, "values": [f'"{VALUE}"']}
    c = holder["c"]
    assert h.resolve(c.zone_id) == "0123456789abcdef0123456789abcdef"
    assert h.resolve(c.records) == outputs["records"]
    assert len(c.resources) == len(records_of(run, "mail"))


def test_component_zone_id_may_be_an_output() -> None:
    def program() -> None:
        MailboxOrgDomain("m", {"domain": "example.com", "provider": "cloudflare", "security_keys": [key_line("example.com")], "zone_id": pulumi.Output.from_input("zone-from-output")})

    run = h.run(program)
    assert run.error is None
    assert run.mocks.invokes == []
    assert {r.inputs["zoneId"] for r in run.monitor.by_type(DNS_RECORD)} == {"zone-from-output"}


# --- Cloudflare inputs ------------------------------------------------------------------------


def test_cloudflare_inputs() -> None:
    long_text = "verification=" + "é" * 200  # 413 bytes: two character-strings, é never split
    run = run_build(
        cf(
            "Example.COM",
            zoneId="0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c",
            securityKeys=[key_line("example.com"), key_line("example.com", LABEL2, VALUE2)],
            apexTxt=['quoted="yes" back\\slash', long_text],
            dkim={"keys": {"MBO0001": KEY_B64}},
            dmarc={"rua": ["mailto:d@example.com"]},
        )
    )
    assert run.mocks.invokes == []  # zone id given: no lookup
    rs = records_of(run, "example.com")
    assert {r.type for r in rs} == {DNS_RECORD}
    for r in rs:
        i = r.inputs
        assert i["zoneId"] == "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c"
        assert i["name"] == i["name"].lower() and not i["name"].endswith(".")
        assert i["proxied"] is False
        assert i["ttl"] == 1  # automatic
        assert i["comment"] == MANAGED_COMMENT
    (key1,) = by_name_type(rs, f"{LABEL}.example.com", "TXT")
    assert key1.inputs["content"] == f'"{VALUE}"'
    (key2,) = by_name_type(rs, f"{LABEL2}.example.com", "TXT")
    assert key2.inputs["content"] == f'"{VALUE2}"'
    apex = by_name_type(rs, "example.com", "TXT")
    assert sorted(r.inputs["content"] for r in apex) == sorted(
        ['"v=spf1 include:mailbox.org ~all"', '"quoted=\\"yes\\" back\\\\slash"', f'"verification={"é" * 121}" "{"é" * 79}"']
    )
    assert len(f"verification={'é' * 121}".encode()) == 255
    (dkim,) = by_name_type(rs, "mbo0001._domainkey.example.com", "TXT")
    text = f"v=DKIM1; k=rsa; p={KEY_B64}"
    assert dkim.inputs["content"] == f'"{text[:255]}" "{text[255:]}"'
    (dmarc,) = by_name_type(rs, "_dmarc.example.com", "TXT")
    assert dmarc.inputs["content"] == '"v=DMARC1; p=none; rua=mailto:d@example.com"'
    mx = sorted((r.inputs["content"], r.inputs["priority"]) for r in by_name_type(rs, "example.com", "MX"))
    assert mx == [("mxext1.mailbox.org", 10), ("mxext2.mailbox.org", 10), ("mxext3.mailbox.org", 20)]
    (cname,) = by_name_type(rs, "autoconfig.example.com", "CNAME")
    assert cname.inputs["content"] == "mailbox.org"
    (srv,) = by_name_type(rs, "_autodiscover._tcp.example.com", "SRV")
    assert "content" not in srv.inputs
    assert srv.inputs["data"] == {"priority": 0, "weight": 0, "port": 443, "target": "mailbox.org"}
    assert srv.inputs["priority"] == 0  # top-level too: unset, the provider diffs forever
    # one resource per record
    assert len(rs) == 2 + 3 + 3 + 1 + 1 + 2


def test_cloudflare_ttl_and_zone_lookup() -> None:
    run = run_build(cf("example.com", ttl=3600))
    rs = records_of(run, "example.com")
    assert {r.inputs["ttl"] for r in rs} == {3600}
    assert [(i.token, i.args) for i in run.mocks.invokes] == [
        (h.CLOUDFLARE_GET_ZONE, {"filter": {"name": "example.com", "match": "all"}})
    ]
    assert {r.inputs["zoneId"] for r in rs} == {h.looked_up_zone_id("cloudflare", "example.com")}


# --- Route53 inputs ---------------------------------------------------------------------------


def test_route53_inputs() -> None:
    long_text = "x" * 300
    run = run_build(
        r53(
            "example.org",
            zoneId="Z123",
            securityKeys=[key_line("example.org"), key_line("example.org", LABEL2, VALUE2)],
            apexTxt=['say "hi"', long_text],
            dkim={"keys": {"MBO0001": KEY_B64}},
            dmarc=True,
        )
    )
    assert run.mocks.invokes == []
    rs = records_of(run, "example.org")
    assert {r.type for r in rs} == {R53_RECORD}
    sets = [(r.inputs["name"], r.inputs["type"]) for r in rs]
    assert len(sets) == len(set(sets)), sets  # exactly one resource per record set
    for r in rs:
        assert r.inputs["zoneId"] == "Z123"
        assert r.inputs["ttl"] == 300
        assert "allowOverwrite" not in r.inputs
    values = {(r.inputs["name"], r.inputs["type"]): r.inputs["records"] for r in rs}
    assert values[("example.org", "TXT")] == ["v=spf1 include:mailbox.org ~all", 'say \\"hi\\"', "x" * 255 + '""' + "x" * 45]
    assert values[("example.org", "MX")] == ["10 mxext1.mailbox.org.", "10 mxext2.mailbox.org.", "20 mxext3.mailbox.org."]
    assert values[(f"{LABEL}.example.org", "TXT")] == [VALUE]
    assert values[(f"{LABEL2}.example.org", "TXT")] == [VALUE2]
    text = f"v=DKIM1; k=rsa; p={KEY_B64}"
    assert values[("mbo0001._domainkey.example.org", "TXT")] == [text[:255] + '""' + text[255:]]
    assert values[("_dmarc.example.org", "TXT")] == ["v=DMARC1; p=none"]
    assert values[("autoconfig.example.org", "CNAME")] == ["mailbox.org."]
    assert values[("_autodiscover._tcp.example.org", "SRV")] == ["0 0 443 mailbox.org."]
    assert all(not v.startswith('"') for vs in values.values() for v in vs)  # never pre-quoted


def test_route53_non_ascii_txt_is_escaped_octal() -> None:
    run = run_build(r53("example.org", zoneId="Z1", apexTxt=["é"]))
    (apex,) = by_name_type(records_of(run, "example.org"), "example.org", "TXT")
    assert apex.inputs["records"][1] == "\\303\\251"


def test_route53_allow_overwrite_only_with_adopt_existing_and_zone_lookup() -> None:
    run = run_build(r53("a.example", adoptExisting=True), r53("b.example", ttl=60))
    adopted, plain = records_of(run, "a.example"), records_of(run, "b.example")
    assert adopted and all(r.inputs.get("allowOverwrite") is True for r in adopted)
    assert plain and all("allowOverwrite" not in r.inputs for r in plain)
    assert {r.inputs["ttl"] for r in plain} == {60}
    assert sorted((i.token, json.dumps(i.args, sort_keys=True)) for i in run.mocks.invokes) == [
        (h.AWS_GET_ZONE, json.dumps({"name": d, "privateZone": False}, sort_keys=True)) for d in ("a.example", "b.example")
    ]
    assert {r.inputs["zoneId"] for r in adopted} == {h.looked_up_zone_id("route53", "a.example")}
    assert {r.inputs["zoneId"] for r in plain} == {h.looked_up_zone_id("route53", "b.example")}


# --- the stack program ------------------------------------------------------------------------


def test_stack_program_multi_domain_both_providers() -> None:
    run = run_build(
        cf("one.example", zoneId="0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a", dmarc={"policy": "quarantine"}),
        r53("two.example", mxHosts=[f"10 mxext{i}.mailbox.org" for i in range(1, 5)], autoconfig=False),
        cf("three.example", spf={"include": ["_spf.google.com"], "all": "-all"}, verification=False),
    )
    names = {c.name for c in run.monitor.by_type(TYPE_TOKEN)}
    assert names == {"one.example", "two.example", "three.example"}
    one, two, three = (records_of(run, d) for d in ("one.example", "two.example", "three.example"))
    assert {r.type for r in one} == {r.type for r in three} == {DNS_RECORD}
    assert {r.type for r in two} == {R53_RECORD}
    assert len(one) == 1 + 3 + 1 + 4 + 1 + 2
    assert len(two) == 1 + 1 + 1 + 4  # key, MX set, apex TXT, 4 DKIM CNAMEs
    (mx,) = by_name_type(two, "two.example", "MX")
    assert mx.inputs["records"] == [f"10 mxext{i}.mailbox.org." for i in range(1, 5)]
    (spf,) = by_name_type(three, "three.example", "TXT")
    assert spf.inputs["content"] == '"v=spf1 include:mailbox.org include:_spf.google.com -all"'
    # gates for one and two, none for three
    assert sorted(g.name for g in run.monitor.by_type(GATE)) == ["one.example-key-visible", "two.example-key-visible"]
    # the stack exports every domain's zone id and records
    stack_outputs = run.monitor.outputs["urn:pulumi:test::mbo::pulumi:pulumi:Stack::mbo-test"]
    exported = stack_outputs["domains"]
    assert set(exported) == names
    assert exported["one.example"]["zoneId"] == "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a"
    assert exported["two.example"]["zoneId"] == h.looked_up_zone_id("route53", "two.example")


@pytest.mark.parametrize("bad_index", [0, 2])
def test_bad_configuration_registers_nothing(bad_index: int) -> None:
    domains = [cf("one.example"), r53("two.example"), cf("three.example")]
    domains[bad_index] = {**domains[bad_index], "ttl": 5}
    outcome = h.run(lambda: build(domains))
    assert isinstance(outcome.error, pulumi.RunError)
    name = domains[bad_index]["domain"]
    assert f"domains[{bad_index}] ({name}).ttl: must be from 60 to 86400, not 5" in str(outcome.error)
    assert outcome.monitor.registered == []
    assert outcome.mocks.invokes == []


def test_bad_configuration_every_problem_in_the_run_error() -> None:
    domains = [cf("one.example", mx="no"), r53("two.example"), cf("three.example", dmarc={"rua": ["x@three.example"]})]
    outcome = h.run(lambda: build(domains))
    assert isinstance(outcome.error, pulumi.RunError)
    message = str(outcome.error)
    assert message.startswith("mailbox-org-dns: 2 problems in the configuration:")
    assert "domains[0] (one.example).mx: must be true or false" in message
    assert "domains[2] (three.example).dmarc.rua[0]: 'x@three.example' is not a URI" in message
    assert outcome.monitor.registered == []


def test_component_with_bad_args_raises_run_error_and_registers_nothing() -> None:
    outcome = h.run(lambda: MailboxOrgDomain("mail", {"domain": "example.com", "provider": "cloudflare", "security_keys": [key_line("example.org")]}))
    assert isinstance(outcome.error, pulumi.RunError)
    assert "MailboxOrgDomain 'mail' (example.com).security_keys[0]: the key is for" in str(outcome.error)
    assert outcome.monitor.registered == []


# --- the verification gate wiring -------------------------------------------------------------


def gate_parts(run: h.Run, domain: str) -> tuple[h.Registered, h.Registered, list[h.Registered]]:
    (gate,) = [g for g in run.monitor.by_type(GATE) if g.name == f"{domain}-key-visible"]
    (watch,) = [w for w in run.monitor.by_type(WATCH) if w.name == f"{domain}-key-watch"]
    return gate, watch, records_of(run, domain)


@pytest.mark.parametrize("provider", ["cloudflare", "route53"])
def test_mx_waits_for_the_gate_and_nothing_else_does(provider: str) -> None:
    domain = {"domain": "example.net", "provider": provider, "securityKeys": [key_line("example.net"), key_line("example.net", LABEL2, VALUE2)], "dmarc": True}
    run = run_build(domain)
    gate, watch, rs = gate_parts(run, "example.net")
    component = run.monitor.named("example.net")
    assert gate.parent == watch.parent == component.urn
    mx = [r for r in rs if r.inputs["type"] == "MX"]
    assert mx and len(mx) == (3 if provider == "cloudflare" else 1)
    for r in mx:
        assert r.dependencies == [gate.urn]
    for r in run.monitor.registered:
        if r not in mx:
            assert gate.urn not in r.dependencies, r.name
    # the gate waits for the key TXT resources and the watch, nothing else
    keys = [r for r in rs if r.inputs["name"] in (f"{LABEL}.example.net", f"{LABEL2}.example.net")]
    assert len(keys) == 2
    assert sorted(gate.dependencies) == sorted([k.urn for k in keys] + [watch.urn])
    assert watch.dependencies == []
    # records other than MX are created at once
    assert all(r.dependencies == [] for r in rs if r not in mx)
    # the gate carries the keys it waits for
    assert sorted((k["name"], k["value"]) for k in gate.inputs["keys"]) == sorted(
        [(f"{LABEL}.example.net", VALUE), (f"{LABEL2}.example.net", VALUE2)]
    )
    assert gate.inputs["domain"] == "example.net"


def test_verification_settings_reach_the_gate() -> None:
    run = run_build(cf("example.com", verification={"servers": ["192.0.2.53:5353"], "resolvers": ["1.1.1.1"], "timeoutSeconds": 1200}))
    gate, watch, _ = gate_parts(run, "example.com")
    for resource in (gate, watch):
        assert resource.inputs["servers"] == ["192.0.2.53:5353"]
        assert resource.inputs["resolvers"] == ["1.1.1.1"]
        assert resource.inputs["timeoutSeconds"] == 1200


@pytest.mark.parametrize("provider", ["cloudflare", "route53"])
def test_mx_false_keeps_the_gate(provider: str) -> None:
    run = run_build({"domain": "example.net", "provider": provider, "securityKeys": [key_line("example.net")], "mx": False})
    gate, _, rs = gate_parts(run, "example.net")
    assert not [r for r in rs if r.inputs["type"] == "MX"]
    assert not [r for r in run.monitor.registered if gate.urn in r.dependencies]


@pytest.mark.parametrize("verification", [False, {"enabled": False}])
@pytest.mark.parametrize("provider", ["cloudflare", "route53"])
def test_verification_disabled_no_gate(provider: str, verification: Any) -> None:
    run = run_build({"domain": "example.net", "provider": provider, "securityKeys": [key_line("example.net")], "verification": verification})
    assert run.monitor.by_type(GATE) == [] and run.monitor.by_type(WATCH) == []
    mx = [r for r in records_of(run, "example.net") if r.inputs["type"] == "MX"]
    assert mx and all(r.dependencies == [] for r in mx)


# --- which SDKs a program imports (fresh interpreters) ----------------------------------------


def run_in_subprocess(domains: list[dict[str, Any]]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "mock_harness.py"), "mbo_component.stack:build", json.dumps(domains)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_cloudflare_only_program_never_imports_pulumi_aws() -> None:
    summary = run_in_subprocess([cf("one.example"), cf("two.example")])
    assert summary["error"] is None
    assert any(t == DNS_RECORD for t, _ in summary["resources"])
    assert "pulumi_cloudflare" in summary["modules"]
    assert not [m for m in summary["modules"] if m.startswith("pulumi_aws")]


def test_route53_only_program_never_imports_pulumi_cloudflare() -> None:
    summary = run_in_subprocess([r53("one.example")])
    assert summary["error"] is None
    assert any(t == R53_RECORD for t, _ in summary["resources"])
    assert "pulumi_aws" in summary["modules"]
    assert not [m for m in summary["modules"] if m.startswith("pulumi_cloudflare")]


def test_failing_program_in_a_fresh_interpreter_registers_nothing() -> None:
    summary = run_in_subprocess([cf("one.example"), r53("two.example"), cf("three.example", provider="gandi")])
    assert summary["error"].startswith("RunError: mailbox-org-dns: 1 problem in the configuration:")
    assert "domains[2] (three.example).provider: must be one of cloudflare, route53" in summary["error"]
    assert summary["resources"] == [] and summary["invokes"] == []
    # validation fails before any backend is loaded
    assert summary["modules"] == []


# --- preview ----------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["cloudflare", "route53"])
def test_preview_registers_mx_with_known_inputs(provider: str) -> None:
    """At preview the gate has no outputs yet: MX waits by depends_on, so its inputs stay known."""
    outcome = h.run(lambda: build([{"domain": "example.net", "provider": provider, "securityKeys": [key_line("example.net")]}]), preview=True)
    assert outcome.error is None
    gate, _, rs = gate_parts(outcome, "example.net")
    mx = [r for r in rs if r.inputs["type"] == "MX"]
    assert mx and all(r.dependencies == [gate.urn] for r in mx)
    if provider == "cloudflare":
        assert sorted(r.inputs["content"] for r in mx) == ["mxext1.mailbox.org", "mxext2.mailbox.org", "mxext3.mailbox.org"]
    else:
        assert mx[0].inputs["records"] == ["10 mxext1.mailbox.org.", "10 mxext2.mailbox.org.", "20 mxext3.mailbox.org."]


def test_component_args_route53_snake_case() -> None:
    run = run_component(
        "client",
        {"domain": "example.org", "provider": "route53", "security_keys": [{"label": LABEL, "value": VALUE}], "zone_id": "Z9", "adopt_existing": True, "mx": False, "apex_txt": ["a=1"]},
    )
    rs = records_of(run, "client")
    assert {r.inputs["zoneId"] for r in rs} == {"Z9"}
    assert all(r.inputs["allowOverwrite"] is True for r in rs)
    assert not [r for r in rs if r.inputs["type"] == "MX"]
    (apex,) = by_name_type(rs, "example.org", "TXT")
    assert apex.inputs["records"] == ["v=spf1 include:mailbox.org ~all", "a=1"]
    assert all(r.name.startswith("client-") for r in run.monitor.registered if r.type != TYPE_TOKEN)


# --- the example stacks -----------------------------------------------------------------------


@pytest.mark.parametrize("stack_file", sorted((ROOT / "stacks").glob("Pulumi.*.yaml")), ids=lambda p: p.name)
def test_example_stacks_run_under_mocks(stack_file: Path) -> None:
    from mbo_component.backends.route53 import record_sets
    from mbo_component.records import plan
    from mbo_component.settings import parse_domains
    from mbo_component.stack_file import load_domains

    raw = load_domains(stack_file)
    run = run_build(*raw)
    for settings in parse_domains(raw)[0]:
        rs = records_of(run, settings.domain)
        expected = plan(settings)
        assert len(rs) == (len(expected) if settings.provider == "cloudflare" else len(record_sets(expected)))
        gates = [g for g in run.monitor.by_type(GATE) if g.parent == run.monitor.named(settings.domain).urn]
        assert len(gates) == (1 if settings.verification.enabled else 0)
