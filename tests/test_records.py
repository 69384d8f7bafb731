"""The record plan: per record kind and setting, names, TXT splitting and quoting, keys."""
from __future__ import annotations

import base64
from typing import Any

import pytest

from mbo_component.records import TXT_CHUNK_BYTES, Record, plan, quote_txt, txt_strings
from mbo_component.settings import DomainSettings, parse_domains

LABEL = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
VALUE = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
KEY_B64 = base64.b64encode(bytes([0x30, 0x82, 0x01, 0x22]) + bytes(range(256)) + bytes(34)).decode()


def settings(**overrides: Any) -> DomainSettings:
    raw: dict[str, Any] = {
        "domain": "Example.COM",
        "provider": "route53",
        "securityKeys": [f"{LABEL.upper()}.example.com. IN TXT {VALUE.upper()}"],
    }
    raw.update(overrides)
    parsed, _ = parse_domains([raw])
    return parsed[0]


def records(**overrides: Any) -> list[Record]:
    return plan(settings(**overrides))


def of(purpose: str, rs: list[Record]) -> list[Record]:
    return [r for r in rs if r.purpose == purpose]


# --- the default plan -------------------------------------------------------------------------


def test_default_plan_exactly() -> None:
    assert [(r.name, r.type, r.rdata(), r.purpose) for r in records()] == [
        (f"{LABEL}.example.com", "TXT", f'"{VALUE}"', "security-key"),
        ("example.com", "MX", "10 mxext1.mailbox.org.", "mx"),
        ("example.com", "MX", "10 mxext2.mailbox.org.", "mx"),
        ("example.com", "MX", "20 mxext3.mailbox.org.", "mx"),
        ("example.com", "TXT", '"v=spf1 include:mailbox.org ~all"', "spf"),
        ("mbo0001._domainkey.example.com", "CNAME", "mbo0001._domainkey.mailbox.org.", "dkim"),
        ("mbo0002._domainkey.example.com", "CNAME", "mbo0002._domainkey.mailbox.org.", "dkim"),
        ("mbo0003._domainkey.example.com", "CNAME", "mbo0003._domainkey.mailbox.org.", "dkim"),
        ("mbo0004._domainkey.example.com", "CNAME", "mbo0004._domainkey.mailbox.org.", "dkim"),
        ("autoconfig.example.com", "CNAME", "mailbox.org.", "autoconfig"),
        ("_autodiscover._tcp.example.com", "SRV", "0 0 443 mailbox.org.", "autodiscover"),
    ]


def test_names_lower_case_absolute_without_trailing_dot() -> None:
    rs = records(dkim={"keys": {"MBO0001": KEY_B64}}, dmarc=True, apexTxt=["Some-Verification=ABC"])
    for r in rs:
        assert r.name == r.name.lower(), r
        assert not r.name.endswith("."), r
        assert r.name == "example.com" or r.name.endswith(".example.com"), r
        if r.type in ("MX", "CNAME", "SRV"):
            assert r.value == r.value.lower() and not r.value.endswith("."), r
    # TXT data keeps its case
    assert of("apex-txt", rs)[0].value == "Some-Verification=ABC"


def test_default_spf_text() -> None:
    (spf,) = of("spf", records())
    assert spf.value == "v=spf1 include:mailbox.org ~all"
    assert (spf.name, spf.type) == ("example.com", "TXT")


def test_spf_with_own_senders_and_apex_txt_beside_it() -> None:
    rs = records(spf={"ip4": ["192.0.2.0/24"], "include": ["_spf.example.net"], "all": "-all"}, apexTxt=["a=1", "b=2"])
    assert [r.value for r in rs if r.name == "example.com" and r.type == "TXT"] == [
        "v=spf1 ip4:192.0.2.0/24 include:mailbox.org include:_spf.example.net -all",
        "a=1",
        "b=2",
    ]
    assert not of("spf", records(spf=False))


def test_mx_defaults_and_override() -> None:
    assert [(r.value, r.priority) for r in of("mx", records())] == [
        ("mxext1.mailbox.org", 10), ("mxext2.mailbox.org", 10), ("mxext3.mailbox.org", 20)
    ]
    rs = records(mxHosts=[{"host": f"mxext{i}.mailbox.org", "priority": 10} for i in range(1, 5)])
    assert [r.rdata() for r in of("mx", rs)] == [f"10 mxext{i}.mailbox.org." for i in range(1, 5)]


def test_mx_false_drops_only_mx() -> None:
    full, without = records(), records(mx=False)
    assert not of("mx", without)
    assert without == [r for r in full if r.purpose != "mx"]


def test_dkim_off_cname_txt() -> None:
    assert not of("dkim", records(dkim=False))
    cnames = of("dkim", records(dkim={"selectors": ["MBO0001", "MBO0002"]}))
    assert [(r.name, r.type, r.value) for r in cnames] == [
        ("mbo0001._domainkey.example.com", "CNAME", "mbo0001._domainkey.mailbox.org"),
        ("mbo0002._domainkey.example.com", "CNAME", "mbo0002._domainkey.mailbox.org"),
    ]
    txt = of("dkim", records(dkim={"keys": {"MBO0001": KEY_B64, "MBO0002": f"v=DKIM1; k=rsa; p={KEY_B64}"}}))
    assert [(r.name, r.type, r.value) for r in txt] == [
        ("mbo0001._domainkey.example.com", "TXT", f"v=DKIM1; k=rsa; p={KEY_B64}"),
        ("mbo0002._domainkey.example.com", "TXT", f"v=DKIM1; k=rsa; p={KEY_B64}"),
    ]
    # a 2048-bit key is over 255 bytes: two character-strings that join to the text
    text = txt[0].value
    assert len(text.encode()) > TXT_CHUNK_BYTES
    strings = txt_strings(text)
    assert len(strings) == 2 and "".join(strings) == text
    assert txt[0].rdata() == f'"{strings[0]}" "{strings[1]}"'


def test_dmarc_text_exact() -> None:
    assert not of("dmarc", records())
    (default,) = of("dmarc", records(dmarc=True))
    assert (default.name, default.type, default.value) == ("_dmarc.example.com", "TXT", "v=DMARC1; p=none")
    (full,) = of(
        "dmarc",
        records(
            dmarc={
                "policy": "quarantine",
                "subdomainPolicy": "reject",
                "pct": 50,
                "rua": ["mailto:a@example.com", "mailto:b@example.com!10m"],
                "ruf": ["mailto:f@example.com"],
                "adkim": "s",
                "aspf": "r",
                "fo": "1:d",
            }
        ),
    )
    assert full.value == (
        "v=DMARC1; p=quarantine; sp=reject; pct=50; rua=mailto:a@example.com,mailto:b@example.com!10m; "
        "ruf=mailto:f@example.com; adkim=s; aspf=r; fo=1:d"
    )


def test_autoconfig_cname_and_srv() -> None:
    (cname,) = of("autoconfig", records())
    (srv,) = of("autodiscover", records())
    assert (cname.name, cname.type, cname.rdata()) == ("autoconfig.example.com", "CNAME", "mailbox.org.")
    assert (srv.name, srv.type, srv.rdata()) == ("_autodiscover._tcp.example.com", "SRV", "0 0 443 mailbox.org.")
    assert (srv.priority, srv.weight, srv.port, srv.value) == (0, 0, 443, "mailbox.org")
    rs = records(autoconfig={"autoconfigTarget": "ac.example.net", "autodiscoverTarget": "ad.example.net"})
    assert [r.rdata() for r in rs if r.purpose in ("autoconfig", "autodiscover")] == ["ac.example.net.", "0 0 443 ad.example.net."]
    assert not [r for r in records(autoconfig=False) if r.purpose in ("autoconfig", "autodiscover")]


def test_security_keys_one_record_each() -> None:
    second = f"{'ab' * 20}.example.com. IN TXT {'cd' * 20}"
    keys = of("security-key", records(securityKeys=[f"{LABEL}.example.com. IN TXT {VALUE}", second]))
    assert [(r.name, r.value) for r in keys] == [(f"{LABEL}.example.com", VALUE), (f"{'ab' * 20}.example.com", "cd" * 20)]


def test_ttl_applies_to_every_record() -> None:
    assert {r.ttl for r in records()} == {None}
    assert {r.effective_ttl for r in records()} == {300}
    assert {(r.ttl, r.effective_ttl) for r in records(ttl=3600)} == {(3600, 3600)}


# --- TXT splitting and quoting ----------------------------------------------------------------


@pytest.mark.parametrize("length, chunks", [(0, [0]), (1, [1]), (255, [255]), (256, [255, 1]), (510, [255, 255]), (600, [255, 255, 90])])
def test_txt_split_ascii(length: int, chunks: list[int]) -> None:
    text = "x" * length
    assert [len(c) for c in txt_strings(text)] == chunks
    assert "".join(txt_strings(text)) == text


@pytest.mark.parametrize("char", ["é", "€", "😀"])
def test_txt_split_never_inside_a_multibyte_char(char: str) -> None:
    width = len(char.encode())
    for prefix in range(0, 4):
        text = "a" * prefix + char * 200
        strings = txt_strings(text)
        assert "".join(strings) == text
        for s in strings:
            encoded = s.encode("utf-8")  # would raise on a split character (it is a str: check sizes)
            assert len(encoded) <= TXT_CHUNK_BYTES
        # each chunk is full up to the last character that still fits
        for s in strings[:-1]:
            assert len(s.encode()) > TXT_CHUNK_BYTES - width


def test_quote_txt_escapes_quotes_and_backslashes() -> None:
    assert quote_txt('say "hi"') == '"say \\"hi\\""'
    assert quote_txt("a\\b") == '"a\\\\b"'
    assert quote_txt("") == '""'
    r = Record("example.com", "TXT", 'k="v" \\ end', "apex-txt")
    assert r.rdata() == '"k=\\"v\\" \\\\ end"'


def test_long_txt_with_quotes_split_before_escaping() -> None:
    text = '"' * 300  # 300 bytes of text: split at 255 bytes of text, then escaped
    r = Record("example.com", "TXT", text, "apex-txt")
    first, second = r.rdata().split(" ")
    assert first == '"' + '\\"' * 255 + '"'
    assert second == '"' + '\\"' * 45 + '"'


# --- keys -------------------------------------------------------------------------------------


def test_record_keys_unique_within_a_domain() -> None:
    for overrides in (
        {},
        {"dkim": {"keys": {"MBO0001": KEY_B64, "MBO0002": KEY_B64}}, "dmarc": True, "apexTxt": ["a=1", "b=2"]},
        {"securityKeys": [f"{LABEL}.example.com. IN TXT {VALUE}", f"{'ab' * 20}.example.com. IN TXT {VALUE}"]},
        {"mxHosts": [f"10 mxext{i}.mailbox.org" for i in range(1, 5)]},
    ):
        keys = [r.key for r in records(**overrides)]
        assert len(keys) == len(set(keys)), keys


def test_record_keys_stable() -> None:
    assert [r.key for r in records(dmarc=True, apexTxt=["a=1"])] == [
        f"key-{LABEL}",
        "mx-mxext1.mailbox.org",
        "mx-mxext2.mailbox.org",
        "mx-mxext3.mailbox.org",
        "spf",
        "txt-" + __import__("hashlib").sha256(b"a=1").hexdigest()[:10],
        "dkim-mbo0001",
        "dkim-mbo0002",
        "dkim-mbo0003",
        "dkim-mbo0004",
        "dmarc",
        "autoconfig",
        "autodiscover",
    ]


def test_record_keys_independent_of_list_order() -> None:
    a = records(apexTxt=["a=1", "b=2"], mxHosts=["10 x.example.net", "20 y.example.net"], dkim={"selectors": ["MBO0001", "MBO0002"]})
    b = records(apexTxt=["b=2", "a=1"], mxHosts=["20 y.example.net", "10 x.example.net"], dkim={"selectors": ["MBO0002", "MBO0001"]})
    assert {r.key: r for r in a} == {r.key: r for r in b}
    # a changed SPF policy keeps its key (the resource is updated, not replaced)
    assert of("spf", records(spf={"all": "-all"}))[0].key == of("spf", records())[0].key
