"""Output of ``mbo-dns``: plain tables for people, zone-file text and JSON for tools.

The JSON documents carry a ``schema`` string; fields are only ever added under the same
version, so scripts that read them keep working (see README, "mbo-dns").
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .records import Record
from .settings import DomainSettings

PLAN_SCHEMA = "mbo-dns.plan/1"
CHECK_SCHEMA = "mbo-dns.check/1"


def _table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    return "\n".join(lines)


TABLE_VALUE_CHARS = 100  # a DKIM key would push every other column off screen


def shown_value(record: Record, limit: int | None = None) -> str:
    """The value as a person reads it: TXT text unquoted, other types in zone-file form."""
    text = record.value if record.type == "TXT" else record.rdata()
    return clip(text, limit)


def clip(text: str, limit: int | None) -> str:
    if limit is None or len(text) <= limit:
        return text
    return f"{text[: limit - 12]}… ({len(text)} chars)"


def record_json(record: Record) -> dict[str, Any]:
    return {
        "key": record.key,
        "purpose": record.purpose,
        "name": record.name,
        "fqdn": record.name + ".",
        "type": record.type,
        "ttl": record.effective_ttl,
        "ttl_automatic": record.ttl is None,
        "value": record.value,
        "priority": record.priority,
        "weight": record.weight,
        "port": record.port,
        "rdata": record.rdata(),
    }


def plan_table(planned: Sequence[tuple[DomainSettings, list[Record]]]) -> str:
    blocks = []
    for settings, records in planned:
        head = f"{settings.domain} ({settings.provider}, {len(records)} records"
        head += ", MX not switched yet)" if not settings.mx else ")"
        rows = [(r.name, r.type, str(r.effective_ttl), shown_value(r, TABLE_VALUE_CHARS), r.purpose) for r in records]
        blocks.append(head + "\n" + _table(rows, ("NAME", "TYPE", "TTL", "VALUE", "PURPOSE")))
    return "\n\n".join(blocks) + "\n"


def plan_zone(planned: Sequence[tuple[DomainSettings, list[Record]]]) -> str:
    """Zone-file records with absolute names; a zone needs only its SOA and NS added."""
    lines: list[str] = []
    for settings, records in planned:
        lines.append(f"; {settings.domain}: records for mailbox.org ({settings.provider})")
        lines += [f"{r.name}.\t{r.effective_ttl}\tIN\t{r.type}\t{r.rdata()}" for r in records]
        lines.append("")
    return "\n".join(lines)


def plan_json(planned: Sequence[tuple[DomainSettings, list[Record]]], stack_file: str, warnings: Sequence[str]) -> str:
    doc = {
        "schema": PLAN_SCHEMA,
        "stack_file": stack_file,
        "warnings": list(warnings),
        "domains": [
            {
                "domain": s.domain,
                "provider": s.provider,
                "mx": s.mx,
                "records": [record_json(r) for r in records],
            }
            for s, records in planned
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
