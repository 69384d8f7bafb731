"""DNS backends: each turns plan records into one provider's resources.

Each backend module is imported only when a domain uses it (``load``): pulumi_cloudflare
costs ~2 s and ~165 MB to import, pulumi_aws about as much, and a stack that never uses
one of them must not pay for it.
"""
from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Protocol

import pulumi

from ..records import Record
from ..settings import DomainSettings

# Shown in the provider's console beside each record, so a person editing DNS by hand
# knows the record is owned by code.
MANAGED_COMMENT = "mailbox.org record, managed by Pulumi (mailbox-org-dns)"

Published = list[tuple[tuple[Record, ...], pulumi.CustomResource]]


class Backend(Protocol):
    zone_id: pulumi.Output[str]

    def publish(self, records: Sequence[Record], depends_on: Sequence[pulumi.Resource] = ()) -> Published:
        """Register resources for ``records``; returns which records each resource carries."""
        ...


class BackendFactory(Protocol):
    def __call__(
        self, name: str, settings: DomainSettings, zone_id: pulumi.Input[str] | None, parent: pulumi.Resource
    ) -> Backend: ...


def load(provider: str) -> BackendFactory:
    module = importlib.import_module(f".{provider}", __name__)
    factory: BackendFactory = module.BACKEND
    return factory
