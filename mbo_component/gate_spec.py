"""What the verification gate waits for, and its timing defaults and limits.

Standard library only: read by the settings parser (no DNS library there) and by the gate,
poller and probe in the dynamic-provider host, so every default lives in this one place.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_TIMEOUT_SECONDS = 900.0
DEFAULT_INTERVAL_SECONDS = 2.0
DEFAULT_MAX_INTERVAL_SECONDS = 30.0
DEFAULT_QUERY_TIMEOUT_SECONDS = 3.0
# The dynamic-provider host cancels a request queued for 30 minutes. A gate queued behind
# blocked ones can wait about one deadline plus a last round of queries: stay well under.
MAX_TIMEOUT_SECONDS = 1500.0


@dataclass(frozen=True)
class GateSpec:
    """What the verification gate waits for; hashable, so it also keys the poller's watches.

    keys: (fqdn without trailing dot, exact TXT value) pairs. servers: `host[:port]` to
    query instead of discovering the zone's NS set. resolvers: recursive resolvers that must
    also serve every value (asked only once every authoritative server does).
    """

    domain: str
    keys: tuple[tuple[str, str], ...]
    servers: tuple[str, ...] = ()
    resolvers: tuple[str, ...] = ()
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    interval_seconds: float = DEFAULT_INTERVAL_SECONDS
    max_interval_seconds: float = DEFAULT_MAX_INTERVAL_SECONDS
    query_timeout_seconds: float = DEFAULT_QUERY_TIMEOUT_SECONDS

    def to_inputs(self) -> dict[str, object]:
        """The camelCase input dict of the gate resources."""
        return {
            "domain": self.domain,
            "keys": [{"name": name, "value": value} for name, value in self.keys],
            "servers": list(self.servers),
            "resolvers": list(self.resolvers),
            "timeoutSeconds": float(self.timeout_seconds),
            "intervalSeconds": float(self.interval_seconds),
            "maxIntervalSeconds": float(self.max_interval_seconds),
            "queryTimeoutSeconds": float(self.query_timeout_seconds),
        }

    @classmethod
    def from_inputs(cls, inputs: dict[str, object]) -> "GateSpec":
        """Inverse of `to_inputs` for already-validated inputs (numbers may be floats)."""
        keys: list[Any] = list(inputs.get("keys") or [])  # type: ignore[call-overload]
        servers: list[Any] = list(inputs.get("servers") or [])  # type: ignore[call-overload]
        resolvers: list[Any] = list(inputs.get("resolvers") or [])  # type: ignore[call-overload]

        def number(key: str, default: float) -> float:
            value = inputs.get(key, default)
            return float(value) if isinstance(value, (int, float)) else default

        return cls(
            domain=str(inputs["domain"]),
            keys=tuple((str(k["name"]), str(k["value"])) for k in keys),
            servers=tuple(str(s) for s in servers),
            resolvers=tuple(str(s) for s in resolvers),
            timeout_seconds=number("timeoutSeconds", DEFAULT_TIMEOUT_SECONDS),
            interval_seconds=number("intervalSeconds", DEFAULT_INTERVAL_SECONDS),
            max_interval_seconds=number("maxIntervalSeconds", DEFAULT_MAX_INTERVAL_SECONDS),
            query_timeout_seconds=number("queryTimeoutSeconds", DEFAULT_QUERY_TIMEOUT_SECONDS),
        )


def split_server(spec: str, default_port: int = 53) -> tuple[str, int]:
    """`host[:port]` into (host, port): `192.0.2.1:5353`, `[2001:db8::1]:53`, `2001:db8::1`.

    Syntax only (no look-up), so the settings parser can use it offline; raises ValueError
    with a readable reason.
    """
    text = spec.strip()
    if not text:
        raise ValueError("empty server")
    host, port = text, default_port
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ValueError(f"{spec!r}: missing ']' after IPv6 address")
        host, rest = text[1:end], text[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"{spec!r}: expected ':port' after ']'")
            port = _port(spec, rest[1:])
    elif text.count(":") == 1:
        host, port_text = text.split(":")
        port = _port(spec, port_text)
    # more than one ':' without brackets: a bare IPv6 address, default port
    if not host or any(c.isspace() for c in host):
        raise ValueError(f"{spec!r}: not an IP address or host name")
    return host, port


def _port(spec: str, text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{spec!r}: port must be a number from 1 to 65535")
    return int(text)
