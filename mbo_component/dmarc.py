"""DMARC record text from typed settings (RFC 7489), with report URIs checked where they are built."""
from __future__ import annotations

import re
from dataclasses import dataclass

POLICIES = ("none", "quarantine", "reject")
ALIGNMENTS = ("r", "s")
FAILURE_OPTIONS = ("0", "1", "d", "s")
# mailto:local@domain with RFC 7489's optional size limit (!10m); commas and semicolons
# would break the tag list, so they are not allowed in the address.
_MAILTO = re.compile(r"^mailto:([^@\s,;!]+)@([A-Za-z0-9.-]+\.[A-Za-z]{2,63})(![0-9]+[kmgt]?)?$")


def mailto_problem(uri: str) -> str | None:
    """Why ``uri`` is not a usable DMARC report address, or None if it is."""
    if not uri.startswith("mailto:"):
        if "@" in uri and ":" not in uri:
            return f"{uri!r} is not a URI: write 'mailto:{uri}'"
        return f"{uri!r} is not a mailto: URI (mailto:local@domain)"
    if not _MAILTO.match(uri):
        return f"{uri!r} is not a valid mailto: URI (mailto:local@domain, optional !size such as !10m)"
    return None


def mailto_domain(uri: str) -> str:
    match = _MAILTO.match(uri)
    return match.group(2).lower() if match else ""


@dataclass(frozen=True)
class DmarcPolicy:
    policy: str = "none"
    subdomain_policy: str | None = None
    pct: int | None = None
    rua: tuple[str, ...] = ()
    ruf: tuple[str, ...] = ()
    adkim: str | None = None
    aspf: str | None = None
    fo: str | None = None

    def text(self) -> str:
        # v and p must come first (RFC 7489 6.3); the rest only when set, so the record says
        # exactly what the user chose and receivers apply their defaults otherwise.
        tags = [("v", "DMARC1"), ("p", self.policy)]
        optional = [
            ("sp", self.subdomain_policy),
            ("pct", None if self.pct is None else str(self.pct)),
            ("rua", ",".join(self.rua) or None),
            ("ruf", ",".join(self.ruf) or None),
            ("adkim", self.adkim),
            ("aspf", self.aspf),
            ("fo", self.fo),
        ]
        tags += [(k, v) for k, v in optional if v is not None]
        return "; ".join(f"{k}={v}" for k, v in tags)
