"""`mbo-dns plan`: offline output in three formats, the component's own validation errors."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import dns.zone
import pytest
import yaml

from conftest import require_binary
from dns_server import NAMED_CHECKZONE
from mbo_component.cli import main
from mbo_component.problems import ConfigError
from mbo_component.records import plan
from mbo_component.settings import parse_domains
from mbo_component.stack_file import load_domains

STACKS = Path(__file__).parent / "stacks"
EXAMPLE = STACKS / "Pulumi.example.yaml"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def planned(path: Path = EXAMPLE) -> dict:
    domains, _ = parse_domains(load_domains(path))
    return {s.domain: plan(s) for s in domains}


def zone_text(domain: str, records: str) -> str:
    """The SOA/NS header a zone needs, then the records `plan --format zone` printed."""
    return (
        f"$ORIGIN {domain}.\n$TTL 300\n"
        f"@ IN SOA ns1.{domain}. hostmaster.{domain}. 1 3600 600 86400 300\n"
        f"@ IN NS ns1.{domain}.\nns1 IN A 192.0.2.53\n" + records
    )


def test_table_lists_every_planned_record(capsys):
    code, out, err = run(capsys, "plan", str(EXAMPLE))
    assert code == 0 and err == ""
    expected = planned()
    for domain, records in expected.items():
        assert domain in out
        for r in records:
            assert any(r.name in line and f" {r.type} " in line for line in out.splitlines()), r
    assert "MX not switched yet" in out  # example.org has mx: false
    rows = [line for line in out.splitlines() if line and not line.startswith(("NAME", "example.net (", "example.org ("))]
    assert len(rows) == sum(len(r) for r in expected.values())


@pytest.mark.parametrize("domain", ["example.net", "example.org"])
def test_zone_output_loads_in_dnspython_and_named_checkzone(capsys, tmp_path, domain):
    code, out, _ = run(capsys, "plan", str(EXAMPLE), "--domain", domain, "--format", "zone")
    assert code == 0
    # Absolute names: the records load without any $ORIGIN of their own.
    for line in out.splitlines():
        if line and not line.startswith(";"):
            assert line.split("\t")[0].endswith(f"{domain}.")
    zone = dns.zone.from_text(zone_text(domain, out), origin=domain, relativize=False)
    for r in planned()[domain]:
        rdataset = zone.get_rdataset(r.name + ".", r.type)
        assert rdataset is not None, r
        assert rdataset.ttl == r.effective_ttl
        texts = {rd.to_text() for rd in rdataset}
        assert r.rdata() in texts
    checkzone = require_binary(NAMED_CHECKZONE, "named-checkzone")
    path = tmp_path / "zone.db"
    path.write_text(zone_text(domain, out))
    result = subprocess.run([checkzone, "-i", "local", domain, str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout


def test_zone_splits_long_txt_into_255_byte_strings(capsys):
    _, out, _ = run(capsys, "plan", str(EXAMPLE), "--domain", "example.org", "--format", "zone")
    zone = dns.zone.from_text(zone_text("example.org", out), origin="example.org", relativize=False)
    dkim = zone.get_rdataset("mbo0001._domainkey.example.org.", "TXT")
    (rdata,) = list(dkim)
    assert len(rdata.strings) > 1 and all(len(s) <= 255 for s in rdata.strings)
    expected = next(r for r in planned()["example.org"] if r.purpose == "dkim")
    assert b"".join(rdata.strings).decode() == expected.value


def test_json_schema(capsys):
    code, out, _ = run(capsys, "plan", str(EXAMPLE), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["schema"] == "mbo-dns.plan/1"
    assert doc["warnings"] == []
    assert [d["domain"] for d in doc["domains"]] == ["example.net", "example.org"]
    org = doc["domains"][1]
    assert org["mx"] is False and org["provider"] == "route53"
    expected = planned()
    for d in doc["domains"]:
        recs = expected[d["domain"]]
        assert [(r["name"], r["type"], r["value"], r["purpose"], r["key"], r["rdata"]) for r in d["records"]] == [
            (r.name, r.type, r.value, r.purpose, r.key, r.rdata()) for r in recs
        ]
        for r in d["records"]:
            assert r["fqdn"] == r["name"] + "."
            assert set(r) == {"key", "purpose", "name", "fqdn", "type", "ttl", "ttl_automatic", "value",
                              "priority", "weight", "port", "rdata"}
    srv = next(r for r in doc["domains"][0]["records"] if r["type"] == "SRV")
    assert (srv["priority"], srv["weight"], srv["port"], srv["ttl"], srv["ttl_automatic"]) == (0, 0, 443, 300, True)
    assert all(r["ttl"] == 3600 and not r["ttl_automatic"] for r in org["records"])


def test_validation_errors_are_the_components(capsys):
    path = STACKS / "Pulumi.invalid.yaml"
    with pytest.raises(ConfigError) as raised:
        parse_domains(yaml.safe_load(path.read_text())["config"]["mailbox-org-dns:domains"])
    code, out, err = run(capsys, "plan", str(path))
    assert code == 2 and out == ""
    assert err.strip() == str(raised.value)
    # every problem, each with domain and field path
    assert "domains[0] (example.net).provider" in err
    assert "domains[0] (example.net).dmarc.rua[0]" in err
    assert "domains[1] (example.org).securityKeys" in err


def test_warnings_go_to_stderr(capsys):
    code, out, err = run(capsys, "plan", str(STACKS / "Pulumi.warning.yaml"), "--format", "json")
    assert code == 0
    assert "securityKeys[0].label: the key label has 8 hex characters" in err
    doc = json.loads(out)
    assert any("8 hex characters" in w for w in doc["warnings"])


def test_top_level_key_without_config_section(capsys):
    code, out, _ = run(capsys, "plan", str(STACKS / "Pulumi.only-key.yaml"), "--format", "json")
    assert code == 0
    assert json.loads(out)["domains"][0]["domain"] == "example.com"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("config:\n  other:key: 1\n", "no 'mailbox-org-dns:domains' key"),
        ("config: [unclosed\n", "not valid YAML"),
        ("config:\n  mailbox-org-dns:domains:\n    secure: AAAB\n", "encrypted"),
    ],
)
def test_unusable_stack_files(capsys, tmp_path, text, message):
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text(text)
    code, out, err = run(capsys, "plan", str(path))
    assert code == 2 and out == "" and message in err


def test_missing_file_and_unknown_domain(capsys, tmp_path):
    code, _, err = run(capsys, "plan", str(tmp_path / "nope.yaml"))
    assert code == 2 and "cannot read" in err
    code, _, err = run(capsys, "plan", str(EXAMPLE), "--domain", "example.com")
    assert code == 2 and "example.com not in" in err and "example.net, example.org" in err


def test_python_dash_m_runs_the_command():
    result = subprocess.run(
        [sys.executable, "-m", "mbo_component", "plan", str(EXAMPLE), "--domain", "example.net", "--format", "zone"],
        capture_output=True, text=True, cwd=Path(__file__).parent.parent,
    )
    assert result.returncode == 0, result.stderr
    assert "example.net.\t300\tIN\tMX\t10 mxext1.mailbox.org." in result.stdout


def test_gitops_example_workflow():
    """The example is valid YAML with the three triggers and the commands documented for them."""
    path = Path(__file__).parent.parent / "examples" / "mailbox-org-dns.yml"
    doc = yaml.safe_load(path.read_text())
    triggers = doc[True]  # YAML 1.1 reads the key `on` as True
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    assert triggers["schedule"][0]["cron"]
    jobs = doc["jobs"]
    text = {name: yaml.safe_dump(job) for name, job in jobs.items()}
    assert "pull_request" in jobs["plan"]["if"] and "mbo-dns plan" in text["plan"] and "command: preview" in text["plan"]
    assert "refs/heads/main" in jobs["deploy"]["if"] and "command: up" in text["deploy"]
    assert "schedule" in jobs["nightly-check"]["if"] and "mbo-dns check" in text["nightly-check"]
