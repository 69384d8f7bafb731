"""Host-name checks shared by the settings parser (plain Python, no DNS library)."""
from __future__ import annotations

import re

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Owner names such as MBO0001._domainkey may carry underscores; host names may not.
_OWNER_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")


def normalize_hostname(text: str, *, min_labels: int = 2, underscores: bool = False) -> str | None:
    """Lower-case ASCII form of ``text`` (IDNA for Unicode, one trailing dot dropped), or None if invalid.

    ``underscores`` admits owner names such as ``_spf.example.com`` (SPF includes), not host names.
    """
    name = text.strip()
    if name != text or not name:
        return None
    if name.endswith("."):
        name = name[:-1]
    try:
        name = name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError:
        return None
    name = name.lower()
    labels = name.split(".")
    if len(name) > 253 or len(labels) < min_labels:
        return None
    pattern = _OWNER_LABEL if underscores else _LABEL
    if not all(pattern.match(label) for label in labels):
        return None
    return name


def is_owner_label(label: str) -> bool:
    """True for one label usable in an owner name (letters, digits, hyphen, underscore)."""
    return bool(_OWNER_LABEL.match(label.lower()))
