"""`mbo-dns check` against real BIND 9 servers on 127.0.0.1 (tests/dns_server.py), no network.

Each test serves the zone `mbo-dns plan --format zone` printed (so plan and check agree by
construction), then breaks it the way users do, and checkdmarc, an independent checker,
reads the same servers to confirm the SPF/DMARC verdicts.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import dns.nameserver
import dns.rcode
import pytest
import yaml

from dns_server import BindServer, RcodeServer, SilentServer, txt_rdata
from mbo_component.cli import main

STACKS = Path(__file__).parent / "stacks"
EXAMPLE = STACKS / "Pulumi.example.yaml"

# mailbox.org as far as the tests need it: its SPF, MX hosts, DKIM targets, autoconfig host.
MAILBOX_ORG = [
    '@ IN TXT "v=spf1 ip4:127.0.0.1 ip4:192.0.2.25 ~all"',
    "@ IN A 192.0.2.80",
    *(f"mxext{i} IN A 192.0.2.{i}" for i in (1, 2, 3)),
    *(f'mbo000{i}._domainkey IN TXT "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC"' for i in (1, 2, 3, 4)),
]
# example.org's own sender list, included from its SPF
EXAMPLE_ORG_EXTRA = ['_spf IN TXT "v=spf1 ip4:198.51.100.0/24 -all"']


def plan_zone(capsys: pytest.CaptureFixture[str], domain: str, stack: Path = EXAMPLE) -> list[str]:
    assert main(["plan", str(stack), "--domain", domain, "--format", "zone"]) == 0
    out = capsys.readouterr().out
    return [line for line in out.splitlines() if line and not line.startswith(";")]


def drop(lines: list[str], needle: str) -> list[str]:
    kept = [line for line in lines if needle not in line]
    assert len(kept) < len(lines), needle
    return kept


def serve(
    bind_factory: Callable[..., BindServer],
    net: list[str],
    org: list[str],
    mailbox_org: list[str] = MAILBOX_ORG,
) -> BindServer:
    return bind_factory({
        "example.net": BindServer.zone_text("example.net", net),
        "example.org": BindServer.zone_text("example.org", org + EXAMPLE_ORG_EXTRA),
        "mailbox.org": BindServer.zone_text("mailbox.org", mailbox_org),
    })


def check(capsys, *servers: BindServer | str, domain: str | None = None, resolver: str | None = None,
          stack: Path = EXAMPLE, extra: tuple[str, ...] = ()) -> tuple[int, dict, str]:
    specs = [s if isinstance(s, str) else s.spec for s in servers]
    argv = ["check", str(stack), "--format", "json", *extra]
    for spec in specs:
        argv += ["--nameserver", spec]
    argv += ["--resolver", resolver or specs[0]]
    if domain:
        argv += ["--domain", domain]
    code = main(argv)
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def statuses(doc: dict, domain: str) -> dict[str, str]:
    d = next(x for x in doc["domains"] if x["domain"] == domain)
    return {r["key"]: r["status"] for r in d["records"]}


def conflicts(doc: dict, domain: str) -> dict[str, str]:
    d = next(x for x in doc["domains"] if x["domain"] == domain)
    return {c["kind"]: c["message"] for c in d["conflicts"]}


def checkdmarc_verdicts(server: BindServer, domain: str) -> tuple[dict, dict]:
    import checkdmarc  # a test dependency (pyproject [test]); an independent second opinion
    import checkdmarc.utils

    checkdmarc.utils.DNS_CACHE.clear()  # its answers are cached module-wide for hours
    ns = [dns.nameserver.Do53Nameserver("127.0.0.1", port=server.port)]
    spf = checkdmarc.check_spf(domain, nameservers=ns, timeout=2.0)
    dmarc = checkdmarc.check_dmarc(domain, nameservers=ns, timeout=2.0)
    checkdmarc.utils.DNS_CACHE.clear()
    return spf, dmarc


@pytest.fixture
def good(capsys, bind_factory) -> BindServer:
    return serve(bind_factory, plan_zone(capsys, "example.net"), plan_zone(capsys, "example.org"))


def test_correct_zone_is_ok(capsys, good):
    code, doc, err = check(capsys, good)
    assert code == 0, json.dumps(doc, indent=1)
    assert doc["schema"] == "mbo-dns.check/1" and doc["ok"] is True and doc["exit_code"] == 0
    for d in doc["domains"]:
        assert d["ok"] and d["conflicts"] == [] and d["failures"] == []
        assert set(statuses(doc, d["domain"]).values()) == {"ok"}
        assert d["servers"] == [good.spec]
    net, org = doc["domains"]
    assert net["spf_lookups"] == 1  # include:mailbox.org
    assert org["spf_lookups"] == 2  # + include:_spf.example.org, followed
    assert doc["summary"]["ok"] == 12 + 6 and doc["summary"]["missing"] == 0
    # DKIM by CNAME delegation: the CNAME itself was compared, with every server's answer
    dkim = next(r for r in net["records"] if r["key"] == "dkim-mbo0001")
    assert dkim["type"] == "CNAME" and dkim["answers"][0]["values"] == ["mbo0001._domainkey.mailbox.org."]


def test_checkdmarc_agrees_served_spf_and_dmarc_are_valid(capsys, good):
    code, doc, _ = check(capsys, good)
    assert code == 0
    for domain in ("example.net", "example.org"):
        spf, dmarc = checkdmarc_verdicts(good, domain)
        assert spf["valid"] is True, spf
        assert dmarc["valid"] is True, dmarc
        ours = next(d for d in doc["domains"] if d["domain"] == domain)
        assert spf["dns_lookups"] == ours["spf_lookups"]
        planned = {r["purpose"]: r["value"] for r in ours["records"]}
        assert spf["record"] == planned["spf"] and dmarc["record"] == planned["dmarc"]


def test_table_output_and_exit_code(capsys, good):
    code = main(["check", str(EXAMPLE), "--nameserver", good.spec, "--resolver", good.spec])
    out = capsys.readouterr().out
    assert code == 0
    assert "2 domains checked" in out and "18 ok" in out and "Exit 0" in out
    assert "SPF DNS lookups (includes followed): 2 of 10" in out


def test_missing_and_different_records(capsys, bind_factory):
    net = plan_zone(capsys, "example.net")
    net = drop(net, "fa938c01")  # no security key at all
    net = drop(net, "mbo0002._domainkey")  # DKIM served as TXT instead of the CNAME
    net.append('mbo0002._domainkey.example.net. 300 IN TXT "v=DKIM1; k=rsa; p=QUJD"')
    net = drop(net, "mbo0003._domainkey")  # CNAME to somewhere else
    net = drop(net, "autoconfig")  # nothing at all: NXDOMAIN, still plain missing
    net.append("mbo0003._domainkey.example.net. 300 IN CNAME mbo0003._domainkey.elsewhere.example.")
    net = drop(net, "20 mxext3")  # right host, wrong priority
    net.append("example.net. 300 IN MX 30 mxext3.mailbox.org.")
    org = plan_zone(capsys, "example.org")
    org = drop(org, "89abcdef")
    org.append('0123456789abcdef0123456789abcdef01234567.example.org. 300 IN TXT "' + "f" * 40 + '"')
    server = serve(bind_factory, net, org)
    code, doc, _ = check(capsys, server)
    assert code == 1 and doc["ok"] is False
    net_status = statuses(doc, "example.net")
    assert net_status["key-fa938c01d2e3f4a5b6c7d8e9f00112233445566a"] == "missing"
    assert net_status["autoconfig"] == "missing"
    assert net_status["dkim-mbo0002"] == "different"
    assert net_status["dkim-mbo0003"] == "different"
    assert net_status["mx-mxext3.mailbox.org"] == "different"
    assert net_status["mx-mxext1.mailbox.org"] == "ok" and net_status["spf"] == "ok"
    records = {r["key"]: r for r in doc["domains"][0]["records"]}
    assert records["dkim-mbo0003"]["served"] == ["mbo0003._domainkey.elsewhere.example."]
    assert records["dkim-mbo0002"]["served"] == ["TXT v=DKIM1; k=rsa; p=QUJD"]
    assert "TXT record is served instead of the CNAME" in records["dkim-mbo0002"]["detail"]
    assert net_status["dkim-mbo0004"] == "ok"
    assert records["mx-mxext3.mailbox.org"]["served"] == ["30 mxext3.mailbox.org."]
    assert "NXDOMAIN" in records["key-fa938c01d2e3f4a5b6c7d8e9f00112233445566a"]["detail"]
    org_records = {r["key"]: r for r in doc["domains"][1]["records"]}
    key = org_records["key-0123456789abcdef0123456789abcdef01234567"]
    assert key["status"] == "different" and key["served"] == ["f" * 40]
    # no conflicts were invented for plain missing/different records
    assert conflicts(doc, "example.net") == {} and conflicts(doc, "example.org") == {}


def test_other_mx_is_a_conflict_unless_mx_is_false(capsys, bind_factory):
    net = plan_zone(capsys, "example.net") + ["example.net. 300 IN MX 5 mail.old-provider.example."]
    org = plan_zone(capsys, "example.org") + ["example.org. 300 IN MX 10 mail.old-provider.example."]
    server = serve(bind_factory, net, org)
    code, doc, _ = check(capsys, server)
    assert code == 1
    assert "5 mail.old-provider.example." in conflicts(doc, "example.net")["other-mx"]
    # example.org has mx: false: the old MX is phase one of the migration, not a fault
    assert conflicts(doc, "example.org") == {}
    assert next(d for d in doc["domains"] if d["domain"] == "example.org")["ok"] is True
    code, doc, _ = check(capsys, server, domain="example.org")
    assert code == 0


def test_second_spf_record(capsys, bind_factory):
    net = plan_zone(capsys, "example.net") + ['example.net. 300 IN TXT "v=spf1 include:_spf.old-provider.example -all"']
    server = serve(bind_factory, net, plan_zone(capsys, "example.org"))
    code, doc, _ = check(capsys, server, domain="example.net")
    assert code == 1
    assert "2 SPF records" in conflicts(doc, "example.net")["second-spf"]
    assert statuses(doc, "example.net")["spf"] == "ok"  # ours is there; the other one is the fault
    spf, _ = checkdmarc_verdicts(server, "example.net")
    assert spf["valid"] is False and "multiple" in spf["error"].lower()


@pytest.mark.parametrize(
    ("terms", "lookups"),
    [
        ("a mx:mailbox.org", 10),  # 1 + 3 includes + 3*2: exactly the limit, still valid
        ("a mx:mailbox.org exists:%{i}.x.mailbox.org", 13),  # 1 + 3 + 3*3
    ],
)
def test_spf_lookups_counted_through_includes(capsys, bind_factory, terms, lookups):
    stub = [line for line in MAILBOX_ORG if "v=spf1" not in line]
    stub += ['@ IN TXT "v=spf1 include:s1.mailbox.org include:s2.mailbox.org include:s3.mailbox.org ~all"']
    stub += [f's{i} IN TXT "v=spf1 {terms} ~all"' for i in (1, 2, 3)]
    stub += [f"s{i} IN A 192.0.2.{i}" for i in (1, 2, 3)] + ["@ IN MX 10 mxext1"]  # no void lookups
    server = serve(bind_factory, plan_zone(capsys, "example.net"), plan_zone(capsys, "example.org"), stub)
    code, doc, _ = check(capsys, server, domain="example.net")
    assert doc["domains"][0]["spf_lookups"] == lookups
    spf, _ = checkdmarc_verdicts(server, "example.net")
    if lookups <= 10:
        assert code == 0 and conflicts(doc, "example.net") == {}
        assert spf["valid"] is True and spf["dns_lookups"] == lookups
    else:
        assert code == 1
        assert f"{lookups} DNS lookups" in conflicts(doc, "example.net")["spf-lookups"]
        # checkdmarc stops counting at the include that crosses the limit, so only its verdict is compared
        assert spf["valid"] is False and "maximum dns lookups" in spf["error"].lower()


def test_broken_include_is_reported(capsys, bind_factory):
    org = drop(plan_zone(capsys, "example.org"), "v=spf1")
    org.append('example.org. 300 IN TXT "v=spf1 include:mailbox.org include:_nothing.example.org ~all"')
    server = serve(bind_factory, plan_zone(capsys, "example.net"), org)
    code, doc, _ = check(capsys, server, domain="example.org")
    assert code == 1
    assert statuses(doc, "example.org")["spf"] == "different"
    assert "_nothing.example.org has no SPF record" in conflicts(doc, "example.org")["spf-broken"]


@pytest.mark.parametrize(
    ("dmarc", "reason"),
    [
        ('"v=DMARC1; p=maybe; rua=mailto:dmarc@example.net"', "p=maybe is not one of"),
        ('"v=DMARC1; rua=dmarc@example.net"', "p= (the policy) is missing"),
        ('"v=DMARC1; p=none" _dmarc.example.net. 300 IN TXT "v=DMARC1; p=reject"', "2 DMARC records"),
    ],
)
def test_invalid_dmarc(capsys, bind_factory, dmarc, reason):
    net = drop(plan_zone(capsys, "example.net"), "_dmarc")
    first, _, second = dmarc.partition(" _dmarc.example.net. 300 IN TXT ")
    net.append(f"_dmarc.example.net. 300 IN TXT {first}")
    if second:
        net.append(f"_dmarc.example.net. 300 IN TXT {second}")
    server = serve(bind_factory, net, plan_zone(capsys, "example.org"))
    code, doc, _ = check(capsys, server, domain="example.net")
    assert code == 1
    assert reason in conflicts(doc, "example.net")["invalid-dmarc"]
    assert statuses(doc, "example.net")["dmarc"] == "different"
    _, verdict = checkdmarc_verdicts(server, "example.net")
    assert verdict["valid"] is False, verdict


def test_lagging_server_is_named(capsys, bind_factory):
    net = plan_zone(capsys, "example.net")
    org = plan_zone(capsys, "example.org")
    primary = serve(bind_factory, net, org)
    lagging = serve(bind_factory, drop(net, "fa938c01"), org)
    code, doc, _ = check(capsys, primary, lagging, domain="example.net")
    assert code == 1
    key = "key-fa938c01d2e3f4a5b6c7d8e9f00112233445566a"
    assert statuses(doc, "example.net")[key] == "partial"
    message = conflicts(doc, "example.net")["lagging-server"]
    assert lagging.spec in message and primary.spec not in message and "among them the security key" in message
    record = next(r for r in doc["domains"][0]["records"] if r["key"] == key)
    assert {a["server"]: a["status"] for a in record["answers"]} == {primary.spec: "ok", lagging.spec: "nxdomain"}
    # once the update reaches it, both agree
    lagging.add_records("example.net", [("fa938c01d2e3f4a5b6c7d8e9f00112233445566a.example.net", 300, "TXT",
                                         txt_rdata("c965215a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"))])
    code, doc, _ = check(capsys, primary, lagging, domain="example.net")
    assert code == 0, doc


def test_server_that_does_not_answer_means_could_not_run(capsys, good):
    with SilentServer() as silent:
        code, doc, _ = check(capsys, good, silent.spec, resolver=good.spec, domain="example.net",
                             extra=("--timeout", "0.2"))
    assert code == 3 and doc["exit_code"] == 3
    failures = doc["domains"][0]["failures"]
    assert failures and all(f["server"] == silent.spec for f in failures)
    assert "timeout" in failures[0]["message"]
    # what the answering server says is still reported
    assert set(statuses(doc, "example.net").values()) == {"ok"}


def test_servfail_only_means_unknown(capsys, good):
    with RcodeServer(dns.rcode.SERVFAIL) as broken:
        code, doc, _ = check(capsys, broken.spec, resolver=good.spec, domain="example.net")
    assert code == 3
    assert set(statuses(doc, "example.net").values()) == {"unknown"}
    assert all("SERVFAIL" in f["message"] and f["server"] == broken.spec for f in doc["domains"][0]["failures"])


def test_nameservers_not_found_means_could_not_run(capsys):
    with RcodeServer(dns.rcode.REFUSED) as refusing:
        code = main(["check", str(EXAMPLE), "--resolver", refusing.spec, "--domain", "example.net"])
    out = capsys.readouterr().out
    assert code == 3
    assert "NOT CHECKED (discovery): example.net NS: cannot find the authoritative nameservers" in out


def test_bad_server_spec_and_bad_config_exit_2(capsys):
    assert main(["check", str(EXAMPLE), "--nameserver", "127.0.0.1:99999"]) == 2
    assert "port must be a number" in capsys.readouterr().err
    assert main(["check", str(STACKS / "Pulumi.invalid.yaml"), "--nameserver", "127.0.0.1"]) == 2
    assert "domains[0] (example.net).provider" in capsys.readouterr().err


def test_many_domains_each_get_their_own_answers(capsys, tmp_path, bind_factory):
    """20 domains at once: concurrent answers must land on the right domain and record."""
    base = yaml.safe_load(EXAMPLE.read_text())["config"]["mailbox-org-dns:domains"][0]
    domains, zones = [], {"mailbox.org": BindServer.zone_text("mailbox.org", MAILBOX_ORG)}
    for i in range(20):
        name = f"d{i:02d}.example"
        label, value = f"{i:02d}" + "a" * 38, f"{i:02d}" + "b" * 38
        domains.append({**base, "domain": name, "securityKeys": [{"label": label, "value": value}], "dmarc": False})
    stack = tmp_path / "Pulumi.many.yaml"
    stack.write_text(yaml.safe_dump({"config": {"mailbox-org-dns:domains": domains}}))
    for i, d in enumerate(domains):
        lines = plan_zone(capsys, d["domain"], stack)
        if i % 5 == 0:  # every fifth domain lacks its key
            lines = drop(lines, f"{i:02d}" + "a" * 38)
        zones[d["domain"]] = BindServer.zone_text(d["domain"], lines)
    server = bind_factory(zones)
    code, doc, _ = check(capsys, server, stack=stack)
    assert code == 1
    for i, d in enumerate(doc["domains"]):
        missing = [r["name"] for r in d["records"] if r["status"] != "ok"]
        assert missing == ([f"{i:02d}{'a' * 38}.d{i:02d}.example"] if i % 5 == 0 else []), d["domain"]
