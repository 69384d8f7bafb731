"""Benchmark of the verification gate: prints figures, asserts nothing about speed.

    cd /work/main && python bench/bench_gate.py [--runs 20] [--quick]

Everything runs on 127.0.0.1: a BIND 9 started here, the real `python -m pulumi.dynamic`
host driven over gRPC (tests/host.py). The machine is shared and noisy: compare the
figures within one run (ratios), not across runs.

1. Detection latency: from the RFC 2136 update being acknowledged by BIND to Create returning.
2. Queries per server per second while a key is missing (the poller's own counters).
3. 1, 10, 40 domains through one host at once, keys appearing at the same moment; and keys
   that never appear (deadline). "watch+gate" is the shipped design; "gate only" skips the
   watch, so each domain starts polling (and its deadline) only when its create gets one of
   the host's 4 threads: the naive one-create-blocks-until-done design.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from dns_server import BindServer, txt_rdata, zone_text  # noqa: E402
from host import DynamicHost, HostError  # noqa: E402
from mbo_component.gate import GateProvider, GateSpec, WatchProvider  # noqa: E402
from mbo_component.poller import Poller  # noqa: E402

ZONE = "example.com"
VALUE = "c965215" + "0" * 33


def checked(host: DynamicHost, provider: Any, spec: GateSpec) -> dict[str, Any]:
    inputs, failures = host.check(host.props(provider, spec.to_inputs()))
    assert not failures, failures
    return inputs


def latency(host: DynamicHost, ns: BindServer, runs: int, interval: float, cap: float, label: str) -> None:
    samples: list[float] = []
    for i in range(runs):
        name = f"lat{label}{i}.example.com"
        spec = GateSpec(ZONE, ((name, VALUE),), servers=(ns.spec,), timeout_seconds=120,
                        interval_seconds=interval, max_interval_seconds=cap, query_timeout_seconds=1)
        host.create(checked(host, WatchProvider(), spec), name=f"w{label}{i}")
        timer = ns.add_txt_later(random.uniform(0.2, 1.5), ZONE, name, VALUE)
        host.create(checked(host, GateProvider(), spec), name=f"g{label}{i}")
        returned = time.monotonic()
        timer.join()
        samples.append(returned - timer.done_at)  # type: ignore[attr-defined]
    print(f"  interval {interval:g} s -> cap {cap:g} s, key after 0.2-1.5 s, {runs} runs: "
          f"median {statistics.median(samples) * 1000:.0f} ms, max {max(samples) * 1000:.0f} ms, "
          f"min {min(samples) * 1000:.0f} ms")


def query_rate(ns: BindServer, seconds: float) -> None:
    poller = Poller()  # in-process: same code as the host's, with readable counters
    for interval, cap in ((2.0, 30.0), (0.05, 0.3)):
        spec = GateSpec(ZONE, ((f"rate{interval}.example.com", VALUE),), servers=(ns.spec,),
                        timeout_seconds=600, interval_seconds=interval, max_interval_seconds=cap)
        watch = poller.register(spec)
        time.sleep(seconds)
        rate = watch.queries / seconds
        print(f"  interval {interval:g} s -> cap {cap:g} s: {watch.queries} queries to the server in "
              f"{seconds:g} s = {rate:.2f}/s (steady state after the ramp: {1 / cap:.2f}/s per key)")


def many(
    ns: BindServer, n: int, with_watch: bool, appear_after: float | None, timeout: float, broken: int = 0
) -> tuple[float, float, int]:
    """(seconds from start to last return, seconds from keys appearing to last return, failures).

    broken: the first `broken` domains never get their key (they are dispatched first).
    """
    tag = f"{n}{'w' if with_watch else 'g'}{'ok' if appear_after is not None else 'late'}{random.randrange(10**6)}"
    domains = [f"{tag}d{i:02d}.example.com" for i in range(n)]
    fixed = domains[broken:]
    specs = [GateSpec(d, ((f"mbo.{d}", VALUE),), servers=(ns.spec,), timeout_seconds=timeout,
                      interval_seconds=0.1, max_interval_seconds=1.0, query_timeout_seconds=1) for d in domains]
    published: dict[str, float] = {}
    with DynamicHost() as host, ThreadPoolExecutor(max_workers=n) as pool:
        if with_watch:
            list(pool.map(lambda s: host.create(checked(host, WatchProvider(), s), name=s.domain + "-w"), specs))
        gate_inputs = [checked(host, GateProvider(), s) for s in specs]
        start = time.monotonic()
        if appear_after is not None:
            def publish() -> None:
                time.sleep(appear_after)
                update = ns._update(ZONE)
                for d in fixed:
                    update.replace(f"mbo.{d}.", 300, "TXT", txt_rdata(VALUE))
                ns._send(update)
                published["at"] = time.monotonic()
            threading.Thread(target=publish, daemon=True).start()

        def gate(inputs: dict[str, Any]) -> tuple[float, bool]:
            try:
                host.create(inputs, name=inputs["domain"])
                return time.monotonic(), True
            except HostError:
                return time.monotonic(), False

        results = list(pool.map(gate, gate_inputs))
    last = max(t for t, _ in results)
    failures = sum(1 for _, ok in results if not ok)
    return last - start, last - published.get("at", start), failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="fewer runs, shorter waits")
    args = parser.parse_args()
    runs = 5 if args.quick else args.runs

    with BindServer({ZONE: zone_text(ZONE)}) as ns:
        print("1. detection latency (update acknowledged by BIND -> Create returns through the host)")
        with DynamicHost() as host:
            latency(host, ns, runs, 0.05, 0.3, "fast")
            latency(host, ns, runs, 0.5, 2.0, "mid")
            # Key already there when the gate arrives: the floor (check + create round trip).
            ns.replace(ZONE, "present.example.com", "TXT", [txt_rdata(VALUE)])
            floor = []
            for i in range(runs):
                spec = GateSpec(ZONE, (("present.example.com", VALUE),), servers=(ns.spec,), timeout_seconds=30 + i)
                inputs = checked(host, GateProvider(), spec)
                t = time.monotonic()
                host.create(inputs, name=f"p{i}")
                floor.append(time.monotonic() - t)
            print(f"  key already present: Create median {statistics.median(floor) * 1000:.1f} ms, "
                  f"max {max(floor) * 1000:.1f} ms")

        print("2. queries per server per second while the key is missing")
        query_rate(ns, 5 if args.quick else 20)

        print("3. many domains through one host (4 gRPC threads), keys appear 1 s after the gates start")
        print(f"  {'domains':>7} {'design':<11} {'total s':>8} {'after keys s':>13} {'failed':>6}")
        for n in (1, 10, 40):
            for with_watch in (True, False):
                total, after, failed = many(ns, n, with_watch, 1.0, 60)
                print(f"  {n:>7} {'watch+gate' if with_watch else 'gate only':<11} {total:>8.2f} {after:>13.2f} {failed:>6}")
        timeout = 2.0
        print(f"   keys never appear, timeoutSeconds {timeout:g}")
        for n in (10, 40):
            for with_watch in (True, False):
                total, _, failed = many(ns, n, with_watch, None, timeout)
                print(f"  {n:>7} {'watch+gate' if with_watch else 'gate only':<11} {total:>8.2f} "
                      f"{total / timeout:>12.1f}x {failed:>6}")
        print(f"   40 domains, the first 8 dispatched never get their key, timeoutSeconds {timeout:g}, others after 1 s")
        for with_watch in (True, False):
            total, _, failed = many(ns, 40, with_watch, 1.0, timeout, broken=8)
            print(f"  {40:>7} {'watch+gate' if with_watch else 'gate only':<11} {total:>8.2f} "
                  f"{total / timeout:>12.1f}x {failed:>6}")


if __name__ == "__main__":
    main()
