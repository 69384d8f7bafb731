"""mailbox.org custom-domain DNS records as a Pulumi component.

Kept free of imports on purpose: the dynamic-provider host imports ``mbo_component.gate``
(and so this file) for every gate, and a Cloudflare-only stack must never load pulumi_aws.
``MailboxOrgDomain`` and friends are loaded on first use.
"""
from __future__ import annotations

from typing import Any

__all__ = ["MailboxOrgDomain", "MailboxOrgDomainArgs", "ConfigError", "DomainSettings", "parse_domains", "plan"]

_LAZY = {
    "MailboxOrgDomain": "component",
    "MailboxOrgDomainArgs": "component",
    "ConfigError": "problems",
    "DomainSettings": "settings",
    "parse_domains": "settings",
    "plan": "records",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
