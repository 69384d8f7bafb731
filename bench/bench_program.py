"""Benchmark: the stack program under Pulumi mocks for 10, 100 and 1000 domains.

Each measurement runs in a fresh interpreter (so peak RSS is that run's own):

* ``component``: ``mbo_component.stack.build`` (validation, one MailboxOrgDomain per domain,
  verification watch + gate, records);
* ``baseline``: the same records registered without the component: parse + plan, then plain
  ``cloudflare.DnsRecord`` / ``aws.route53.Record`` calls in a loop (no component, no gate);
* ``import``: the import cost of ``pulumi_cloudflare`` and ``pulumi_aws`` alone.

Domains alternate between Cloudflare and Route53 and carry their zone id (no invokes), so both
SDKs are loaded in both modes. Figures are wall time of the program (imports excluded) and
RSS: after imports, and peak (ru_maxrss) at the end. Compare ratios within one run; the machine
is noisy.

    python bench/bench_program.py [--sizes 10,100,1000] [--repeat 1]
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LABEL = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
VALUE = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def domains(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        name = f"d{i:04d}.example"
        out.append(
            {
                "domain": name,
                "provider": "cloudflare" if i % 2 == 0 else "route53",
                # ids in each provider's format (settings rejects others)
                "zoneId": f"{i:032x}" if i % 2 == 0 else f"Z{i:020d}",
                "securityKeys": [f"{LABEL}.{name}. IN TXT {VALUE}"],
                "dmarc": {"rua": [f"mailto:dmarc@{name}"]},
            }
        )
    return out


def baseline_program(raw: list[dict[str, Any]]) -> int:
    """The same records as plain resources: no component, no gate."""
    import pulumi_aws as aws
    import pulumi_cloudflare as cloudflare

    from mbo_component.backends.cloudflare import record_args
    from mbo_component.backends.route53 import record_sets, record_value
    from mbo_component.records import plan
    from mbo_component.settings import parse_domains

    parsed, _ = parse_domains(raw)
    count = 0
    for settings in parsed:
        records = plan(settings)
        if settings.provider == "cloudflare":
            for r in records:
                cloudflare.DnsRecord(f"{settings.domain}-{r.key}", zone_id=settings.zone_id, **record_args(r))
                count += 1
        else:
            for group in record_sets(records):
                first = group[0]
                relative = first.name[: -len(settings.domain)].rstrip(".") or "apex"
                aws.route53.Record(
                    f"{settings.domain}-{first.type.lower()}-{relative}",
                    zone_id=settings.zone_id,
                    name=first.name,
                    type=first.type,
                    ttl=first.effective_ttl,
                    records=[record_value(r) for r in group],
                )
                count += 1
    return count


def child_program(mode: str, n: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests"))
    t0 = time.perf_counter()
    import mock_harness
    import pulumi_aws.route53  # noqa: F401  both modes load both SDKs (the domains use both providers)
    import pulumi_cloudflare  # noqa: F401

    from mbo_component.stack import build

    import_s = time.perf_counter() - t0
    raw = domains(n)
    rss_before = rss_kib()
    t1 = time.perf_counter()
    if mode == "component":
        outcome = mock_harness.run(lambda: build(raw))
    else:
        outcome = mock_harness.run(lambda: baseline_program(raw))
    wall = time.perf_counter() - t1
    if outcome.error is not None:
        raise outcome.error
    return {
        "mode": mode,
        "n": n,
        "wall_s": wall,
        "import_s": import_s,
        "resources": len(outcome.monitor.registered),
        "rss_after_imports_kib": rss_before,
        "peak_kib": peak_kib(),
    }


def child_import(module: str) -> dict[str, Any]:
    rss0, t0 = rss_kib(), time.perf_counter()
    __import__(module)
    return {"module": module, "import_s": time.perf_counter() - t0, "rss_delta_kib": rss_kib() - rss0, "peak_kib": peak_kib()}


def spawn(*args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=3600,
    )
    if proc.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median_run(repeat: int, *args: str) -> dict[str, Any]:
    runs = [spawn(*args) for _ in range(repeat)]
    best = dict(runs[0])
    for key in ("wall_s", "import_s", "peak_kib", "rss_after_imports_kib", "rss_delta_kib"):
        if key in best:
            best[key] = statistics.median(r[key] for r in runs)
    return best


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        sys.path.insert(0, str(ROOT))
        if argv[1] == "import":
            print(json.dumps(child_import(argv[2])))
        else:
            print(json.dumps(child_program(argv[1], int(argv[2]))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--repeat", type=int, default=1, help="fresh runs per cell; the median is shown")
    opts = parser.parse_args(argv)
    sizes = [int(s) for s in opts.sizes.split(",")]

    print(f"python {sys.version.split()[0]}; each cell a fresh interpreter; median of {opts.repeat}")
    print()
    print("Import cost (fresh interpreter, module alone; the SDKs' deltas include pulumi itself)")
    print(f"{'module':<22}{'time s':>9}{'RSS +MiB':>10}{'peak MiB':>10}")
    for module in ("pulumi", "pulumi_cloudflare", "pulumi_aws", "pulumi_aws.route53", "mbo_component.stack"):
        r = median_run(opts.repeat, "import", module)
        print(f"{module:<22}{r['import_s']:>9.2f}{r['rss_delta_kib'] / 1024:>10.1f}{r['peak_kib'] / 1024:>10.1f}")
    print()
    print("Program under mocks (domains alternate Cloudflare/Route53; imports excluded from time)")
    header = (
        f"{'domains':>8}{'mode':>11}{'resources':>10}{'wall s':>9}{'ms/domain':>10}"
        f"{'RSS@start':>10}{'peak MiB':>9}{'growth':>8}{'time x':>8}{'growth x':>9}"
    )
    print(header)
    for n in sizes:
        base = median_run(opts.repeat, "baseline", str(n))
        comp = median_run(opts.repeat, "component", str(n))
        for r in (base, comp):
            growth = (r["peak_kib"] - r["rss_after_imports_kib"]) / 1024
            base_growth = max((base["peak_kib"] - base["rss_after_imports_kib"]) / 1024, 0.1)
            print(
                f"{n:>8}{r['mode']:>11}{r['resources']:>10}{r['wall_s']:>9.2f}{1000 * r['wall_s'] / n:>10.1f}"
                f"{r['rss_after_imports_kib'] / 1024:>10.0f}{r['peak_kib'] / 1024:>9.0f}{growth:>8.0f}"
                f"{r['wall_s'] / base['wall_s']:>8.2f}{growth / base_growth:>9.2f}"
            )
    print()
    print("RSS@start: RSS after imports (MiB); growth: peak - RSS@start (MiB); x: ratio to baseline of the same size")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
