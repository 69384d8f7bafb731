"""One domain's settings: read from stack config or component args, validated with field paths.

Plain Python (no Pulumi, no DNS library): the record plan, the component and ``mbo-dns``
all start from the ``DomainSettings`` this module returns, so a mistake is reported the same
way everywhere and before any resource is registered.

Keys are camelCase as in the stack file; the snake_case spelling (``zone_id``) is accepted too,
so Python users can pass the component a TypedDict in their own style.
"""
from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .gate_spec import (
    DEFAULT_INTERVAL_SECONDS,
    DEFAULT_MAX_INTERVAL_SECONDS,
    DEFAULT_QUERY_TIMEOUT_SECONDS,
    DEFAULT_TIMEOUT_SECONDS,
    MAX_TIMEOUT_SECONDS,
    split_server,
)
from .dmarc import ALIGNMENTS, FAILURE_OPTIONS, POLICIES, DmarcPolicy, mailto_domain, mailto_problem
from .names import is_owner_label, normalize_hostname
from .problems import Problems
from .spf import ALL_QUALIFIERS, MAILBOX_ORG_INCLUDE, MAX_DNS_LOOKUPS, SpfPolicy

PROVIDERS = ("cloudflare", "route53")
MAILBOX_ORG_MX_HOSTS: tuple[tuple[str, int], ...] = (
    ("mxext1.mailbox.org", 10),
    ("mxext2.mailbox.org", 10),
    ("mxext3.mailbox.org", 20),
)
DKIM_SELECTORS = ("MBO0001", "MBO0002", "MBO0003", "MBO0004")
AUTOCONFIG_TARGET = "mailbox.org"
KEY_HEX_LENGTH = 40

T = TypeVar("T")


@dataclass(frozen=True)
class SecurityKey:
    """mailbox.org's per-account proof of ownership: TXT ``<label>.<domain>`` = ``<value>``."""

    label: str
    value: str


@dataclass(frozen=True)
class MxHost:
    host: str
    priority: int


DEFAULT_MX_HOSTS = tuple(MxHost(h, p) for h, p in MAILBOX_ORG_MX_HOSTS)


@dataclass(frozen=True)
class DkimSettings:
    """CNAME delegation to mailbox.org (``selectors``), or TXT keys the user supplies (``keys``)."""

    selectors: tuple[str, ...] = DKIM_SELECTORS
    keys: tuple[tuple[str, str], ...] = ()  # (selector, full "v=DKIM1; ..." text)


@dataclass(frozen=True)
class AutoconfigSettings:
    autoconfig_target: str = AUTOCONFIG_TARGET
    autodiscover_target: str = AUTOCONFIG_TARGET


@dataclass(frozen=True)
class VerificationSettings:
    """How the gate decides that the security keys are visible (see gate.py)."""

    enabled: bool = True
    servers: tuple[str, ...] = ()
    resolvers: tuple[str, ...] = ()
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    interval_seconds: float = DEFAULT_INTERVAL_SECONDS
    max_interval_seconds: float = DEFAULT_MAX_INTERVAL_SECONDS
    query_timeout_seconds: float = DEFAULT_QUERY_TIMEOUT_SECONDS


@dataclass(frozen=True)
class DomainSettings:
    domain: str
    provider: str
    security_keys: tuple[SecurityKey, ...]
    zone_id: str | None = None
    mx: bool = True
    mx_hosts: tuple[MxHost, ...] = DEFAULT_MX_HOSTS
    spf: SpfPolicy | None = field(default_factory=SpfPolicy)
    dkim: DkimSettings | None = field(default_factory=DkimSettings)
    dmarc: DmarcPolicy | None = None
    autoconfig: AutoconfigSettings | None = field(default_factory=AutoconfigSettings)
    apex_txt: tuple[str, ...] = ()
    ttl: int | None = None  # None: the provider's automatic TTL
    adopt_existing: bool = False
    verification: VerificationSettings = field(default_factory=VerificationSettings)


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class _Fields:
    """Reads the keys of one settings object; whatever is left unread is an unknown key."""

    def __init__(self, raw: Mapping[str, Any], where: str, problems: Problems) -> None:
        self.where = where
        self.problems = problems
        self.values: dict[str, tuple[str, Any]] = {}
        for key, value in raw.items():
            name = _camel(str(key))
            if name in self.values:
                problems.error(f"{where}.{key}", f"given twice (as {self.values[name][0]!r} and {key!r})")
            self.values[name] = (str(key), value)
        self.known: list[str] = []

    def path(self, name: str) -> str:
        return f"{self.where}.{self.values[name][0] if name in self.values else name}"

    def has(self, name: str) -> bool:
        self.known.append(name)
        return name in self.values

    def get(self, name: str) -> Any:
        self.known.append(name)
        return self.values[name][1] if name in self.values else None

    def finish(self) -> None:
        for name, (key, _) in self.values.items():
            if name not in self.known:
                known = ", ".join(sorted(set(self.known)))
                self.problems.error(f"{self.where}.{key}", f"unknown setting (known here: {known})")


class _Reader:
    """Typed value checks that record a problem and return None instead of raising."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems

    def bool_(self, value: Any, where: str) -> bool | None:
        if isinstance(value, bool):
            return value
        self.problems.error(where, f"must be true or false, not {value!r}")
        return None

    def str_(self, value: Any, where: str) -> str | None:
        if isinstance(value, str) and value.strip():
            return value
        self.problems.error(where, f"must be a non-empty string, not {value!r}")
        return None

    def number(self, value: Any, where: str, low: float, high: float, *, integer: bool = False) -> float | None:
        ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok_type:
            kind = "a whole number" if integer else "a number"
            self.problems.error(where, f"must be {kind} from {low:g} to {high:g}, not {value!r}")
            return None
        if not low <= value <= high:
            self.problems.error(where, f"must be from {low:g} to {high:g}, not {value!r}")
            return None
        return value

    def choice(self, value: Any, where: str, choices: Sequence[str]) -> str | None:
        if isinstance(value, str) and value in choices:
            return value
        self.problems.error(where, f"must be one of {', '.join(choices)}; not {value!r}")
        return None

    def hostname(self, value: Any, where: str) -> str | None:
        name = normalize_hostname(value) if isinstance(value, str) else None
        if name is None:
            self.problems.error(where, f"{value!r} is not a valid host name")
        return name

    def domain_name(self, value: Any, where: str) -> str | None:
        name = normalize_hostname(value, underscores=True) if isinstance(value, str) else None
        if name is None:
            self.problems.error(where, f"{value!r} is not a valid domain name")
        return name

    def list_of(self, value: Any, where: str, item: Callable[[Any, str], T | None]) -> tuple[T, ...] | None:
        if not isinstance(value, list):
            self.problems.error(where, f"must be a list, not {value!r}")
            return None
        items: list[T] = []
        for i, raw in enumerate(value):
            parsed = item(raw, f"{where}[{i}]")
            if parsed is None:
                continue
            if parsed in items:
                self.problems.error(f"{where}[{i}]", f"{raw!r} is listed twice")
                continue
            items.append(parsed)
        return tuple(items)

    def mapping(self, value: Any, where: str) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping):
            return value
        self.problems.error(where, f"must be an object with named settings, not {value!r}")
        return None


_HEX = re.compile(r"^[0-9a-f]+$")
_KEY_LINE = re.compile(
    r"^(?P<name>\S+)\s+(?:(?P<ttl>\d+)\s+)?(?:IN\s+)?TXT\s+(?P<value>\"[^\"]*\"|[^\s\"]+)$", re.IGNORECASE
)


def parse_security_key(raw: Any, domain: str, where: str, problems: Problems) -> SecurityKey | None:
    """A key as mailbox.org shows it (``<label>.<domain>. IN TXT <value>``) or as {label, value}."""
    if isinstance(raw, Mapping):
        fields = _Fields(raw, where, problems)
        label, value = fields.get("label"), fields.get("value")
        fields.finish()
        if not isinstance(label, str) or not isinstance(value, str):
            problems.error(where, "needs both 'label' and 'value' as strings")
            return None
        label_where, value_where = fields.path("label"), fields.path("value")
    elif isinstance(raw, str):
        text = raw.strip()
        match = _KEY_LINE.match(text)
        if not match:
            problems.error(
                where,
                f"{raw!r} is not a key line as mailbox.org shows it: '<label>.{domain}. IN TXT <value>' "
                "(spaces between the parts only; whitespace inside the label or value is not allowed)",
            )
            return None
        # IDNA like the domain itself: a key line pasted in Unicode form matches the xn-- domain.
        name = normalize_hostname(match.group("name"), underscores=True) or match.group("name").rstrip(".").lower()
        suffix = "." + domain
        if not name.endswith(suffix):
            problems.error(where, f"the key is for {name!r}, not for a name under {domain!r}")
            return None
        label = name[: -len(suffix)]
        value = match.group("value").strip('"')
        label_where = value_where = where
    else:
        problems.error(where, f"must be a key line '<label>.{domain}. IN TXT <value>' or {{label, value}}, not {raw!r}")
        return None

    ok = True
    for part, text, part_where in (("label", label, label_where), ("value", value, value_where)):
        if text != text.strip() or any(c.isspace() for c in text):
            problems.error(part_where, f"the key {part} {text!r} contains whitespace")
            ok = False
        elif not _HEX.match(text.lower()):
            problems.error(part_where, f"the key {part} {text!r} is not hexadecimal")
            ok = False
        elif len(text) != KEY_HEX_LENGTH:
            problems.warn(part_where, f"the key {part} has {len(text)} hex characters; mailbox.org's have {KEY_HEX_LENGTH}")
    return SecurityKey(label.lower(), value.lower()) if ok else None


def _mx_host(r: _Reader, raw: Any, where: str) -> MxHost | None:
    if isinstance(raw, str):
        parts = raw.split()
        if len(parts) != 2 or not parts[0].isdigit():
            r.problems.error(where, f"{raw!r} must look like '10 mxext1.mailbox.org' or be {{host, priority}}")
            return None
        priority: Any = int(parts[0])
        host: Any = parts[1]
        host_where = priority_where = where
    else:
        m = r.mapping(raw, where)
        if m is None:
            return None
        fields = _Fields(m, where, r.problems)
        host, priority = fields.get("host"), fields.get("priority")
        fields.finish()
        host_where, priority_where = fields.path("host"), fields.path("priority")
    name = r.hostname(host, host_where)
    prio = r.number(priority, priority_where, 0, 65535, integer=True)
    return MxHost(name, int(prio)) if name is not None and prio is not None else None


def _spf(r: _Reader, raw: Any, where: str) -> SpfPolicy | None:
    fields = _Fields(raw, where, r.problems)

    def networks(name: str, version: int) -> tuple[str, ...]:
        def one(value: Any, w: str) -> str | None:
            try:
                net = ipaddress.ip_network(value, strict=False) if isinstance(value, str) else None
            except ValueError:
                net = None
            if net is None or net.version != version:
                r.problems.error(w, f"{value!r} is not an IPv{version} address or network")
                return None
            return value

        return r.list_of(fields.get(name), fields.path(name), one) or () if fields.has(name) else ()

    def hosts_or_flag(name: str) -> tuple[str, ...]:
        value = fields.get(name)
        if value is None or value is False:
            return ()
        if value is True:
            return ("",)
        return r.list_of(value, fields.path(name), r.domain_name) or ()

    include = r.list_of(fields.get("include"), fields.path("include"), r.domain_name) or () if fields.has("include") else ()
    for i, domain in enumerate(include):
        if domain == MAILBOX_ORG_INCLUDE:
            r.problems.error(f"{fields.path('include')}[{i}]", "include:mailbox.org is always there; do not list it")
    policy = SpfPolicy(
        include=tuple(d for d in include if d != MAILBOX_ORG_INCLUDE),
        ip4=networks("ip4", 4),
        ip6=networks("ip6", 6),
        a=hosts_or_flag("a"),
        mx=hosts_or_flag("mx"),
        all=(r.choice(fields.get("all"), fields.path("all"), ALL_QUALIFIERS) or "~all") if fields.has("all") else "~all",
    )
    fields.finish()
    if policy.lookup_count() > MAX_DNS_LOOKUPS:
        r.problems.error(
            where,
            f"{policy.lookup_count()} DNS-querying terms (include, a, mx, counting include:mailbox.org); "
            f"RFC 7208 allows at most {MAX_DNS_LOOKUPS}: use ip4/ip6 ranges instead of some includes",
        )
        return None
    return policy


def _dkim_text(r: _Reader, raw: Any, where: str) -> str | None:
    """A DKIM TXT value from a bare base64 public key or a full 'v=DKIM1; k=rsa; p=...' text."""
    if not isinstance(raw, str) or not raw.strip():
        r.problems.error(where, f"must be the public key (base64) or 'v=DKIM1; k=rsa; p=...', not {raw!r}")
        return None
    text = raw.strip()
    if "=" in text and text.lower().startswith("v=dkim1"):
        tags = dict(
            (k.strip().lower(), v.strip()) for k, _, v in (t.partition("=") for t in text.split(";") if t.strip())
        )
        key = tags.get("p", "")
        prefix = text
    else:
        key, prefix = text, None
    if not key:
        r.problems.error(where, "has no public key (p= is empty or missing)")
        return None
    if any(c.isspace() for c in key):
        r.problems.error(where, "the public key contains whitespace (mailbox.org's guide has such a copy error): remove it")
        return None
    try:
        base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        r.problems.error(where, "the public key is not valid base64")
        return None
    return prefix if prefix is not None else f"v=DKIM1; k=rsa; p={key}"


def _dkim(r: _Reader, raw: Any, where: str) -> DkimSettings | None:
    fields = _Fields(raw, where, r.problems)

    def selector(value: Any, w: str) -> str | None:
        if isinstance(value, str) and is_owner_label(value):
            return value
        r.problems.error(w, f"{value!r} is not a DKIM selector (one DNS label such as MBO0001)")
        return None

    def no_case_duplicates(selectors: Sequence[str], w: str) -> None:
        # DNS names are case-insensitive: MBO0001 and mbo0001 are the same record.
        lowered = [s.lower() for s in selectors]
        for dup in sorted({s for s in lowered if lowered.count(s) > 1}):
            r.problems.error(w, f"the selector {dup!r} is given twice (selectors are not case-sensitive)")

    result: DkimSettings | None = DkimSettings()
    if fields.has("selectors") and fields.has("keys"):
        r.problems.error(where, "give either 'selectors' (CNAME to mailbox.org) or 'keys' (your own TXT keys), not both")
        result = None
    elif fields.has("keys"):
        keys = r.mapping(fields.get("keys"), fields.path("keys"))
        parsed: list[tuple[str, str]] = []
        if keys is not None and not keys:
            r.problems.error(fields.path("keys"), "is empty: give at least one selector and key, or set dkim: false")
        for sel, value in (keys or {}).items():
            w = f"{fields.path('keys')}.{sel}"
            s, text = selector(sel, w), _dkim_text(r, value, w)
            if s is not None and text is not None:
                parsed.append((s, text))
        no_case_duplicates([s for s, _ in parsed], fields.path("keys"))
        result = DkimSettings(selectors=(), keys=tuple(parsed))
    elif fields.has("selectors"):
        selectors = r.list_of(fields.get("selectors"), fields.path("selectors"), selector)
        if fields.get("selectors") == []:  # not when every listed selector was invalid (reported already)
            r.problems.error(fields.path("selectors"), "is empty: list selectors, or set dkim: false")
        no_case_duplicates(selectors or (), fields.path("selectors"))
        result = DkimSettings(selectors=selectors or ())
    fields.finish()
    return result


def _dmarc(r: _Reader, raw: Any, where: str, domain: str) -> DmarcPolicy | None:
    fields = _Fields(raw, where, r.problems)

    def uri(value: Any, w: str) -> str | None:
        problem = mailto_problem(value) if isinstance(value, str) else f"{value!r} is not a mailto: URI"
        if problem:
            r.problems.error(w, problem)
            return None
        other = mailto_domain(value)
        if other != domain and not other.endswith("." + domain):
            r.problems.warn(
                w,
                f"reports go to another domain: {other} must publish "
                f"'{domain}._report._dmarc.{other}. TXT \"v=DMARC1\"' or receivers drop them",
            )
        return value

    def uris(name: str) -> tuple[str, ...]:
        return r.list_of(fields.get(name), fields.path(name), uri) or () if fields.has(name) else ()

    def opt_choice(name: str, choices: Sequence[str]) -> str | None:
        return r.choice(fields.get(name), fields.path(name), choices) if fields.has(name) else None

    fo: str | None = None
    if fields.has("fo"):
        value = fields.get("fo")
        text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
        if text is None or not all(part in FAILURE_OPTIONS for part in text.split(":")):
            r.problems.error(fields.path("fo"), f"must be 0, 1, d or s, or several joined by ':' (like '1:d'), not {value!r}")
        else:
            fo = text
    pct = fields.get("pct")
    policy = DmarcPolicy(
        policy=(opt_choice("policy", POLICIES) or "none"),
        subdomain_policy=opt_choice("subdomainPolicy", POLICIES),
        pct=None if pct is None else _int_or_none(r.number(pct, fields.path("pct"), 0, 100, integer=True)),
        rua=uris("rua"),
        ruf=uris("ruf"),
        adkim=opt_choice("adkim", ALIGNMENTS),
        aspf=opt_choice("aspf", ALIGNMENTS),
        fo=fo,
    )
    fields.finish()
    return policy


def _int_or_none(value: float | None) -> int | None:
    return None if value is None else int(value)


def _autoconfig(r: _Reader, raw: Any, where: str) -> AutoconfigSettings | None:
    fields = _Fields(raw, where, r.problems)
    targets = {}
    for name in ("autoconfigTarget", "autodiscoverTarget"):
        if fields.has(name):
            targets[name] = r.hostname(fields.get(name), fields.path(name)) or AUTOCONFIG_TARGET
    fields.finish()
    return AutoconfigSettings(
        autoconfig_target=targets.get("autoconfigTarget", AUTOCONFIG_TARGET),
        autodiscover_target=targets.get("autodiscoverTarget", AUTOCONFIG_TARGET),
    )


ZONE_ID_FORMATS = {
    "cloudflare": (re.compile(r"^[0-9a-f]{32}$"), "023e105f4ecef8ad9ca31a8372d0c353"),
    # The bare id, as the Route53 provider takes it (not "/hostedzone/Z...").
    "route53": (re.compile(r"^Z[0-9A-Z]{1,31}$"), "Z0123456789ABCDEFGHIJ"),
}

def _server(r: _Reader, raw: Any, where: str) -> str | None:
    """A `host[:port]` the gate's probe accepts (syntax only: parsing must work offline)."""
    try:
        host, _ = split_server(raw) if isinstance(raw, str) else ("", 0)
    except ValueError as exc:
        reason = str(exc).removeprefix(f"{raw!r}: ")
        r.problems.error(where, f"{raw!r} is not a server 'host[:port]' (IPv6 as '[::1]:53'): {reason}")
        return None
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if raw.startswith("[") or ":" in host or normalize_hostname(host, min_labels=1) is None:
            r.problems.error(where, f"{raw!r} is not a server 'host[:port]' (IPv6 as '[::1]:53')")
            return None
    return raw


def _verification(r: _Reader, raw: Any, where: str) -> VerificationSettings | None:
    if isinstance(raw, bool):
        return VerificationSettings(enabled=raw)
    m = r.mapping(raw, where)
    if m is None:
        return None
    fields = _Fields(m, where, r.problems)
    defaults = VerificationSettings()
    numbers: dict[str, float] = {}
    limits = {
        "timeoutSeconds": (1, MAX_TIMEOUT_SECONDS, defaults.timeout_seconds),
        "intervalSeconds": (0.01, 600, defaults.interval_seconds),
        "maxIntervalSeconds": (0.01, 600, defaults.max_interval_seconds),
        "queryTimeoutSeconds": (0.01, 60, defaults.query_timeout_seconds),
    }
    for name, (low, high, default) in limits.items():
        value = r.number(fields.get(name), fields.path(name), low, high) if fields.has(name) else default
        numbers[name] = float(value if value is not None else default)
    if numbers["maxIntervalSeconds"] < numbers["intervalSeconds"]:
        r.problems.error(fields.path("maxIntervalSeconds"), "must not be smaller than intervalSeconds")
    enabled = r.bool_(fields.get("enabled"), fields.path("enabled")) if fields.has("enabled") else True
    servers = r.list_of(fields.get("servers"), fields.path("servers"), lambda v, w: _server(r, v, w)) if fields.has("servers") else ()
    resolvers = r.list_of(fields.get("resolvers"), fields.path("resolvers"), lambda v, w: _server(r, v, w)) if fields.has("resolvers") else ()
    fields.finish()
    return VerificationSettings(
        enabled=enabled is not False,
        servers=servers or (),
        resolvers=resolvers or (),
        timeout_seconds=numbers["timeoutSeconds"],
        interval_seconds=numbers["intervalSeconds"],
        max_interval_seconds=numbers["maxIntervalSeconds"],
        query_timeout_seconds=numbers["queryTimeoutSeconds"],
    )


def _switchable(r: _Reader, raw: Any, where: str, parse: Callable[[Any, str], T | None], default: T | None) -> T | None:
    """Settings that may be true (defaults), false (off) or an object."""
    if raw is True:
        return default
    if raw is False:
        return None
    m = r.mapping(raw, where)
    return parse(m, where) if m is not None else None


def parse_domain(raw: Any, where: str, problems: Problems) -> DomainSettings | None:
    """One domain's settings, or None after recording every problem found in them."""
    r = _Reader(problems)
    m = r.mapping(raw, where)
    if m is None:
        return None
    fields = _Fields(m, where, problems)
    domain = r.hostname(fields.get("domain"), fields.path("domain")) if fields.has("domain") else None
    if not fields.has("domain"):
        problems.error(f"{where}.domain", "is required")
    # Every later message names the domain, so a list of many domains stays readable.
    named = f"{where} ({domain})" if domain else where
    fields.where = named
    label = domain or "example.net"

    provider = r.choice(fields.get("provider"), fields.path("provider"), PROVIDERS) if fields.has("provider") else None
    if not fields.has("provider"):
        problems.error(fields.path("provider"), f"is required ({' or '.join(PROVIDERS)})")

    keys: tuple[SecurityKey, ...] = ()
    if fields.has("securityKeys"):
        keys = r.list_of(
            fields.get("securityKeys"),
            fields.path("securityKeys"),
            lambda v, w: parse_security_key(v, label, w, problems),
        ) or ()
        labels = [k.label for k in keys]
        for dup in sorted({x for x in labels if labels.count(x) > 1}):
            problems.error(fields.path("securityKeys"), f"two keys share the label {dup!r}")
        if fields.get("securityKeys") == []:
            problems.error(fields.path("securityKeys"), "is empty: paste the key line mailbox.org shows")
    else:
        problems.error(fields.path("securityKeys"), "is required: paste the key line mailbox.org shows")

    zone_id = fields.get("zoneId")
    if zone_id is not None and provider in ZONE_ID_FORMATS:
        pattern, example = ZONE_ID_FORMATS[provider]
        if not isinstance(zone_id, str) or not pattern.match(zone_id):
            # Caught here, a wrong id cannot fail half-way through `pulumi up`.
            problems.error(fields.path("zoneId"), f"{zone_id!r} is not a {provider} zone id (like {example})")
            zone_id = None

    mx = r.bool_(fields.get("mx"), fields.path("mx")) if fields.has("mx") else True
    mx_hosts = DEFAULT_MX_HOSTS
    if fields.has("mxHosts"):
        mx_hosts = r.list_of(fields.get("mxHosts"), fields.path("mxHosts"), lambda v, w: _mx_host(r, v, w)) or ()
        if fields.get("mxHosts") == []:
            problems.error(fields.path("mxHosts"), "is empty: leave it out for mailbox.org's hosts, or set mx: false")
        hosts = [h.host for h in mx_hosts]
        for dup in sorted({h for h in hosts if hosts.count(h) > 1}):
            problems.error(fields.path("mxHosts"), f"{dup} is listed twice")

    spf = _switchable(r, fields.get("spf"), fields.path("spf"), lambda m, w: _spf(r, m, w), SpfPolicy()) if fields.has("spf") else SpfPolicy()
    dkim = _switchable(r, fields.get("dkim"), fields.path("dkim"), lambda m, w: _dkim(r, m, w), DkimSettings()) if fields.has("dkim") else DkimSettings()
    dmarc = (
        _switchable(r, fields.get("dmarc"), fields.path("dmarc"), lambda m, w: _dmarc(r, m, w, label), DmarcPolicy())
        if fields.has("dmarc") and fields.get("dmarc") is not None
        else None
    )
    autoconfig = (
        _switchable(r, fields.get("autoconfig"), fields.path("autoconfig"), lambda m, w: _autoconfig(r, m, w), AutoconfigSettings())
        if fields.has("autoconfig")
        else AutoconfigSettings()
    )

    apex_txt: tuple[str, ...] = ()
    if fields.has("apexTxt"):
        apex_txt = r.list_of(fields.get("apexTxt"), fields.path("apexTxt"), r.str_) or ()
        spf_values = [i for i, t in enumerate(fields.get("apexTxt") or []) if isinstance(t, str) and t.lower().startswith("v=spf1")]
        for i in spf_values if spf is not None else spf_values[1:]:
            problems.error(
                f"{fields.path('apexTxt')}[{i}]",
                "a second SPF record at the apex makes SPF fail (RFC 7208 3.2): put its terms into 'spf' instead",
            )

    ttl = fields.get("ttl")
    if ttl is not None:
        ttl = _int_or_none(r.number(ttl, fields.path("ttl"), 60, 86400, integer=True))

    adopt = r.bool_(fields.get("adoptExisting"), fields.path("adoptExisting")) if fields.has("adoptExisting") else False
    if adopt and provider == "cloudflare":
        problems.error(
            fields.path("adoptExisting"),
            "Cloudflare has no overwrite: bring existing records under Pulumi with 'pulumi import' (see README)",
        )

    verification = _verification(r, fields.get("verification"), fields.path("verification")) if fields.has("verification") else VerificationSettings()
    fields.finish()

    if domain is None or provider is None or not keys:
        return None
    return DomainSettings(
        domain=domain,
        provider=provider,
        security_keys=keys,
        zone_id=zone_id,
        mx=mx is not False,
        mx_hosts=mx_hosts,
        spf=spf,
        dkim=dkim,
        dmarc=dmarc,
        autoconfig=autoconfig,
        apex_txt=apex_txt,
        ttl=ttl,
        adopt_existing=bool(adopt),
        verification=verification or VerificationSettings(),
    )


def parse_domains(raw: Any, where: str = "domains") -> tuple[list[DomainSettings], list[str]]:
    """Every domain of a stack, or ConfigError listing every problem; returns (settings, warnings)."""
    problems = Problems()
    if not isinstance(raw, list) or not raw:
        problems.error(where, "must be a non-empty list with one object per domain")
        problems.raise_if_any()
    parsed = [parse_domain(item, f"{where}[{i}]", problems) for i, item in enumerate(raw)]
    seen: dict[str, int] = {}
    for i, settings in enumerate(parsed):
        if settings is None:
            continue
        if settings.domain in seen:
            problems.error(f"{where}[{i}] ({settings.domain})", f"the same domain as {where}[{seen[settings.domain]}]")
        seen.setdefault(settings.domain, i)
    problems.raise_if_any()
    return [s for s in parsed if s is not None], problems.warnings
