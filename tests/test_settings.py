"""The settings parser, one setting at a time, then a table of bad configurations."""
from __future__ import annotations

import base64
from typing import Any

import pytest

from mbo_component.dmarc import DmarcPolicy
from mbo_component.problems import ConfigError
from mbo_component.settings import (
    AutoconfigSettings,
    DkimSettings,
    DomainSettings,
    MxHost,
    SecurityKey,
    VerificationSettings,
    ZONE_ID_FORMATS,
    parse_domains,
)
from mbo_component.spf import SpfPolicy

LABEL = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
VALUE = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
LINE = f"{LABEL}.example.com. IN TXT {VALUE}"
P = "domains[0] (example.com)"  # the field-path prefix of the first domain


def domain(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {"domain": "example.com", "provider": "cloudflare", "securityKeys": [LINE]}
    raw.update(overrides)
    return {k: v for k, v in raw.items() if v is not _DROP}


_DROP = object()


def one(**overrides: Any) -> tuple[DomainSettings, list[str]]:
    settings, warnings = parse_domains([domain(**overrides)])
    assert len(settings) == 1
    return settings[0], warnings


def errors(*domains: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_domains(list(domains))
    assert str(info.value).startswith(f"mailbox-org-dns: {len(info.value.problems)} problem")
    return info.value.problems


def error(**overrides: Any) -> str:
    problems = errors(domain(**overrides))
    assert len(problems) == 1, problems
    return problems[0]


# --- security keys ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        LINE,
        f'{LABEL}.example.com. IN TXT "{VALUE}"',
        f"{LABEL}.example.com IN TXT {VALUE}",  # no trailing dot
        f"{LABEL}.example.com. 3600 IN TXT {VALUE}",  # with a TTL
        f"{LABEL}.example.com. TXT {VALUE}",  # without the class
        f"  {LABEL}.example.com. IN TXT {VALUE}\n",  # surrounding whitespace of a pasted line
        f"{LABEL.upper()}.EXAMPLE.com. in txt {VALUE.upper()}",
        {"label": LABEL, "value": VALUE},
        {"label": LABEL.upper(), "value": VALUE},
    ],
)
def test_security_key_forms(raw: Any) -> None:
    settings, warnings = one(securityKeys=[raw])
    assert settings.security_keys == (SecurityKey(LABEL, VALUE),)
    assert warnings == []


@pytest.mark.parametrize("name", ["bücher.example", "BÜCHER.example", "xn--bcher-kva.example"])
def test_security_key_of_an_internationalized_domain(name: str) -> None:
    settings, _ = parse_domains([domain(domain="bücher.example", securityKeys=[f"{LABEL}.{name}. IN TXT {VALUE}"])])
    assert settings[0].domain == "xn--bcher-kva.example"
    assert settings[0].security_keys == (SecurityKey(LABEL, VALUE),)


def test_several_security_keys_for_several_accounts() -> None:
    other = f"{'ab' * 20}.example.com. IN TXT {'cd' * 20}"
    settings, _ = one(securityKeys=[LINE, other])
    assert [k.label for k in settings.security_keys] == [LABEL, "ab" * 20]


@pytest.mark.parametrize(
    "raw, path, words",
    [
        (f"{LABEL}.other.com. IN TXT {VALUE}", f"{P}.securityKeys[0]", ["other.com", "not for a name under 'example.com'"]),
        # a suffix match on the text alone would accept this one
        (f"{LABEL}.notexample.com. IN TXT {VALUE}", f"{P}.securityKeys[0]", ["notexample.com", "not for a name under"]),
        (f"{LABEL[:-1]}g.example.com. IN TXT {VALUE}", f"{P}.securityKeys[0]", ["key label", "not hexadecimal"]),
        (f"{LABEL}.example.com. IN TXT {VALUE[:-1]}x", f"{P}.securityKeys[0]", ["key value", "not hexadecimal"]),
        (f'{LABEL}.example.com. IN TXT "{VALUE[:10]} {VALUE[10:]}"', f"{P}.securityKeys[0]", ["key value", "whitespace"]),
        (f"{LABEL[:10]} {LABEL[10:]}.example.com. IN TXT {VALUE}", f"{P}.securityKeys[0]", ["not a key line"]),
        (f'{LABEL}.example.com. IN TXT "{VALUE}', f"{P}.securityKeys[0]", ["not a key line"]),  # unbalanced quote
        (f"{LABEL}.example.com. IN MX {VALUE}", f"{P}.securityKeys[0]", ["not a key line"]),
        ({"label": LABEL, "value": " " + VALUE}, f"{P}.securityKeys[0].value", ["key value", "whitespace"]),
        ({"label": LABEL[:5] + "\t" + LABEL[5:], "value": VALUE}, f"{P}.securityKeys[0].label", ["whitespace"]),
        ({"label": LABEL}, f"{P}.securityKeys[0]", ["needs both 'label' and 'value'"]),
        ({"label": LABEL, "value": VALUE, "ttl": 60}, f"{P}.securityKeys[0].ttl", ["unknown setting"]),
        (42, f"{P}.securityKeys[0]", ["must be a key line"]),
    ],
)
def test_security_key_errors(raw: Any, path: str, words: list[str]) -> None:
    problem = error(securityKeys=[raw])
    assert problem.startswith(path + ": "), problem
    for word in words:
        assert word in problem


@pytest.mark.parametrize("length", [38, 64])
def test_security_key_length_other_than_40_is_a_warning(length: int) -> None:
    value = ("ab" * 40)[:length]
    settings, warnings = one(securityKeys=[f"{LABEL}.example.com. IN TXT {value}"])
    assert settings.security_keys[0].value == value
    assert warnings == [f"{P}.securityKeys[0]: the key value has {length} hex characters; mailbox.org's have 40"]


def test_security_keys_required_non_empty_and_unique() -> None:
    assert error(securityKeys=_DROP) == f"{P}.securityKeys: is required: paste the key line mailbox.org shows"
    assert error(securityKeys=[]) == f"{P}.securityKeys: is empty: paste the key line mailbox.org shows"
    problem = error(securityKeys=[LINE, {"label": LABEL, "value": "ee" * 20}])
    assert problem == f"{P}.securityKeys: two keys share the label {LABEL!r}"
    assert error(securityKeys=[LINE, LINE]).startswith(f"{P}.securityKeys[1]: ")


# --- MX ---------------------------------------------------------------------------------------


def test_mx_defaults_and_hosts() -> None:
    settings, _ = one()
    assert settings.mx is True
    assert settings.mx_hosts == (
        MxHost("mxext1.mailbox.org", 10), MxHost("mxext2.mailbox.org", 10), MxHost("mxext3.mailbox.org", 20)
    )
    settings, _ = one(mxHosts=["10 MXEXT1.mailbox.org.", {"host": "mxext4.mailbox.org", "priority": 20}])
    assert settings.mx_hosts == (MxHost("mxext1.mailbox.org", 10), MxHost("mxext4.mailbox.org", 20))
    assert one(mx=False)[0].mx is False


@pytest.mark.parametrize(
    "hosts, path, words",
    [
        (["mxext1.mailbox.org"], f"{P}.mxHosts[0]", ["must look like '10 mxext1.mailbox.org'"]),
        (["ten mxext1.mailbox.org"], f"{P}.mxHosts[0]", ["must look like"]),
        ([{"host": "mxext1.mailbox.org", "priority": 70000}], f"{P}.mxHosts[0].priority", ["from 0 to 65535"]),
        ([{"host": "bad_host.example", "priority": 10}], f"{P}.mxHosts[0].host", ["not a valid host name"]),
        ([{"host": "a.example", "prio": 10}], f"{P}.mxHosts[0].prio", ["unknown setting"]),
        (["10 a.example", "20 A.example"], f"{P}.mxHosts", ["a.example is listed twice"]),
        ([], f"{P}.mxHosts", ["is empty", "mx: false"]),
    ],
)
def test_mx_host_errors(hosts: list[Any], path: str, words: list[str]) -> None:
    problems = errors(domain(mxHosts=hosts))
    assert any(p.startswith(path + ": ") and all(w in p for w in words) for p in problems), problems


# --- SPF --------------------------------------------------------------------------------------


def test_spf_default_and_terms() -> None:
    assert one()[0].spf == SpfPolicy()
    settings, _ = one(
        spf={
            "include": ["_spf.google.com"],
            "ip4": ["192.0.2.0/24", "198.51.100.7"],
            "ip6": ["2001:db8::/32"],
            "a": True,
            "mx": ["mail.example.com"],
            "all": "-all",
        }
    )
    assert settings.spf is not None
    assert settings.spf.text() == (
        "v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.7 ip6:2001:db8::/32 a mx:mail.example.com "
        "include:mailbox.org include:_spf.google.com -all"
    )
    assert one(spf=False)[0].spf is None
    assert one(spf=True)[0].spf == SpfPolicy()


def test_spf_lookup_limit_counts_mailbox_org() -> None:
    nine = [f"i{i}.example.org" for i in range(9)]
    assert one(spf={"include": nine})[0].spf.lookup_count() == 10  # type: ignore[union-attr]
    problem = error(spf={"include": nine + ["j.example.org"]})
    assert problem.startswith(f"{P}.spf: 11 DNS-querying terms")
    assert "at most 10" in problem
    problem = error(spf={"include": nine[:8], "a": True, "mx": True})
    assert problem.startswith(f"{P}.spf: 11 DNS-querying terms")


@pytest.mark.parametrize(
    "spf, path, words",
    [
        ({"all": "+all"}, f"{P}.spf.all", ["~all, -all, ?all", "'+all'"]),
        ({"ip4": ["300.1.1.1"]}, f"{P}.spf.ip4[0]", ["not an IPv4"]),
        ({"ip6": ["192.0.2.1"]}, f"{P}.spf.ip6[0]", ["IPv6"]),
        ({"includes": ["a.example"]}, f"{P}.spf.includes", ["unknown setting"]),
    ],
)
def test_spf_errors(spf: dict[str, Any], path: str, words: list[str]) -> None:
    problem = error(spf=spf)
    assert problem.startswith(path + ": "), problem
    assert all(w in problem for w in words), problem


def test_second_spf_record_in_apex_txt_rejected() -> None:
    problem = error(apexTxt=["google-site-verification=abc", "v=spf1 -all"])
    assert problem.startswith(f"{P}.apexTxt[1]: a second SPF record")
    # with spf: false the user's own SPF record is the only one, and allowed
    settings, _ = one(spf=False, apexTxt=["v=spf1 -all"])
    assert settings.apex_txt == ("v=spf1 -all",)
    # ... but not two of them
    assert error(spf=False, apexTxt=["v=spf1 -all", "v=spf1 ~all"]).startswith(f"{P}.apexTxt[1]: a second SPF")


# --- DKIM -------------------------------------------------------------------------------------

# an RSA-2048 SubjectPublicKeyInfo is 294 bytes: 392 base64 characters, over one 255-byte string
KEY_B64 = base64.b64encode(bytes([0x30, 0x82, 0x01, 0x22]) + bytes(range(256)) + bytes(34)).decode()


def test_dkim_default_is_cname_to_mbo0001_to_4() -> None:
    settings, _ = one()
    assert settings.dkim == DkimSettings(selectors=("MBO0001", "MBO0002", "MBO0003", "MBO0004"), keys=())
    assert one(dkim=True)[0].dkim == DkimSettings()
    assert one(dkim=False)[0].dkim is None
    assert one(dkim={"selectors": ["MBO0001", "MBO0002"]})[0].dkim == DkimSettings(selectors=("MBO0001", "MBO0002"))


def test_dkim_keys_bare_base64_or_full_text() -> None:
    settings, _ = one(dkim={"keys": {"MBO0001": KEY_B64, "MBO0002": f"v=DKIM1; k=rsa; p={KEY_B64}"}})
    assert settings.dkim == DkimSettings(
        selectors=(),
        keys=(("MBO0001", f"v=DKIM1; k=rsa; p={KEY_B64}"), ("MBO0002", f"v=DKIM1; k=rsa; p={KEY_B64}")),
    )


@pytest.mark.parametrize(
    "dkim, path, words",
    [
        ({"keys": {"MBO0001": KEY_B64[:40] + " " + KEY_B64[40:]}}, f"{P}.dkim.keys.MBO0001", ["whitespace"]),
        ({"keys": {"MBO0001": f"v=DKIM1; k=rsa; p={KEY_B64[:40]} {KEY_B64[40:]}"}}, f"{P}.dkim.keys.MBO0001", ["whitespace"]),
        ({"keys": {"MBO0001": "MIIB*jAN"}}, f"{P}.dkim.keys.MBO0001", ["not valid base64"]),
        ({"keys": {"MBO0001": KEY_B64[:-1]}}, f"{P}.dkim.keys.MBO0001", ["not valid base64"]),  # bad padding
        ({"keys": {"MBO0001": "v=DKIM1; k=rsa; p="}}, f"{P}.dkim.keys.MBO0001", ["no public key"]),
        ({"keys": {"MBO 1": KEY_B64}}, f"{P}.dkim.keys.MBO 1", ["not a DKIM selector"]),
        ({"keys": {}}, f"{P}.dkim.keys", ["is empty"]),
        ({"selectors": ["MBO0001"], "keys": {"MBO0001": KEY_B64}}, f"{P}.dkim", ["either 'selectors'", "not both"]),
        ({"selectors": []}, f"{P}.dkim.selectors", ["is empty"]),
        ({"selectors": ["a.b"]}, f"{P}.dkim.selectors[0]", ["not a DKIM selector"]),
        ({"selectors": ["MBO0001", "mbo0001"]}, f"{P}.dkim.selectors", ["'mbo0001' is given twice"]),
        ({"keys": {"MBO0001": KEY_B64, "mbo0001": KEY_B64}}, f"{P}.dkim.keys", ["'mbo0001' is given twice"]),
        ({"selector": ["MBO0001"]}, f"{P}.dkim.selector", ["unknown setting"]),
        ("cname", f"{P}.dkim", ["must be an object"]),
    ],
)
def test_dkim_errors(dkim: Any, path: str, words: list[str]) -> None:
    problem = error(dkim=dkim)
    assert problem.startswith(path + ": "), problem
    assert all(w in problem for w in words), problem


# --- DMARC ------------------------------------------------------------------------------------


def test_dmarc_off_by_default_and_every_tag() -> None:
    assert one()[0].dmarc is None
    assert one(dmarc=True)[0].dmarc == DmarcPolicy()
    assert one(dmarc=False)[0].dmarc is None
    settings, warnings = one(
        dmarc={
            "policy": "quarantine",
            "subdomainPolicy": "reject",
            "pct": 50,
            "rua": ["mailto:dmarc@example.com", "mailto:agg@sub.example.com!10m"],
            "ruf": ["mailto:forensic@example.com"],
            "adkim": "s",
            "aspf": "r",
            "fo": "1:d",
        }
    )
    assert warnings == []
    assert settings.dmarc == DmarcPolicy(
        policy="quarantine",
        subdomain_policy="reject",
        pct=50,
        rua=("mailto:dmarc@example.com", "mailto:agg@sub.example.com!10m"),
        ruf=("mailto:forensic@example.com",),
        adkim="s",
        aspf="r",
        fo="1:d",
    )
    assert one(dmarc={"fo": 1})[0].dmarc == DmarcPolicy(fo="1")


def test_dmarc_reports_to_another_domain_warn() -> None:
    settings, warnings = one(dmarc={"rua": ["mailto:reports@dmarc.example.net"]})
    assert settings.dmarc is not None and settings.dmarc.rua == ("mailto:reports@dmarc.example.net",)
    assert len(warnings) == 1
    assert warnings[0].startswith(f"{P}.dmarc.rua[0]: reports go to another domain: dmarc.example.net")
    assert "example.com._report._dmarc.dmarc.example.net" in warnings[0]


@pytest.mark.parametrize(
    "dmarc, path, words",
    [
        ({"policy": "block"}, f"{P}.dmarc.policy", ["none, quarantine, reject"]),
        ({"subdomainPolicy": "x"}, f"{P}.dmarc.subdomainPolicy", ["none, quarantine, reject"]),
        ({"pct": 101}, f"{P}.dmarc.pct", ["from 0 to 100"]),
        ({"pct": 12.5}, f"{P}.dmarc.pct", ["whole number"]),
        ({"rua": ["dmarc@example.com"]}, f"{P}.dmarc.rua[0]", ["not a URI", "write 'mailto:dmarc@example.com'"]),
        ({"rua": ["https://example.com/r"]}, f"{P}.dmarc.rua[0]", ["not a mailto: URI"]),
        ({"ruf": ["mailto:a,b@example.com"]}, f"{P}.dmarc.ruf[0]", ["not a valid mailto: URI"]),
        ({"ruf": ["mailto:a@example"]}, f"{P}.dmarc.ruf[0]", ["not a valid mailto: URI"]),
        ({"rua": "mailto:dmarc@example.com"}, f"{P}.dmarc.rua", ["must be a list"]),
        ({"adkim": "relaxed"}, f"{P}.dmarc.adkim", ["r, s"]),
        ({"aspf": "x"}, f"{P}.dmarc.aspf", ["r, s"]),
        ({"fo": "2"}, f"{P}.dmarc.fo", ["0, 1, d or s"]),
        ({"p": "reject"}, f"{P}.dmarc.p", ["unknown setting"]),
    ],
)
def test_dmarc_errors(dmarc: dict[str, Any], path: str, words: list[str]) -> None:
    problem = error(dmarc=dmarc)
    assert problem.startswith(path + ": "), problem
    assert all(w in problem for w in words), problem


# --- autoconfig, TTL, verification, adoption --------------------------------------------------


def test_autoconfig() -> None:
    assert one()[0].autoconfig == AutoconfigSettings("mailbox.org", "mailbox.org")
    assert one(autoconfig=False)[0].autoconfig is None
    settings, _ = one(autoconfig={"autoconfigTarget": "Autoconfig.Example.NET.", "autodiscoverTarget": "ad.example.net"})
    assert settings.autoconfig == AutoconfigSettings("autoconfig.example.net", "ad.example.net")
    assert error(autoconfig={"autoconfigTarget": "not a host"}).startswith(f"{P}.autoconfig.autoconfigTarget: ")
    assert "unknown setting" in error(autoconfig={"target": "x.example"})


@pytest.mark.parametrize("ttl", [60, 3600, 86400])
def test_ttl_bounds_accepted(ttl: int) -> None:
    assert one(ttl=ttl)[0].ttl == ttl


@pytest.mark.parametrize("ttl, words", [(59, "from 60 to 86400, not 59"), (86401, "not 86401"), (300.5, "whole number"), (True, "whole number"), ("300", "whole number")])
def test_ttl_bounds_rejected(ttl: Any, words: str) -> None:
    problem = error(ttl=ttl)
    assert problem.startswith(f"{P}.ttl: ") and words in problem, problem


def test_ttl_default_is_automatic() -> None:
    assert one()[0].ttl is None


def test_verification_settings() -> None:
    assert one()[0].verification == VerificationSettings()
    assert one(verification=False)[0].verification == VerificationSettings(enabled=False)
    assert one(verification={"enabled": False})[0].verification.enabled is False
    settings, _ = one(
        verification={
            "servers": ["ns1.example.com", "192.0.2.53:5353", "[2001:db8::53]:53"],
            "resolvers": ["1.1.1.1"],
            "timeoutSeconds": 1200,
            "intervalSeconds": 1,
            "maxIntervalSeconds": 10,
            "queryTimeoutSeconds": 2,
        }
    )
    assert settings.verification == VerificationSettings(
        enabled=True,
        servers=("ns1.example.com", "192.0.2.53:5353", "[2001:db8::53]:53"),
        resolvers=("1.1.1.1",),
        timeout_seconds=1200.0,
        interval_seconds=1.0,
        max_interval_seconds=10.0,
        query_timeout_seconds=2.0,
    )


@pytest.mark.parametrize(
    "verification, path, words",
    [
        ({"timeoutSeconds": 2000}, f"{P}.verification.timeoutSeconds", ["from 1 to 1500"]),  # under the host's 30 min
        ({"intervalSeconds": 10, "maxIntervalSeconds": 5}, f"{P}.verification.maxIntervalSeconds", ["not be smaller"]),
        ({"servers": ["1.2.3.4:99999"]}, f"{P}.verification.servers[0]", ["not a server"]),
        ({"resolvers": ["[::g]:53"]}, f"{P}.verification.resolvers[0]", ["not a server"]),
        ({"enabled": "no"}, f"{P}.verification.enabled", ["true or false"]),
        ({"timeout": 10}, f"{P}.verification.timeout", ["unknown setting"]),
        ("yes", f"{P}.verification", ["must be an object"]),
    ],
)
def test_verification_errors(verification: Any, path: str, words: list[str]) -> None:
    problem = error(verification=verification)
    assert problem.startswith(path + ": "), problem
    assert all(w in problem for w in words), problem


def test_adopt_existing_only_on_route53() -> None:
    problem = error(adoptExisting=True)
    assert problem.startswith(f"{P}.adoptExisting: Cloudflare has no overwrite") and "pulumi import" in problem
    assert one(adoptExisting=False)[0].adopt_existing is False
    assert one(provider="route53", adoptExisting=True)[0].adopt_existing is True
    assert one(provider="route53")[0].adopt_existing is False


# --- keys: unknown, snake_case, duplicates ----------------------------------------------------


def test_unknown_key_is_rejected_with_the_known_ones() -> None:
    problem = error(mxhost=["10 a.example"])
    assert problem.startswith(f"{P}.mxhost: unknown setting (known here: ")
    assert "mxHosts" in problem and "securityKeys" in problem


def test_snake_case_accepted() -> None:
    settings, _ = one(
        securityKeys=_DROP,
        security_keys=[LINE],
        zone_id="Z0123ABCD",
        mx_hosts=["5 mx.example.net"],
        apex_txt=["google-site-verification=x"],
        dkim={"keys": {"MBO0001": KEY_B64}},
        dmarc={"subdomain_policy": "reject"},
        provider="route53",
        adopt_existing=True,
        verification={"timeout_seconds": 60, "interval_seconds": 1, "max_interval_seconds": 2},
    )
    assert settings.security_keys == (SecurityKey(LABEL, VALUE),)
    assert settings.zone_id == "Z0123ABCD"
    assert settings.mx_hosts == (MxHost("mx.example.net", 5),)
    assert settings.apex_txt == ("google-site-verification=x",)
    assert settings.dmarc == DmarcPolicy(subdomain_policy="reject")
    assert settings.adopt_existing is True
    assert settings.verification.timeout_seconds == 60.0


def test_same_key_in_both_spellings_is_an_error() -> None:
    problem = error(apex_txt=["a"], apexTxt=["b"])
    assert problem == "domains[0].apexTxt: given twice (as 'apex_txt' and 'apexTxt')"


def test_duplicate_domains_case_and_dot_insensitive() -> None:
    problems = errors(domain(), domain(domain="Example.COM."))
    assert problems == ["domains[1] (example.com): the same domain as domains[0]"]


def test_domain_and_provider_required() -> None:
    problems = errors({"securityKeys": [LINE]})
    assert "domains[0].domain: is required" in problems
    assert "domains[0].provider: is required (cloudflare or route53)" in problems
    assert error(provider="gandi").startswith(f"{P}.provider: must be one of cloudflare, route53")
    assert error(zoneId=12) == f"{P}.zoneId: 12 is not a cloudflare zone id (like 023e105f4ecef8ad9ca31a8372d0c353)"


@pytest.mark.parametrize(
    ("provider", "zone_id", "ok"),
    [
        ("cloudflare", "023e105f4ecef8ad9ca31a8372d0c353", True),
        ("cloudflare", "023E105F4ECEF8AD9CA31A8372D0C353", False),  # the API's ids are lower-case
        ("cloudflare", "Z0123456789ABCDEFGHIJ", False),
        ("route53", "Z0123456789ABCDEFGHIJ", True),
        ("route53", "/hostedzone/Z0123456789ABCDEFGHIJ", False),
        ("route53", "023e105f4ecef8ad9ca31a8372d0c353", False),
    ],
)
def test_zone_id_format_per_provider(provider: str, zone_id: str, ok: bool) -> None:
    raw = domain(provider=provider, zoneId=zone_id)
    if ok:
        (settings,), _ = parse_domains([raw])
        assert settings.zone_id == zone_id
    else:
        with pytest.raises(ConfigError) as info:
            parse_domains([raw])
        example = ZONE_ID_FORMATS[provider][1]
        assert info.value.problems == [f"{P}.zoneId: {zone_id!r} is not a {provider} zone id (like {example})"]


def test_domains_must_be_a_non_empty_list() -> None:
    for raw in ([], {}, None, "example.com"):
        with pytest.raises(ConfigError) as info:
            parse_domains(raw)
        assert info.value.problems == ["domains: must be a non-empty list with one object per domain"]


# --- the table of bad configurations ----------------------------------------------------------

BAD = [
    ({"provider": "cloudfare"}, f"{P}.provider", ["must be one of cloudflare, route53", "'cloudfare'"]),
    ({"domain": "exa mple.com"}, "domains[0].domain", ["not a valid host name"]),
    ({"securityKeys": [f"{LABEL}.example.org. IN TXT {VALUE}"]}, f"{P}.securityKeys[0]", ["example.org", "not for a name under"]),
    ({"mx": "yes"}, f"{P}.mx", ["true or false"]),
    ({"mxHosts": ["mxext1.mailbox.org"]}, f"{P}.mxHosts[0]", ["must look like"]),
    ({"spf": {"all": "+all"}}, f"{P}.spf.all", ["'+all'"]),
    ({"spf": {"include": [f"x{i}.example" for i in range(10)]}}, f"{P}.spf", ["11 DNS-querying terms", "at most 10"]),
    ({"apexTxt": ["v=spf1 ip4:192.0.2.1 ~all"]}, f"{P}.apexTxt[0]", ["second SPF record"]),
    ({"apexTxt": [""]}, f"{P}.apexTxt[0]", ["non-empty string"]),
    ({"dkim": {"keys": {"MBO0001": "AAA A"}}}, f"{P}.dkim.keys.MBO0001", ["whitespace"]),
    ({"dkim": {"selectors": ["MBO0001"], "keys": {"MBO0001": KEY_B64}}}, f"{P}.dkim", ["not both"]),
    ({"dmarc": {"rua": ["mailto:postmaster"]}}, f"{P}.dmarc.rua[0]", ["not a valid mailto: URI"]),
    ({"dmarc": {"policy": "reject", "pct": -1}}, f"{P}.dmarc.pct", ["from 0 to 100"]),
    ({"autoconfig": {"autoconfigTarget": "-bad.example"}}, f"{P}.autoconfig.autoconfigTarget", ["not a valid host name"]),
    ({"ttl": 10}, f"{P}.ttl", ["from 60 to 86400"]),
    ({"verification": {"timeoutSeconds": 0}}, f"{P}.verification.timeoutSeconds", ["from 1 to 1500"]),
    ({"adoptExisting": True}, f"{P}.adoptExisting", ["Cloudflare has no overwrite", "pulumi import"]),
    ({"securtyKeys": [LINE]}, f"{P}.securtyKeys", ["unknown setting"]),
]


@pytest.mark.parametrize("overrides, path, words", BAD, ids=[b[1].split(".", 1)[-1] + f"-{i}" for i, b in enumerate(BAD)])
def test_bad_configuration_table(overrides: dict[str, Any], path: str, words: list[str]) -> None:
    problems = errors(domain(**overrides))
    # the typo'd securtyKeys also leaves securityKeys missing: look for the line with this path
    matching = [p for p in problems if p.startswith(path + ": ")]
    assert matching, problems
    assert all(word in matching[0] for word in words), matching[0]


def test_all_problems_reported_at_once() -> None:
    """Three mistakes in two domains: three lines, each naming its domain and field, nothing dropped."""
    first = domain(ttl=5, dmarc={"rua": ["dmarc@example.com"]})
    second = {
        "domain": "example.org",
        "provider": "cloudflare",
        "securityKeys": [f"{LABEL}.example.org. IN TXT {VALUE}"],
        "adoptExisting": True,
    }
    with pytest.raises(ConfigError) as info:
        parse_domains([first, second])
    assert info.value.problems == [
        f"{P}.dmarc.rua[0]: 'dmarc@example.com' is not a URI: write 'mailto:dmarc@example.com'",
        f"{P}.ttl: must be from 60 to 86400, not 5",
        "domains[1] (example.org).adoptExisting: Cloudflare has no overwrite: bring existing records under "
        "Pulumi with 'pulumi import' (see README)",
    ]
    message = str(info.value)
    assert message.splitlines()[0] == "mailbox-org-dns: 3 problems in the configuration:"
    assert len(message.splitlines()) == 4
