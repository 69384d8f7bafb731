"""``mbo-dns``: plan a stack's mailbox.org records offline, or check live DNS against them.

Exit codes: 0 all good; 1 check found problems; 2 bad usage, stack file or configuration;
3 the check could not run (a server did not answer, nameservers not found).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .problems import ConfigError
from .records import Record, plan
from .settings import DomainSettings, parse_domains
from .stack_file import StackFileError, load_domains

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_CANNOT_CHECK = 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mbo-dns",
        description="Plan and check the DNS records mailbox.org needs for your own domains.",
        epilog="exit codes: 0 ok, 1 problems found (check), 2 bad usage or configuration, 3 check could not run",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{plan,check}")

    p = sub.add_parser("plan", help="print the records each domain will get (offline, no credentials)")
    p.add_argument("stack_file", metavar="STACK_FILE", help="stacks/Pulumi.<stack>.yaml")
    p.add_argument("--domain", action="append", metavar="D", help="only this domain (repeatable)")
    p.add_argument("--format", choices=("table", "zone", "json"), default="table")

    c = sub.add_parser("check", help="compare live DNS with the plan")
    c.add_argument("stack_file", metavar="STACK_FILE", help="stacks/Pulumi.<stack>.yaml")
    c.add_argument("--domain", action="append", metavar="D", help="only this domain (repeatable)")
    c.add_argument(
        "--nameserver", action="append", default=[], metavar="HOST[:PORT]",
        help="ask these servers instead of each zone's authoritative servers (repeatable)",
    )
    c.add_argument(
        "--resolver", action="append", default=[], metavar="HOST[:PORT]",
        help="recursive resolver for finding nameservers and following SPF includes (default: the system's)",
    )
    c.add_argument("--format", choices=("table", "json"), default="table")
    c.add_argument("--timeout", type=float, default=3.0, metavar="SECONDS", help="per query (default 3)")
    return parser


def _load(stack_file: str, only: Sequence[str] | None) -> tuple[list[DomainSettings], list[str]] | int:
    """The validated domains to work on, or an exit code after printing why not."""
    try:
        raw = load_domains(stack_file)
        domains, warnings = parse_domains(raw)
    except StackFileError as exc:
        print(f"mbo-dns: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    for warning in warnings:
        print(f"mailbox-org-dns: warning: {warning}", file=sys.stderr)
    if only:
        wanted = [d.strip().rstrip(".").lower() for d in only]
        unknown = [d for d in wanted if d not in {s.domain for s in domains}]
        if unknown:
            listed = ", ".join(s.domain for s in domains)
            print(f"mbo-dns: {', '.join(unknown)} not in {stack_file} (it has: {listed})", file=sys.stderr)
            return EXIT_USAGE
        domains = [s for s in domains if s.domain in wanted]
    return domains, warnings


def _plan(args: argparse.Namespace) -> int:
    from . import render

    loaded = _load(args.stack_file, args.domain)
    if isinstance(loaded, int):
        return loaded
    domains, warnings = loaded
    planned: list[tuple[DomainSettings, list[Record]]] = [(s, plan(s)) for s in domains]
    if args.format == "zone":
        sys.stdout.write(render.plan_zone(planned))
    elif args.format == "json":
        sys.stdout.write(render.plan_json(planned, args.stack_file, warnings))
    else:
        sys.stdout.write(render.plan_table(planned))
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from . import check, render

    loaded = _load(args.stack_file, args.domain)
    if isinstance(loaded, int):
        return loaded
    domains, _ = loaded
    try:
        report = check.run_check(domains, nameservers=args.nameserver, resolvers=args.resolver, timeout=args.timeout)
    except ValueError as exc:  # a bad --nameserver/--resolver spec
        print(f"mbo-dns: {exc}", file=sys.stderr)
        return EXIT_USAGE
    code = check.exit_code(report)
    if args.format == "json":
        sys.stdout.write(render.check_json(report, args.stack_file, code))
    else:
        sys.stdout.write(render.check_table(report))
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "plan":
        return _plan(args)
    return _check(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
