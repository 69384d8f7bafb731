"""The Pulumi program behind ``__main__.py``: one MailboxOrgDomain per entry of ``domains``."""
from __future__ import annotations

from typing import Any

import pulumi

from .component import MailboxOrgDomain
from .problems import ConfigError
from .settings import parse_domains


def build(raw_domains: Any) -> dict[str, MailboxOrgDomain]:
    """Validate every domain first, so an error anywhere registers nothing anywhere."""
    try:
        domains, warnings = parse_domains(raw_domains)
    except ConfigError as error:
        raise pulumi.RunError(str(error)) from None
    for warning in warnings:
        pulumi.log.warn(warning)
    components = {settings.domain: MailboxOrgDomain(settings.domain, settings) for settings in domains}
    pulumi.export(
        "domains",
        {domain: {"zoneId": c.zone_id, "records": c.records} for domain, c in components.items()},
    )
    return components
