"""``MailboxOrgDomain``: every mailbox.org record of one domain, MX only after the key is visible."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Union

import pulumi

try:  # NotRequired is in typing from Python 3.11
    from typing import NotRequired, TypedDict
except ImportError:  # pragma: no cover
    from typing_extensions import NotRequired, TypedDict

from . import backends
from .problems import ConfigError, Problems
from .records import Record, plan
from .settings import DomainSettings, parse_domain

TYPE_TOKEN = "mailbox-org-dns:index:MailboxOrgDomain"


class MailboxOrgDomainArgs(TypedDict):
    """The component's settings; the same keys as one entry of the stack's ``domains`` list.

    Everything but ``zone_id`` is a plain value, not an Output: the record plan and its
    validation must be complete before anything is registered (and ``mbo-dns plan`` works
    offline). ``zone_id`` may be an Output, e.g. of a zone created in the same program.
    """

    domain: str
    provider: Literal["cloudflare", "route53"]
    security_keys: Sequence[Union[str, Mapping[str, str]]]
    zone_id: NotRequired[pulumi.Input[str]]
    mx: NotRequired[bool]
    mx_hosts: NotRequired[Sequence[Union[str, Mapping[str, Any]]]]
    spf: NotRequired[Union[bool, Mapping[str, Any]]]
    dkim: NotRequired[Union[bool, Mapping[str, Any]]]
    dmarc: NotRequired[Union[bool, Mapping[str, Any]]]
    autoconfig: NotRequired[Union[bool, Mapping[str, Any]]]
    apex_txt: NotRequired[Sequence[str]]
    ttl: NotRequired[int]
    adopt_existing: NotRequired[bool]
    verification: NotRequired[Union[bool, Mapping[str, Any]]]


def settings_from_args(name: str, args: Mapping[str, Any]) -> tuple[DomainSettings, list[str]]:
    """Validate component args; raises ConfigError naming the component, domain and field."""
    problems = Problems()
    plain = {k: v for k, v in args.items() if k not in ("zone_id", "zoneId") or isinstance(v, str)}
    settings = parse_domain(plain, f"MailboxOrgDomain {name!r}", problems)
    problems.raise_if_any()
    assert settings is not None  # parse_domain returns None only after recording an error
    return settings, problems.warnings


def record_sets(records: Sequence[Record]) -> list[dict[str, Any]]:
    """The component's ``records`` output: one entry per (name, type) with its values."""
    sets: dict[tuple[str, str], dict[str, Any]] = {}
    for r in records:
        entry = sets.setdefault((r.name, r.type), {"name": r.name, "type": r.type, "ttl": r.effective_ttl, "values": []})
        entry["values"].append(r.rdata())
    return list(sets.values())


class MailboxOrgDomain(pulumi.ComponentResource):
    """The mailbox.org records of one domain on Cloudflare or Route53.

    Security-key TXT, SPF, DKIM, DMARC and autoconfig are created at once; the MX records
    wait for a verification gate that polls the domain's authoritative nameservers until
    every key is served, so mail never reaches mailbox.org before it knows the domain.
    """

    records: pulumi.Output[list[dict[str, Any]]]
    zone_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: MailboxOrgDomainArgs | Mapping[str, Any] | DomainSettings,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        zone_id: pulumi.Input[str] | None
        warnings: list[str] = []
        if isinstance(args, DomainSettings):
            settings, zone_id = args, args.zone_id
        else:
            try:
                settings, warnings = settings_from_args(name, args)
            except ConfigError as error:
                # RunError: the user sees the message, not a traceback; nothing is registered.
                raise pulumi.RunError(str(error)) from None
            zone_id = args.get("zone_id", args.get("zoneId"))  # type: ignore[assignment]  # validated: str or Output
        super().__init__(TYPE_TOKEN, name, {}, opts)
        for warning in warnings:
            pulumi.log.warn(warning, resource=self)

        self.settings = settings
        self.plan = plan(settings)
        backend = backends.load(settings.provider)(name, settings, zone_id, self)
        published = backend.publish([r for r in self.plan if r.purpose != "mx"])
        key_resources = [res for recs, res in published if any(r.purpose == "security-key" for r in recs)]

        self.gate: pulumi.Resource | None = None
        if settings.verification.enabled:
            self.gate = self._verification_gate(name, key_resources)
        mx_records = [r for r in self.plan if r.purpose == "mx"]
        if mx_records:
            # depends_on, not an input taken from the gate: MX stays known at preview.
            published += backend.publish(mx_records, depends_on=[self.gate] if self.gate else ())

        self.resources = [res for _, res in published]
        self.records = pulumi.Output.from_input(record_sets(self.plan))
        self.zone_id = backend.zone_id
        self.register_outputs({"records": self.records, "zoneId": self.zone_id})

    def _verification_gate(self, name: str, key_resources: Sequence[pulumi.Resource]) -> pulumi.Resource:
        # Imported here: only stacks that verify load the gate (and dnspython).
        from .gate import GateSpec, VerificationGate, VerificationWatch

        v = self.settings.verification
        spec = GateSpec(
            domain=self.settings.domain,
            keys=tuple((r.name, r.value) for r in self.plan if r.purpose == "security-key"),
            servers=v.servers,
            resolvers=v.resolvers,
            timeout_seconds=v.timeout_seconds,
            interval_seconds=v.interval_seconds,
            max_interval_seconds=v.max_interval_seconds,
            query_timeout_seconds=v.query_timeout_seconds,
        )
        # The watch has no dependencies, so the engine creates it first thing and polling of
        # every domain starts at once; the gate then only waits (see README, "Many domains").
        watch = VerificationWatch(f"{name}-key-watch", spec, pulumi.ResourceOptions(parent=self))
        return VerificationGate(
            f"{name}-key-visible", spec, pulumi.ResourceOptions(parent=self, depends_on=[*key_resources, watch])
        )
