"""Cloudflare: one ``cloudflare.DnsRecord`` per DNS record (pulumi-cloudflare v6)."""
from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_cloudflare as cloudflare

from ..records import Record
from ..settings import DomainSettings
from . import MANAGED_COMMENT, Published

AUTOMATIC_TTL = 1  # Cloudflare's "automatic"


def record_args(record: Record) -> dict[str, object]:
    """The DnsRecord inputs for one record, in the form the Cloudflare API stores them.

    Names are lower-case FQDNs (Cloudflare lower-cases them, a mixed-case name diffs forever);
    TXT content is quoted and split into 255-byte strings by us (the provider does neither,
    and an unquoted value comes back quoted: drift on every preview); no record is proxied
    (a proxied CNAME answers with Cloudflare's addresses, which breaks autoconfig and DKIM).
    """
    args: dict[str, object] = {
        "name": record.name,
        "type": record.type,
        "ttl": AUTOMATIC_TTL if record.ttl is None else record.ttl,
        "proxied": False,
        "comment": MANAGED_COMMENT,
    }
    if record.type == "TXT":
        args["content"] = record.rdata()
    elif record.type == "MX":
        args["content"] = record.value
        args["priority"] = record.priority
    elif record.type == "SRV":
        # SRV fields go in `data`; the top-level priority too, or the provider (v5 TF
        # schema) shows a change on every preview (terraform-provider-cloudflare#6684).
        args["data"] = {"priority": record.priority, "weight": record.weight, "port": record.port, "target": record.value}
        args["priority"] = record.priority
    else:
        args["content"] = record.value
    return args


class CloudflareBackend:
    def __init__(
        self, name: str, settings: DomainSettings, zone_id: pulumi.Input[str] | None, parent: pulumi.Resource
    ) -> None:
        self.name = name
        self.parent = parent
        if zone_id is None:
            zone = cloudflare.get_zone_output(
                filter={"name": settings.domain, "match": "all"}, opts=pulumi.InvokeOutputOptions(parent=parent)
            )
            zone_id = zone.id
        self.zone_id: pulumi.Output[str] = pulumi.Output.from_input(zone_id)

    def publish(self, records: Sequence[Record], depends_on: Sequence[pulumi.Resource] = ()) -> Published:
        opts = pulumi.ResourceOptions(parent=self.parent, depends_on=list(depends_on) or None)
        return [
            ((record,), cloudflare.DnsRecord(f"{self.name}-{record.key}", zone_id=self.zone_id, opts=opts, **record_args(record)))  # type: ignore[call-overload]
            for record in records
        ]


BACKEND = CloudflareBackend
