"""Verification gate: MX only after every security key is served by every nameserver.

Two dynamic resources per domain (providers are classes here so dill pickles them by
reference: never rename or move `WatchProvider` / `GateProvider` without a state migration):

* `VerificationWatch` has no dependencies, so the engine creates it at the very start of
  `pulumi up`; it registers the domain's keys with the host-wide poller and returns at once.
* `VerificationGate` depends on the key TXT records and the watch; it blocks until the
  poller has seen every value on every server, or raises at the deadline. Gates queued
  behind the host's 4 busy threads then return as soon as they run, because their watch has
  been polling all along; all deadlines run concurrently.

Imports only dnspython (via probe/poller) and pulumi: the dynamic-provider host pays for every
import.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from .gate_spec import (
    DEFAULT_INTERVAL_SECONDS,
    DEFAULT_MAX_INTERVAL_SECONDS,
    DEFAULT_QUERY_TIMEOUT_SECONDS,
    DEFAULT_TIMEOUT_SECONDS,
    MAX_TIMEOUT_SECONDS,
    GateSpec,
)
from .poller import Watch, get_poller
from .probe import parse_server

__all__ = ["GateSpec", "VerificationWatch", "VerificationGate", "WatchProvider", "GateProvider", "VerificationFailed"]

INPUT_KEYS = (
    "domain",
    "keys",
    "servers",
    "resolvers",
    "timeoutSeconds",
    "intervalSeconds",
    "maxIntervalSeconds",
    "queryTimeoutSeconds",
)
NUMBER_DEFAULTS = {
    "timeoutSeconds": DEFAULT_TIMEOUT_SECONDS,
    "intervalSeconds": DEFAULT_INTERVAL_SECONDS,
    "maxIntervalSeconds": DEFAULT_MAX_INTERVAL_SECONDS,
    "queryTimeoutSeconds": DEFAULT_QUERY_TIMEOUT_SECONDS,
}
# Progress lines: at most this often while answers change, at least this often while waiting.
PROGRESS_MIN_SECONDS = 5.0
PROGRESS_MAX_SECONDS = 30.0
PROVIDER_KEY = "__provider"


class VerificationFailed(Exception):
    """The deadline passed; the last line of the message is what the user should do."""


def _unknown(value: Any) -> bool:
    # rpc.UNKNOWN is a str sentinel; comparing by value avoids importing pulumi.runtime.rpc.
    return isinstance(value, str) and value == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def _normalize_name(name: str) -> str:
    return name.strip().rstrip(".").lower()


def normalize_inputs(news: dict[str, Any]) -> tuple[dict[str, Any], list[CheckFailure]]:
    """Validated, normalized inputs (defaults filled, numbers as floats) and failures."""
    inputs: dict[str, Any] = {k: v for k, v in news.items() if k != PROVIDER_KEY}
    failures: list[CheckFailure] = []

    domain = inputs.get("domain")
    if not _unknown(domain):
        if not isinstance(domain, str) or not _normalize_name(domain) or " " in domain:
            failures.append(CheckFailure("domain", "must be a domain name such as example.com"))
        else:
            inputs["domain"] = _normalize_name(domain)

    keys = inputs.get("keys")
    if not _unknown(keys):
        if not isinstance(keys, list) or not keys:
            failures.append(CheckFailure("keys", "must be a non-empty list of {name, value}"))
        else:
            normalized = []
            for i, key in enumerate(keys):
                if _unknown(key):
                    normalized.append(key)
                    continue
                name = key.get("name") if isinstance(key, dict) else None
                value = key.get("value") if isinstance(key, dict) else None
                if _unknown(name) or _unknown(value):
                    normalized.append(key)
                    continue
                if not isinstance(name, str) or not _normalize_name(name):
                    failures.append(CheckFailure(f"keys[{i}].name", "must be the record's full name (fqdn)"))
                elif isinstance(domain, str) and not _unknown(domain) and not (
                    _normalize_name(name) == _normalize_name(domain)
                    or _normalize_name(name).endswith("." + _normalize_name(domain))
                ):
                    failures.append(CheckFailure(f"keys[{i}].name", f"{name!r} is not inside domain {domain!r}"))
                if not isinstance(value, str) or not value:
                    failures.append(CheckFailure(f"keys[{i}].value", "must be the non-empty TXT value"))
                normalized.append(
                    {"name": _normalize_name(name) if isinstance(name, str) else name, "value": value}
                )
            inputs["keys"] = normalized

    for field in ("servers", "resolvers"):
        value = inputs.get(field)
        if value is None:
            inputs[field] = []
            continue
        if _unknown(value):
            continue
        if not isinstance(value, list):
            failures.append(CheckFailure(field, "must be a list of host[:port]"))
            continue
        for i, spec in enumerate(value):
            if _unknown(spec):
                continue
            if not isinstance(spec, str):
                failures.append(CheckFailure(f"{field}[{i}]", "must be a string host[:port]"))
                continue
            try:
                parse_server(spec)
            except ValueError as exc:
                failures.append(CheckFailure(f"{field}[{i}]", str(exc)))

    for field, default in NUMBER_DEFAULTS.items():
        value = inputs.get(field)
        if value is None:
            inputs[field] = default
            continue
        if _unknown(value):
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            failures.append(CheckFailure(field, "must be a positive number of seconds"))
            continue
        inputs[field] = float(value)
    timeout = inputs.get("timeoutSeconds")
    if isinstance(timeout, float) and timeout > MAX_TIMEOUT_SECONDS:
        failures.append(
            CheckFailure("timeoutSeconds", f"must be at most {MAX_TIMEOUT_SECONDS:g} s: the dynamic-provider host cancels requests queued 30 min")
        )
    interval, cap = inputs.get("intervalSeconds"), inputs.get("maxIntervalSeconds")
    if isinstance(interval, float) and isinstance(cap, float) and interval > cap:
        failures.append(CheckFailure("intervalSeconds", "must not exceed maxIntervalSeconds"))
    return inputs, failures


def _comparable(value: Any) -> Any:
    """Numbers come back from the engine as floats: 5 and 5.0 must compare equal."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items() if k != PROVIDER_KEY}
    return value


def changed_inputs(olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
    """Input keys whose value differs; outputs-only keys (verifiedAt...) and __provider ignored."""
    old_inputs, _ = normalize_inputs({k: olds.get(k) for k in INPUT_KEYS if k in olds})
    new_inputs, _ = normalize_inputs({k: news.get(k) for k in INPUT_KEYS if k in news})
    return [k for k in INPUT_KEYS if _comparable(old_inputs.get(k)) != _comparable(new_inputs.get(k))]


def _spec_or_none(props: dict[str, Any]) -> GateSpec | None:
    inputs, failures = normalize_inputs(props)
    if failures or any(_unknown(inputs.get(k)) for k in INPUT_KEYS):
        return None
    return GateSpec.from_inputs(inputs)


def _say(line: str) -> None:
    # The engine shows the provider host's output in `pulumi up`; flush so it is not held back.
    print(f"mbo verification gate: {line}", file=sys.stdout, flush=True)


class _BaseProvider(ResourceProvider):
    """Shared check/diff/read/delete; both resources take identical inputs."""

    serialize_as_secret_always = False  # nothing secret is captured; keeps diffs readable

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, failures = normalize_inputs(news)
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = changed_inputs(olds, news)
        # A changed key or setting re-runs the gate in place: update, never replace.
        return DiffResult(changes=bool(changes), replaces=[], delete_before_replace=False)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        # Refresh keeps the state: what was verified stays verified (re-checking is `mbo-dns check`).
        return ReadResult(id_, {k: v for k, v in props.items() if k != PROVIDER_KEY})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None  # nothing exists in DNS for this resource


class WatchProvider(_BaseProvider):
    """Registers the spec with the host-wide poller and returns at once."""

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = super().diff(id_, olds, news)
        # Warm start: with no diff there is no create/update, yet a gate that failed last time
        # will block again this run. Registering here (read-only queries) keeps every domain's
        # polling and deadline running from the start, not from when its gate gets a thread.
        spec = _spec_or_none(news)
        if spec is not None and not result.changes:
            get_poller().register(spec)
        return result

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs, _ = normalize_inputs(props)
        spec = GateSpec.from_inputs(inputs)
        watch = get_poller().register(spec)
        return CreateResult(f"watch-{spec.domain}", {**inputs, "startedAt": watch.started_at()})

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs, _ = normalize_inputs(news)
        watch = get_poller().register(GateSpec.from_inputs(inputs))
        return UpdateResult({**inputs, "startedAt": watch.started_at()})


class GateProvider(_BaseProvider):
    """Blocks create/update until every key is served by every server, or the deadline."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs, _ = normalize_inputs(props)
        outs = self._verify(inputs)
        return CreateResult(f"gate-{inputs['domain']}", outs)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs, _ = normalize_inputs(news)
        return UpdateResult(self._verify(inputs))

    def _verify(self, inputs: dict[str, Any]) -> dict[str, Any]:
        spec = GateSpec.from_inputs(inputs)
        watch = get_poller().register(spec)  # reuses the watch's polling when it exists
        watch.kick()  # the TXT records exist now: poll at once, interval back to its start
        wait_for(watch)
        if not watch.verified:
            raise VerificationFailed(_failure_message(watch))
        return {
            **inputs,
            "verifiedAt": watch.verified_at(),
            "checkedServers": [s.spec for s in watch.servers],
            "checkedResolvers": [s.spec for s in watch.resolvers],
        }


def wait_for(watch: Watch, say: Callable[[str], None] = _say) -> None:
    """Block until the watch finishes, printing progress while waiting.

    A line when the set of answers changed (checked every PROGRESS_MIN_SECONDS) and at least
    every PROGRESS_MAX_SECONDS; `watch.wait` returns the moment the watch finishes.
    """
    # First line once the servers have answered, so it says what they serve.
    if watch.wait_first_round(watch.spec.query_timeout_seconds * 2 + 1):
        return
    say(watch.progress())
    last_summary, last_time = watch.pending_summary(), time.monotonic()
    while not watch.wait(PROGRESS_MIN_SECONDS):
        summary, now = watch.pending_summary(), time.monotonic()
        if summary != last_summary or now - last_time >= PROGRESS_MAX_SECONDS:
            say(watch.progress())
            last_summary, last_time = summary, now
    say(watch.progress())


def _failure_message(watch: Watch) -> str:
    # Details first, the actionable sentence last: the engine shows the traceback's last line.
    lines = [m.describe(with_name=True) for m in watch.missing()]
    return "\n".join(["not verified:", *lines, watch.failure()])


class VerificationWatch(Resource, module="mbo", name="VerificationWatch"):
    """Starts polling a domain's security keys at the start of `pulumi up` (no dependencies)."""

    def __init__(self, name: str, spec: GateSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(WatchProvider(), name, {**spec.to_inputs(), "startedAt": None}, opts)


class VerificationGate(Resource, module="mbo", name="VerificationGate"):
    """Completes only once every security key is served by every nameserver; MX depends on it."""

    verifiedAt: pulumi.Output[str]
    checkedServers: pulumi.Output[list[str]]

    def __init__(self, name: str, spec: GateSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        props = {**spec.to_inputs(), "verifiedAt": None, "checkedServers": None, "checkedResolvers": None}
        super().__init__(GateProvider(), name, props, opts)
