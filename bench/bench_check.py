"""How long `mbo-dns check` takes for a 50-domain stack against a local BIND 9.

    python bench/bench_check.py [--domains 50] [--servers 2] [--rounds 3]

Prints figures, asserts nothing (the machine is shared): wall time of the real CLI path
(concurrent queries), the same check with every query forced one at a time, and the ratio.
Uses the tests' BIND launcher (tests/dns_server.py); needs `named`, no network.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from dns_server import BindServer  # noqa: E402

from mbo_component import probe  # noqa: E402
from mbo_component.check import check_async, exit_code  # noqa: E402
from mbo_component.records import plan  # noqa: E402
from mbo_component.render import plan_zone  # noqa: E402
from mbo_component.settings import parse_domains  # noqa: E402

MAILBOX_ORG = ['@ IN TXT "v=spf1 ip4:192.0.2.0/24 ~all"', *(f"mxext{i} IN A 192.0.2.{i}" for i in (1, 2, 3))]


def stack(n: int) -> list[dict]:
    return [
        {
            "domain": f"client{i:03d}.example",
            "provider": "cloudflare" if i % 2 else "route53",
            "securityKeys": [{"label": f"{i:03d}" + "a" * 37, "value": f"{i:03d}" + "b" * 37}],
            "dmarc": {"policy": "none", "rua": [f"mailto:dmarc@client{i:03d}.example"]},
        }
        for i in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--domains", type=int, default=50)
    parser.add_argument("--servers", type=int, default=2, help="BIND instances serving every zone")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="add this round-trip delay to every query, as a real network would")
    args = parser.parse_args()

    domains, _ = parse_domains(stack(args.domains))
    zones = {"mailbox.org": BindServer.zone_text("mailbox.org", MAILBOX_ORG)}
    for s in domains:
        lines = [line for line in plan_zone([(s, plan(s))]).splitlines() if line and not line.startswith(";")]
        zones[s.domain] = BindServer.zone_text(s.domain, lines)
    servers = [BindServer(zones) for _ in range(args.servers)]
    specs = [s.spec for s in servers]
    try:
        locks: dict[int, asyncio.Lock] = {}  # one per event loop (each round runs its own)
        counted = [0]
        delay = args.latency_ms / 1000

        async def concurrent_query(server: probe.Server, name: str, rdtype: str, recursive: bool) -> probe.Answer:
            counted[0] += 1
            if delay:
                await asyncio.sleep(delay)
            return await probe.query_async(server, name, rdtype, 3.0, recursive)

        async def serial_query(server: probe.Server, name: str, rdtype: str, recursive: bool) -> probe.Answer:
            lock = locks.setdefault(id(asyncio.get_running_loop()), asyncio.Lock())
            async with lock:  # the same queries, one at a time
                return await concurrent_query(server, name, rdtype, recursive)

        def run(query) -> tuple[float, int, int]:
            counted[0] = 0
            start = time.perf_counter()
            report = asyncio.run(check_async(domains, specs, [specs[0]], 3.0, query))
            return time.perf_counter() - start, exit_code(report), counted[0]

        with tempfile.TemporaryDirectory() as tmp:  # the CLI path too, stack file and all
            path = Path(tmp) / "Pulumi.bench.yaml"
            path.write_text(yaml.safe_dump({"config": {"mailbox-org-dns:domains": stack(args.domains)}}))
            argv = [sys.executable, "-m", "mbo_component", "check", str(path), "--resolver", specs[0]]
            for spec in specs:
                argv += ["--nameserver", spec]
            start = time.perf_counter()
            cli = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
            cli_seconds = time.perf_counter() - start

        concurrent = [run(concurrent_query) for _ in range(args.rounds)]
        serialized = [run(serial_query) for _ in range(args.rounds if not delay else 1)]
        c = statistics.median(t for t, _, _ in concurrent)
        s = statistics.median(t for t, _, _ in serialized)
        print(f"domains={args.domains} servers={args.servers} DNS queries per check={concurrent[0][2]} "
              f"added latency={args.latency_ms:g} ms")
        print(f"exit codes: concurrent={concurrent[0][1]} serialized={serialized[0][1]} cli={cli.returncode}")
        print(f"CLI end to end (python -m mbo_component check, incl. interpreter start): {cli_seconds:.2f} s")
        print(f"check_async concurrent: median {c:.3f} s over {len(concurrent)} rounds "
              f"({', '.join(f'{t:.3f}' for t, _, _ in concurrent)})")
        print(f"check_async one query at a time: median {s:.3f} s over {len(serialized)} rounds ({', '.join(f'{t:.3f}' for t, _, _ in serialized)})")
        print(f"ratio serialized/concurrent: {s / c:.1f}x")
    finally:
        for server in servers:
            server.stop()


if __name__ == "__main__":
    main()
