"""Drive the real dynamic-provider host (`python -m pulumi.dynamic`) the way the engine does.

Properties go through `pulumi.runtime.rpc.serialize_properties`, the provider through
`pulumi.dynamic.dynamic.serialize_provider` (dill), so the pickling path, the host's 4-thread
gRPC pool and its error handling are the real ones.

    with DynamicHost() as host:
        props = host.props(WatchProvider(), spec.to_inputs())
        inputs, failures = host.check(props)
        id_, outs = host.create(inputs)
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import grpc
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROVIDER_KEY = "__provider"


class HostError(Exception):
    """A gRPC error from the host; `details` holds the provider's traceback."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(details)
        self.code = code
        self.details = details

    @property
    def last_line(self) -> str:
        lines = [line for line in self.details.strip().splitlines() if line.strip()]
        return lines[-1] if lines else ""


def _serialize(props: dict[str, Any]) -> Any:
    return asyncio.run(rpc.serialize_properties(props, {}))


def _deserialize(struct: Any) -> dict[str, Any]:
    return rpc.deserialize_properties(struct, True)


class DynamicHost:
    """A `python -m pulumi.dynamic` process (cwd = project root) and a stub talking to it."""

    def __init__(self, env: dict[str, str] | None = None, cwd: Path = PROJECT_ROOT) -> None:
        self.output: list[tuple[float, str]] = []  # (monotonic time, line) printed by the host
        self._output_lock = threading.Lock()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pulumi.dynamic"],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline().decode().strip()
        if not first.isdigit():
            rest = self.proc.stdout.read().decode(errors="replace") if self.proc.poll() is not None else ""
            self.proc.kill()
            raise RuntimeError(f"dynamic host did not print its port: {first!r}\n{rest}")
        self.port = int(first)
        # Keep draining the host's output: a full pipe would block the provider's prints.
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        grpc.channel_ready_future(self.channel).result(timeout=30)
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.stub.Configure(provider_pb2.ConfigureRequest(args=_serialize({}), acceptSecrets=True))

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            with self._output_lock:
                self.output.append((time.monotonic(), raw.decode(errors="replace").rstrip("\n")))

    def lines(self, containing: str = "") -> list[str]:
        with self._output_lock:
            return [line for _, line in self.output if containing in line]

    # ---- requests -----------------------------------------------------------------------
    @staticmethod
    def props(provider: ResourceProvider, inputs: dict[str, Any]) -> dict[str, Any]:
        """Inputs as the SDK sends them: plus the dill-pickled provider under __provider."""
        return {**inputs, PROVIDER_KEY: serialize_provider(provider)}

    @staticmethod
    def urn(name: str, type_: str = "pulumi-python:dynamic/mbo:VerificationGate") -> str:
        return f"urn:pulumi:test::mbo::{type_}::{name}"

    def _call(self, method: str, request: Any, timeout: float | None) -> Any:
        try:
            return getattr(self.stub, method)(request, timeout=timeout)
        except grpc.RpcError as exc:
            raise HostError(exc.code(), exc.details() or "") from None

    def check(self, news: dict[str, Any], olds: dict[str, Any] | None = None, name: str = "r") -> tuple[dict[str, Any], list[tuple[str, str]]]:
        request = provider_pb2.CheckRequest(urn=self.urn(name), olds=_serialize(olds or {}), news=_serialize(news))
        response = self._call("Check", request, 60)
        return _deserialize(response.inputs), [(f.property, f.reason) for f in response.failures]

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any], name: str = "r") -> Any:
        request = provider_pb2.DiffRequest(id=id_, urn=self.urn(name), olds=_serialize(olds), news=_serialize(news))
        return self._call("Diff", request, 60)

    def create(self, props: dict[str, Any], name: str = "r", timeout: float | None = 600) -> tuple[str, dict[str, Any]]:
        request = provider_pb2.CreateRequest(urn=self.urn(name), properties=_serialize(props))
        response = self._call("Create", request, timeout)
        return response.id, _deserialize(response.properties)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any], name: str = "r", timeout: float | None = 600) -> dict[str, Any]:
        request = provider_pb2.UpdateRequest(id=id_, urn=self.urn(name), olds=_serialize(olds), news=_serialize(news))
        return _deserialize(self._call("Update", request, timeout).properties)

    def read(self, id_: str, props: dict[str, Any], name: str = "r") -> tuple[str, dict[str, Any]]:
        request = provider_pb2.ReadRequest(id=id_, urn=self.urn(name), properties=_serialize(props))
        response = self._call("Read", request, 60)
        return response.id, _deserialize(response.properties)

    def delete(self, id_: str, props: dict[str, Any], name: str = "r") -> None:
        request = provider_pb2.DeleteRequest(id=id_, urn=self.urn(name), properties=_serialize(props))
        self._call("Delete", request, 60)

    # ---- lifetime -----------------------------------------------------------------------
    def stop(self) -> None:
        self.channel.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> "DynamicHost":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
