"""SPF record text for a mailbox.org domain, built from typed terms (RFC 7208)."""
from __future__ import annotations

from dataclasses import dataclass

MAILBOX_ORG_INCLUDE = "mailbox.org"
# mailbox.org advises ~all; +all would authorise the whole internet, so it is not offered.
ALL_QUALIFIERS = ("~all", "-all", "?all")
# RFC 7208 4.6.4: at most 10 terms that cause DNS queries (include, a, mx, ptr, exists, redirect).
MAX_DNS_LOOKUPS = 10


@dataclass(frozen=True)
class SpfPolicy:
    """The senders a domain authorises besides mailbox.org."""

    include: tuple[str, ...] = ()
    ip4: tuple[str, ...] = ()
    ip6: tuple[str, ...] = ()
    a: tuple[str, ...] = ()  # "" stands for a bare "a" (the domain itself)
    mx: tuple[str, ...] = ()  # "" stands for a bare "mx"
    all: str = "~all"

    def terms(self) -> list[str]:
        """Mechanisms in evaluation order: literal addresses first, as they cost no query."""
        terms = [f"ip4:{n}" for n in self.ip4] + [f"ip6:{n}" for n in self.ip6]
        terms += [f"a:{h}" if h else "a" for h in self.a]
        terms += [f"mx:{h}" if h else "mx" for h in self.mx]
        terms += [f"include:{MAILBOX_ORG_INCLUDE}"] + [f"include:{d}" for d in self.include]
        return terms + [self.all]

    def text(self) -> str:
        return " ".join(["v=spf1", *self.terms()])

    def lookup_count(self) -> int:
        """DNS-querying terms in this record itself (an include's own terms count when followed)."""
        return 1 + len(self.include) + len(self.a) + len(self.mx)
