"""The record plan: one domain's settings in, the exact DNS records out.

Pure data with no Pulumi and no provider in it. The backends, the verification gate, the
``mbo-dns`` command and the tests all read this plan, so it speaks plain DNS: absolute
lower-case names without the trailing dot, TXT text unquoted, TTL None for "automatic".
Provider quirks (quoting, record-set merging) live in the backends.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .settings import DomainSettings

# Cloudflare's "automatic" TTL is 300 s; Route53 and zone files need a number, so use the same.
AUTOMATIC_TTL = 300
TXT_CHUNK_BYTES = 255  # RFC 1035: one character-string holds at most 255 bytes

PURPOSES = ("security-key", "mx", "spf", "apex-txt", "dkim", "dmarc", "autoconfig", "autodiscover")


@dataclass(frozen=True)
class Record:
    """One DNS resource record."""

    name: str  # absolute, lower-case, no trailing dot
    type: str  # TXT, MX, CNAME or SRV
    value: str  # TXT: the text; MX, CNAME, SRV: the target host name
    purpose: str  # one of PURPOSES
    ttl: int | None = None  # None: the provider's automatic TTL
    priority: int | None = None  # MX and SRV
    weight: int | None = None  # SRV
    port: int | None = None  # SRV

    @property
    def key(self) -> str:
        """A stable id within a domain, used for resource names: independent of list order."""
        if self.purpose == "security-key":
            return f"key-{self.name.split('.', 1)[0]}"
        if self.purpose == "mx":
            return f"mx-{self.value}"
        if self.purpose == "dkim":
            return f"dkim-{self.name.split('.', 1)[0]}"
        if self.purpose == "apex-txt":
            return f"txt-{hashlib.sha256(self.value.encode()).hexdigest()[:10]}"
        return self.purpose

    @property
    def effective_ttl(self) -> int:
        return AUTOMATIC_TTL if self.ttl is None else self.ttl

    def rdata(self) -> str:
        """The record data in zone-file presentation format (host names absolute)."""
        if self.type == "TXT":
            return " ".join(quote_txt(s) for s in txt_strings(self.value))
        if self.type == "MX":
            return f"{self.priority} {self.value}."
        if self.type == "SRV":
            return f"{self.priority} {self.weight} {self.port} {self.value}."
        return f"{self.value}."


def txt_strings(text: str) -> list[str]:
    """Split TXT text into character-strings of at most 255 bytes, never inside a UTF-8 character."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for char in text:
        n = len(char.encode("utf-8"))
        if size + n > TXT_CHUNK_BYTES:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += n
    chunks.append("".join(current))
    return chunks


def quote_txt(chunk: str) -> str:
    """One RFC 1035 quoted character-string."""
    return '"' + chunk.replace("\\", "\\\\").replace('"', '\\"') + '"'


def plan(settings: DomainSettings) -> list[Record]:
    """Every record mailbox.org needs for this domain, in the order they matter."""
    domain, ttl = settings.domain, settings.ttl
    records = [
        Record(f"{key.label}.{domain}", "TXT", key.value, "security-key", ttl) for key in settings.security_keys
    ]
    if settings.mx:
        records += [Record(domain, "MX", h.host, "mx", ttl, priority=h.priority) for h in settings.mx_hosts]
    if settings.spf is not None:
        records.append(Record(domain, "TXT", settings.spf.text(), "spf", ttl))
    records += [Record(domain, "TXT", text, "apex-txt", ttl) for text in settings.apex_txt]
    if settings.dkim is not None:
        records += [
            Record(f"{sel.lower()}._domainkey.{domain}", "CNAME", f"{sel.lower()}._domainkey.mailbox.org", "dkim", ttl)
            for sel in settings.dkim.selectors
        ]
        records += [
            Record(f"{sel.lower()}._domainkey.{domain}", "TXT", text, "dkim", ttl) for sel, text in settings.dkim.keys
        ]
    if settings.dmarc is not None:
        records.append(Record(f"_dmarc.{domain}", "TXT", settings.dmarc.text(), "dmarc", ttl))
    if settings.autoconfig is not None:
        records.append(Record(f"autoconfig.{domain}", "CNAME", settings.autoconfig.autoconfig_target, "autoconfig", ttl))
        records.append(
            Record(
                f"_autodiscover._tcp.{domain}", "SRV", settings.autoconfig.autodiscover_target, "autodiscover", ttl,
                priority=0, weight=0, port=443,
            )
        )
    return records
