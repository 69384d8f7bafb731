"""Shared fixtures: real DNS servers on 127.0.0.1 (see tests/dns_server.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `import dns_server`, `import host`

from dns_server import NAMED, NAMED_CHECKZONE, BindServer  # noqa: E402


def require_binary(path: str | None, name: str) -> str:
    """Skip without a BIND binary, except under CI=true where it must fail loudly."""
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"'{name}' is not installed but CI=true: install bind9 and bind9-utils")
        pytest.skip(f"'{name}' is not installed (apt-get install bind9 bind9-utils)")
    return path


def require_named() -> None:
    require_binary(NAMED, "named")


@pytest.fixture
def bind_factory() -> Iterator[Callable[..., BindServer]]:
    """make(zones={origin: text} | None) -> a started BindServer, stopped after the test."""
    require_named()
    servers: list[BindServer] = []

    def make(zones: dict[str, str] | None = None) -> BindServer:
        server = BindServer(zones)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def bind(bind_factory: Callable[..., BindServer]) -> BindServer:
    """One BIND serving example.com (NS ns1.example.com) and a stub mailbox.org zone."""
    return bind_factory(
        {
            "example.com": BindServer.zone_text("example.com", negative_ttl=60),
            "mailbox.org": BindServer.zone_text(
                "mailbox.org",
                ["@ IN TXT \"v=spf1 ip4:127.0.0.1 -all\"", "mxext1 IN A 127.0.0.1", "mxext2 IN A 127.0.0.1"],
            ),
        }
    )
