"""What the verification gate waits for, and its timing defaults and limits.

Standard library only: read by the settings parser (no DNS library there) and by the gate,
poller and probe in the dynamic-provider host, so every default lives in this one place.
"""
from __future__ import annotations

from dataclasses import dataclass

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
        keys = inputs.get("keys") or []
        return cls(
            domain=str(inputs["domain"]),
            keys=tuple((str(k["name"]), str(k["value"])) for k in keys),  # type: ignore[index,union-attr]
            servers=tuple(str(s) for s in inputs.get("servers") or ()),  # type: ignore[union-attr]
            resolvers=tuple(str(s) for s in inputs.get("resolvers") or ()),  # type: ignore[union-attr]
            timeout_seconds=float(inputs.get("timeoutSeconds", DEFAULT_TIMEOUT_SECONDS)),  # type: ignore[arg-type]
            interval_seconds=float(inputs.get("intervalSeconds", DEFAULT_INTERVAL_SECONDS)),  # type: ignore[arg-type]
            max_interval_seconds=float(inputs.get("maxIntervalSeconds", DEFAULT_MAX_INTERVAL_SECONDS)),  # type: ignore[arg-type]
            query_timeout_seconds=float(inputs.get("queryTimeoutSeconds", DEFAULT_QUERY_TIMEOUT_SECONDS)),  # type: ignore[arg-type]
        )
