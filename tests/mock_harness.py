"""Run a Pulumi program under mocks and record what it registers (no CLI, no network).

``run(program)`` resets the runtime, installs fresh mocks with a ``RecordingMonitor`` and runs
``program()`` the way ``@pulumi.runtime.test`` does, so many programs can run in one process.
The monitor records, for every registered resource, its type, name, parent URN, dependency
URNs and inputs (``MockResourceArgs`` carries neither parent nor dependencies), plus every
invoke and every ``register_outputs`` call.

``python tests/mock_harness.py <module:function> <json-args>`` runs one program in this
process and prints a JSON summary (resources, invokes, error, loaded modules): for checks
that need a fresh interpreter (which SDKs a program imports).
"""
from __future__ import annotations

import asyncio
import importlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime import settings
from pulumi.runtime.settings import SETTINGS, reset_options
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CLOUDFLARE_GET_ZONE = "cloudflare:index/getZone:getZone"
AWS_GET_ZONE = "aws:route53/getZone:getZone"


def looked_up_zone_id(provider: str, domain: str) -> str:
    return f"{provider}-zone-of-{domain}"


@dataclass
class Registered:
    type: str
    name: str
    urn: str
    parent: str
    dependencies: list[str]
    inputs: dict[str, Any]
    custom: bool


@dataclass
class Invoked:
    token: str
    args: dict[str, Any]


class Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.invokes: list[Invoked] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        self.invokes.append(Invoked(args.token, dict(args.args)))
        if args.token == CLOUDFLARE_GET_ZONE:
            name = (args.args.get("filter") or {}).get("name", "")
            zone = looked_up_zone_id("cloudflare", name)
            return {"id": zone, "name": name}
        if args.token == AWS_GET_ZONE:
            name = args.args.get("name", "")
            zone = looked_up_zone_id("route53", name)
            return {"id": zone, "zoneId": zone, "name": name}
        raise AssertionError(f"unexpected invoke {args.token}")


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.registered: list[Registered] = []
        self.outputs: dict[str, dict[str, Any]] = {}

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC name)
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.registered.append(
                Registered(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent=request.parent,
                    dependencies=list(request.dependencies),
                    inputs=rpc.deserialize_properties(request.object),
                    custom=bool(request.custom),
                )
            )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802
        self.outputs[request.urn] = rpc.deserialize_properties(request.outputs)
        return super().RegisterResourceOutputs(request)

    # Queries used by the tests ---------------------------------------------------------------
    def by_type(self, type_: str) -> list[Registered]:
        return [r for r in self.registered if r.type == type_]

    def by_urn(self, urn: str) -> Registered:
        return next(r for r in self.registered if r.urn == urn)

    def named(self, name: str) -> Registered:
        return next(r for r in self.registered if r.name == name)

    def children(self, parent: Registered) -> list[Registered]:
        return [r for r in self.registered if r.parent == parent.urn]


@dataclass
class Run:
    monitor: RecordingMonitor
    mocks: Mocks
    result: Any = None
    error: BaseException | None = None
    logs: list[str] = field(default_factory=list)


def run(program: Callable[[], Any], *, preview: bool = False) -> Run:
    """Run ``program`` under fresh mocks; an exception it raises is kept in ``Run.error``."""
    # asyncio.run() elsewhere in the same process (other tests) leaves no current loop behind.
    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
        if loop.is_closed():
            raise RuntimeError("closed")
    except RuntimeError:
        asyncio.set_event_loop(asyncio.new_event_loop())
    reset_options()
    mocks = Mocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="mbo", stack="test", preview=preview, monitor=monitor)
    outcome = Run(monitor, mocks)

    def body() -> None:
        # The entry point's own path: a fresh Stack, the program, then the stack's outputs
        # (pulumi.export) registered when it finishes. set_mocks made a finished Stack already.
        settings.ROOT.set(None)
        SETTINGS.rpc_manager.clear()
        SETTINGS.outputs.clear()

        def program_in_stack() -> None:
            outcome.result = program()

        _sync_await(run_in_stack(program_in_stack))

    try:
        body()
    except BaseException as error:  # noqa: BLE001 - the tests inspect it
        outcome.error = error
    return outcome


def resolve(output: Any) -> Any:
    """The value of an Output (after run() it is resolved; under mocks nothing is unknown)."""
    return _sync_await(output.future())


def _main(argv: list[str]) -> int:
    target, args = argv[0], json.loads(argv[1]) if len(argv) > 1 else []
    module_name, func_name = target.split(":")
    func = getattr(importlib.import_module(module_name), func_name)
    outcome = run(lambda: func(args))
    summary = {
        "error": None if outcome.error is None else f"{type(outcome.error).__name__}: {outcome.error}",
        "resources": [[r.type, r.name] for r in outcome.monitor.registered],
        "invokes": [i.token for i in outcome.mocks.invokes],
        "modules": sorted(m for m in sys.modules if m.split(".")[0] in ("pulumi_aws", "pulumi_cloudflare")),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
