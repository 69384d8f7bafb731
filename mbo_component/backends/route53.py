"""Route53: one ``aws.route53.Record`` per record set (name, type) (pulumi-aws v7)."""
from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from ..records import Record, txt_strings
from ..settings import DomainSettings
from . import Published


def txt_value(text: str) -> str:
    """One element of ``records`` for a TXT value.

    The provider wraps each element in quotes and escapes nothing: inner quotes and
    backslashes are escaped here, bytes outside printable ASCII become Route53's \\ooo
    escapes, and a value over 255 bytes gets '""' between its 255-byte strings.
    """
    def escape(chunk: str) -> str:
        out = []
        for byte in chunk.encode("utf-8"):
            char = chr(byte)
            if char in '"\\':
                out.append("\\" + char)
            elif 0x20 <= byte < 0x7F:
                out.append(char)
            else:
                out.append(f"\\{byte:03o}")
        return "".join(out)

    return '""'.join(escape(chunk) for chunk in txt_strings(text))


def record_value(record: Record) -> str:
    return txt_value(record.value) if record.type == "TXT" else record.rdata()


def record_sets(records: Sequence[Record]) -> list[tuple[Record, ...]]:
    """Records grouped by (name, type): Route53 holds exactly one record set for each."""
    groups: dict[tuple[str, str], list[Record]] = {}
    for record in records:
        groups.setdefault((record.name, record.type), []).append(record)
    return [tuple(group) for group in groups.values()]


class Route53Backend:
    def __init__(
        self, name: str, settings: DomainSettings, zone_id: pulumi.Input[str] | None, parent: pulumi.Resource
    ) -> None:
        self.name = name
        self.parent = parent
        self.domain = settings.domain
        # Adopting a record set that already exists (UPSERT) silently replaces its values:
        # only when the user asked for it.
        self.allow_overwrite = settings.adopt_existing
        if zone_id is None:
            zone = aws.route53.get_zone_output(
                name=settings.domain, private_zone=False, opts=pulumi.InvokeOutputOptions(parent=parent)
            )
            zone_id = zone.zone_id
        self.zone_id: pulumi.Output[str] = pulumi.Output.from_input(zone_id)

    def _resource_name(self, record: Record) -> str:
        relative = record.name[: -len(self.domain)].rstrip(".") or "apex"
        return f"{self.name}-{record.type.lower()}-{relative}"

    def publish(self, records: Sequence[Record], depends_on: Sequence[pulumi.Resource] = ()) -> Published:
        opts = pulumi.ResourceOptions(parent=self.parent, depends_on=list(depends_on) or None)
        published: Published = []
        for group in record_sets(records):
            first = group[0]
            resource = aws.route53.Record(
                self._resource_name(first),
                zone_id=self.zone_id,
                name=first.name,
                type=first.type,
                ttl=first.effective_ttl,
                records=[record_value(r) for r in group],
                allow_overwrite=self.allow_overwrite or None,
                opts=opts,
            )
            published.append((group, resource))
        return published


BACKEND = Route53Backend
