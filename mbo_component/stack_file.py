"""Reading the domain list out of a Pulumi stack file (``stacks/Pulumi.<stack>.yaml``).

``mbo-dns`` works offline and without Pulumi's engine, so it reads the YAML itself. Only the
plain (unencrypted) value of ``mailbox-org-dns:domains`` is used; its validation is left to
``settings.parse_domains`` so the CLI reports exactly what the component would.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

DOMAINS_KEY = "mailbox-org-dns:domains"


class StackFileError(Exception):
    """The file cannot be read, is not YAML, or holds no domain list."""


def load_domains(path: str | Path) -> Any:
    """The raw value of ``mailbox-org-dns:domains`` in a stack file (not yet validated).

    Accepted: ``config: {mailbox-org-dns:domains: [...]}`` as Pulumi writes it, or a file
    holding only ``mailbox-org-dns:domains: [...]`` at the top level.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise StackFileError(f"{file}: cannot read the stack file ({exc.strerror or exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise StackFileError(f"{file}: not valid YAML: {exc}") from None
    if not isinstance(data, Mapping):
        raise StackFileError(f"{file}: expected a YAML mapping with a 'config:' section")
    config = data.get("config")
    if isinstance(config, Mapping) and DOMAINS_KEY in config:
        value = config[DOMAINS_KEY]
    elif DOMAINS_KEY in data:
        value = data[DOMAINS_KEY]
    else:
        where = "config:" if isinstance(config, Mapping) else "the file"
        raise StackFileError(f"{file}: no '{DOMAINS_KEY}' key in {where}")
    if isinstance(value, Mapping) and "secure" in value:
        # Encrypted config needs the stack's secrets provider: that is Pulumi's job, not ours.
        raise StackFileError(f"{file}: '{DOMAINS_KEY}' is encrypted (secure:); mbo-dns reads plain config only")
    return value
