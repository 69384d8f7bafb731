"""Output of ``mbo-dns``: plain tables for people, zone-file text and JSON for tools.

The JSON documents carry a ``schema`` string; fields are only ever added under the same
version, so scripts that read them keep working (see README, "mbo-dns").
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .records import Record
from .settings import DomainSettings

if TYPE_CHECKING:
    from .check import CheckReport

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


# ---- check ------------------------------------------------------------------------------------

_MARK = {"ok": "ok", "missing": "MISSING", "different": "DIFFERENT", "partial": "PARTIAL", "unknown": "UNKNOWN"}
_EXIT_TEXT = {0: "everything required is in place", 1: "problems found", 3: "the check could not run completely"}


def check_table(report: "CheckReport") -> str:
    from .check import exit_code

    blocks: list[str] = []
    for d in report.domains:
        where = f"zone {d.zone}, " if d.zone else ""
        head = f"{d.domain} ({where}servers: {', '.join(d.servers) or 'none found'})"
        rows = []
        for r in d.records:
            note = r.detail if r.status != "ok" else ""
            rows.append((_MARK[r.status], r.record.name, r.record.type, shown_value(r.record, 60), clip(note, 100)))
        lines = [head, _table(rows, ("STATUS", "NAME", "TYPE", "EXPECTED", "SERVED / NOTE"))]
        if d.spf_lookups is not None:
            lines.append(f"SPF DNS lookups (includes followed): {d.spf_lookups} of 10")
        lines += [f"CONFLICT {c.kind}: {c.name}: {c.message}" for c in d.conflicts]
        lines += [f"NOT CHECKED {f.server}: {f.name} {f.rdtype}: {f.message}" for f in d.failures]
        blocks.append("\n".join(lines))
    code = exit_code(report)
    counts = _counts(report)
    summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    blocks.append(
        f"{len(report.domains)} domain{'s' if len(report.domains) != 1 else ''} checked in {report.seconds:.2f} s: "
        f"{summary or 'nothing to check'}. Exit {code}: {_EXIT_TEXT[code]}."
    )
    return "\n\n".join(blocks) + "\n"


def _counts(report: "CheckReport") -> dict[str, int]:
    from .check import STATUSES

    counts = {s: 0 for s in STATUSES}
    for d in report.domains:
        for r in d.records:
            counts[r.status] += 1
    counts["conflicts"] = sum(len(d.conflicts) for d in report.domains)
    counts["not checked"] = sum(len(d.failures) for d in report.domains)
    return counts


def check_json(report: "CheckReport", stack_file: str, code: int) -> str:
    counts = _counts(report)
    counts["failures"] = counts.pop("not checked")
    doc = {
        "schema": CHECK_SCHEMA,
        "stack_file": stack_file,
        "exit_code": code,
        "ok": code == 0,
        "seconds": round(report.seconds, 3),
        "summary": counts,
        "domains": [
            {
                "domain": d.domain,
                "zone": d.zone,
                "servers": d.servers,
                "ok": not d.problems and not d.failures and all(r.status == "ok" for r in d.records),
                "spf_lookups": d.spf_lookups,
                "records": [
                    {
                        **record_json(r.record),
                        "status": r.status,
                        "served": list(r.served),
                        "detail": r.detail,
                        "answers": [
                            {"server": a.server, "status": a.status, "values": list(a.values)} for a in r.answers
                        ],
                    }
                    for r in d.records
                ],
                "conflicts": [{"kind": c.kind, "name": c.name, "message": c.message} for c in d.conflicts],
                "failures": [
                    {"server": f.server, "name": f.name, "type": f.rdtype, "message": f.message} for f in d.failures
                ],
            }
            for d in report.domains
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
