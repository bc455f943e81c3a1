"""`p06audit certs SOURCE...`: audit officials' signing certificates without an inventory.

Builds a one-site inventory from the command line and runs the same collector and checks as
`p06audit run` (signing family only), prints the problems, and writes the expiry list as CSV.
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from p06audit.assessment import assess
from p06audit.commands.run import add_fail_on_argument, exit_policy
from p06audit.errors import UsageError
from p06audit.files import open_for_writing
from p06audit.inventory import Inventory, build_inventory
from p06audit.model import Finding, Run, Status
from p06audit.options import RunOptions
from p06audit.pipeline import write_report_dir
from p06audit.registry import REGISTRY
from p06audit.runner import Runner
from p06audit.text import Lang, Renderer, say

SITE = "certs"
COMMAND_LINE = Path("<p06audit certs command line>")
FAMILY = "signing"
REGISTER_TAG = "certificate_register"  # the checks with one finding per certificate (SIGN-001/002/003)
EXPIRED_CHECK, NOT_YET_VALID_CHECK, REVOKED_CHECK = "SIGN-001", "SIGN-003", "SIGN-009"
EXPIRY_FILE = "expiry.csv"
EXPIRY_COLUMNS = ("holder", "unit", "issuer", "serial", "not_after", "days_left", "status")
VALIDITY = ("expired", "expiring", "revoked", "not yet valid", "valid")  # the status column's values
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TABLE_COLUMNS = ("signing.col_check", "signing.col_status", "signing.col_severity", "signing.col_where")


def warn_days(text: str) -> tuple[int, ...]:
    try:
        days = tuple(sorted({int(d) for d in text.split(",") if d.strip()}, reverse=True))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a comma-separated list of days, e.g. 60,30,7"
        ) from None
    if not days or any(d <= 0 for d in days):
        raise argparse.ArgumentTypeError("warning windows are positive numbers of days, e.g. 60,30,7")
    return days


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "certs",
        help="audit officials' signing certificates in files or folders (PEM, DER, P7B, P12)",
        description="Signing certificates: expiry, profile, chain, revocation, roster (docs/signing.md).",
    )
    parser.add_argument("sources", nargs="+", type=Path, metavar="SOURCE", help="certificate file or folder")
    parser.add_argument("--roster", type=Path, help="staff roster CSV (columns: docs/signing.md)")
    parser.add_argument(
        "--trust-anchors", type=Path, help="PEM/DER file of the government root certificate(s)"
    )
    parser.add_argument(
        "--crl", type=Path, action="append", default=[], dest="crl_files", help="local CRL file"
    )
    parser.add_argument(
        "--warn-days", type=warn_days, default=None, help="expiry warning windows, e.g. 60,30,7"
    )
    parser.add_argument(
        "--p12-password-env", metavar="NAME", help="environment variable holding the PKCS#12 password"
    )
    parser.add_argument(
        "--out", type=Path, default=Path(), help=f"directory for {EXPIRY_FILE} (default: here)"
    )
    parser.add_argument(
        "--report", action="store_true", help="also write the JSON and HTML report under --out"
    )
    parser.add_argument("--lang", choices=["vi", "en"], default="vi", help="report language (default vi)")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds per CRL/OCSP request (default 10)"
    )
    add_fail_on_argument(parser)
    parser.add_argument("--limit", type=int, default=50, help="problems shown in the table (default 50)")
    parser.set_defaults(func=run_certs)


def adhoc_inventory(args: argparse.Namespace) -> Inventory:
    """A one-site inventory holding only the command line's signing_certs section. Paths are
    absolute already; the directory names the command line (there is no waivers file to read)."""
    signing_certs = {
        "sources": tuple(p.resolve() for p in args.sources),
        "roster": args.roster.resolve() if args.roster else None,
        "trust_anchors": args.trust_anchors.resolve() if args.trust_anchors else None,
        "crl_files": tuple(p.resolve() for p in args.crl_files),
        "pkcs12_password_env": args.p12_password_env,
        "warn_days": args.warn_days,
    }
    site = {
        "kind": "provincial_dc",
        "province": "-",
        "security_level": 3,
        "signing_certs": signing_certs,
        "description": "p06audit certs",
    }
    return build_inventory(SITE, COMMAND_LINE, sites={SITE: site}, defaults={"use_system_trust_store": False})


def audit_certificates(args: argparse.Namespace) -> Run:
    if args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    options = RunOptions(timeout=args.timeout, families=frozenset({FAMILY}))
    return Runner(adhoc_inventory(args), options).execute()


ExpiryRow = tuple[str, str, str, str, str, int, str]  # EXPIRY_COLUMNS, in order
HOLDER, DAYS_LEFT, STATUS = (EXPIRY_COLUMNS.index(c) for c in ("holder", "days_left", "status"))


def expiry_rows(run: Run) -> list[ExpiryRow]:
    """One row per certificate, soonest expiry first; a revoked certificate says so. Rows are
    tuples in EXPIRY_COLUMNS order: 100,000 of them are built, sorted and written at once."""
    register = REGISTRY.tagged(REGISTER_TAG)
    revoked = {
        (f.target.site, f.target.resource)
        for f in run.findings
        if f.check_id == REVOKED_CHECK and f.status is Status.FAIL
    }
    rows: list[ExpiryRow] = []
    for finding in run.findings:
        if finding.check_id not in register:
            continue
        ev = finding.evidence
        where = (finding.target.site, finding.target.resource)
        status = "revoked" if where in revoked else _validity(finding)
        rows.append(
            (ev["holder"], ev["unit"], ev["issuer"], ev["serial"], ev["not_after"], ev["days_left"], status)
        )
    rows.sort(key=lambda r: (r[DAYS_LEFT], r[HOLDER]))
    return rows


def _validity(finding: Finding) -> str:
    if finding.check_id == EXPIRED_CHECK:
        return "expired"
    if finding.check_id == NOT_YET_VALID_CHECK:
        return "not yet valid"
    return "expiring" if finding.status is Status.WARN else "valid"


def _safe(row: ExpiryRow) -> ExpiryRow:
    """Names come from certificates: never let a spreadsheet read one as a formula."""
    holder, unit, issuer, serial = row[:4]  # the columns certificates write
    if not (
        holder.startswith(FORMULA_START)
        or unit.startswith(FORMULA_START)
        or issuer.startswith(FORMULA_START)
        or serial.startswith(FORMULA_START)
    ):
        return row
    quoted = ["'" + t if t.startswith(FORMULA_START) else t for t in (holder, unit, issuer, serial)]
    return (quoted[0], quoted[1], quoted[2], quoted[3], *row[4:])


def write_expiry_csv(rows: list[ExpiryRow], path: Path) -> Path:
    with open_for_writing(path, encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)  # plain rows: DictWriter's per-row checks cost 100,000s of calls
        writer.writerow(EXPIRY_COLUMNS)
        writer.writerows(map(_safe, rows))
    return path


def print_summary(run: Run, rows: list[ExpiryRow], limit: int, render: Renderer, console: Console) -> None:
    counts = Counter(r[STATUS] for r in rows)
    expired, expiring, revoked, not_yet_valid, valid = (counts[s] for s in VALIDITY)
    console.print(
        render(
            say(
                "signing.certs_counted",
                count=len(rows),
                expired=expired,
                expiring=expiring,
                revoked=revoked,
                not_yet_valid=not_yet_valid,
                valid=valid,
            )
        ),
        highlight=False,
    )
    problems = sorted(
        (f for f in run.findings if f.status not in (Status.PASS, Status.SKIP)),
        key=lambda f: (-f.severity.rank, f.check_id, f.target.key),
    )
    title = (
        say("signing.certs_problems_first", count=len(problems), limit=limit)
        if len(problems) > limit
        else say("signing.certs_problems", count=len(problems))
    )
    table = Table(title=render(title))
    for column in (*TABLE_COLUMNS, "signing.col_summary"):
        table.add_column(render(say(column)), overflow="fold")
    for finding in problems[:limit]:
        table.add_row(
            finding.check_id,
            finding.status.value,
            finding.severity.value,
            _short(finding.target.resource or finding.target.site),
            render(finding.message),
        )
    console.print(table)


def _short(resource: str) -> str:
    """Paths under the current directory are shown relative to it."""
    return resource.removeprefix(f"{Path.cwd()}/")


def run_certs(args: argparse.Namespace) -> int:
    console = Console()
    lang: Lang = "en" if args.lang == "en" else "vi"
    render = Renderer(lang)
    run = audit_certificates(args)
    rows = expiry_rows(run)
    print_summary(run, rows, args.limit, render, console)
    csv_path = write_expiry_csv(rows, args.out / EXPIRY_FILE)
    console.print(render(say("signing.certs_expiry_list", path=str(csv_path))), highlight=False)
    assessment = assess(run, policy=exit_policy(args), language=lang)
    if args.report:
        result = write_report_dir(assessment, args.out, ("json", "html"), lang)
        for name, path in result.files.items():
            console.print(f"{name}: {path}", highlight=False)
    return assessment.verdict.code
