"""``engine``: the command line, a thin layer over ``engine.pipeline``.

Exit codes: 0 clean, 1 findings at or above ``--fail-on``, 2 invalid input (usage, rules,
params, snapshot), 3 runtime, collection or evaluation failure. Errors are one line each;
``--debug`` adds the traceback. Progress goes to stderr when stderr is a terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from engine import __version__
from engine.clock import iso, parse_timestamp, system_clock
from engine.errors import (
    EXIT_FINDINGS,
    EXIT_INVALID_INPUT,
    EXIT_OK,
    EXIT_RUNTIME,
    ConfigError,
    EngineError,
    RuleErrors,
    RuntimeFailure,
    one_line,
)
from engine.model import SEVERITY_ORDER
from engine.report import Report

FAIL_ON = ("critical", "high", "medium", "low", "info", "none")
#: formats that list every finding (JUnit leaves resolved ones out, the email most of them)
COMPLETE_FORMATS = ("json", "sarif", "ocsf", "asff", "text")
OUTPUT_BUFFER = 1 << 20  # bytes buffered per output file: few system calls, bounded memory


class UsageError(ConfigError):
    """Bad command-line usage (exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would exit 2 with usage; keep one line
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="engine", description="Policy-as-code engine for AWS inventory.")
    parser.add_argument("--version", action="version", version=f"engine {__version__}")
    parser.add_argument("--debug", action="store_true", help="print tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    check = sub.add_parser("check", help="collect (or read) an inventory, evaluate rules, report")
    _source_options(check)
    _rule_options(check)
    check.add_argument(
        "--format",
        action="append",
        default=[],
        help="text (default), json, email, html, sarif, junit, ocsf or asff; repeatable, paired"
        " with --output by position",
    )
    check.add_argument(
        "--output",
        "-o",
        action="append",
        default=[],
        help="where each --format goes ('-' for stdout, the default for a single format)",
    )
    check.add_argument(
        "--report-url",
        help="where the full report can be read, for the email (default: the --format html file)",
    )
    notify = check.add_argument_group("notification (optional)")
    notify.add_argument("--notify", choices=("sns",), help="send the summary email through SNS")
    notify.add_argument("--topic-arn", help="the SNS topic for --notify sns")
    notify.add_argument(
        "--notify-when",
        choices=("always", "on_findings", "on_new_or_critical"),
        default="on_findings",
        help="when to send (default: on_findings)",
    )
    explain = check.add_argument_group("ranking and explanation by Amazon Bedrock (optional)")
    explain.add_argument(
        "--explain",
        choices=("none", "bedrock"),
        default="none",
        help="let a Bedrock model order and explain the findings (default: none, rules only)",
    )
    explain.add_argument("--model", help="Bedrock model or inference profile id")
    explain.add_argument("--bedrock-region", help="region of the Bedrock endpoint (us-east-1)")
    explain.add_argument(
        "--explain-names",
        action="store_true",
        help="also send resource names, ids and text evidence (untrusted text, fenced as data)",
    )
    check.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="high",
        help="exit 1 when a finding at or above this severity exists (default: high)",
    )

    collect = sub.add_parser("collect", help="collect the inventory into a snapshot file")
    _source_options(collect, allow_inventory=False)
    collect.add_argument(
        "--output", "-o", required=True, help="snapshot file to write ('-' for stdout)"
    )

    rules = sub.add_parser("rules", help="author and test rules, no AWS needed")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True, parser_class=_Parser)
    for name, text in (
        ("validate", "load, validate and compile rules"),
        ("test", "run every rule's inline tests"),
        ("list", "list the rules"),
    ):
        p = rules_sub.add_parser(name, help=text)
        p.add_argument(
            "paths",
            nargs="*",
            metavar="PATH",
            help="rule files or folders (default: shipped rules)",
        )
        if name == "list":
            p.add_argument("--format", choices=("text", "json", "markdown"), default="text")

    schema = sub.add_parser("schema", help="print a JSON Schema")
    schema.add_argument("name", choices=("resource", "rule", "finding"))
    return parser


def _source_options(p: argparse.ArgumentParser, allow_inventory: bool = True) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--simulated", action="store_true", help="use the built-in simulated account"
    )
    if allow_inventory:
        group.add_argument("--inventory", metavar="FILE", help="evaluate a snapshot file, no AWS")
    p.add_argument(
        "--simulated-fix",
        action="append",
        default=[],
        metavar="NAME",
        help="with --simulated: change the account, e.g. scratch-bucket-versioning, to see a"
        " finding resolved on the next run",
    )
    p.add_argument("--profile", help="AWS profile (default: the standard credential chain)")
    p.add_argument(
        "--region",
        action="append",
        default=[],
        metavar="REGION",
        help="region to scan, repeatable; 'all' for every enabled region (default: the session's)",
    )
    p.add_argument(
        "--resource-type",
        action="append",
        default=[],
        metavar="TYPE",
        help="only collect these types (repeatable; default: all)",
    )
    p.add_argument("--now", help="evaluation clock, ISO 8601 (default: the current time)")
    accounts = p.add_argument_group("accounts (default: the caller's own account)")
    accounts.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="ID",
        help="scan this account through --account-role-arn (repeatable)",
    )
    accounts.add_argument(
        "--account-role-arn",
        metavar="TEMPLATE",
        help="role to assume, e.g. arn:aws:iam::{account_id}:role/InventoryRead",
    )
    accounts.add_argument("--external-id", help="ExternalId for AssumeRole")
    accounts.add_argument(
        "--accounts-file",
        metavar="FILE",
        help="YAML: accounts: [{id, role_arn?, external_id?, regions?}]",
    )
    accounts.add_argument(
        "--organization", action="store_true", help="every ACTIVE account of the AWS Organization"
    )
    accounts.add_argument(
        "--org-allow",
        action="append",
        default=[],
        metavar="GLOB",
        help="only organization accounts whose id or name matches (repeatable)",
    )
    accounts.add_argument(
        "--org-deny",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip organization accounts whose id or name matches (repeatable)",
    )
    p.add_argument(
        "--max-workers", type=int, default=8, help="concurrent collection tasks (default 8)"
    )
    p.add_argument(
        "--no-backup-coverage",
        action="store_true",
        help="do not read AWS Backup plans (backup rules then report errors, not passes)",
    )
    p.add_argument(
        "--per-service-concurrency",
        type=int,
        default=2,
        help="concurrent tasks per account, region and service (default 2)",
    )


def _rule_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--rules",
        action="append",
        default=[],
        metavar="PATH",
        help="rule files or folders (repeatable; default: the shipped rules)",
    )
    p.add_argument("--params", metavar="FILE", help="YAML {rule-id: {param: value}} overrides")
    p.add_argument(
        "--suppressions",
        metavar="FILE",
        help="YAML list of accepted risks {rule, resource|tags, reason, expires}",
    )
    history = p.add_mutually_exclusive_group()
    history.add_argument(
        "--history",
        metavar="PATH",
        help="history store: a SQLite file, or dynamodb:TABLE (default: a SQLite file under"
        " $XDG_STATE_HOME/aws-inventory-engine/, one for --simulated apart)",
    )
    history.add_argument(
        "--no-history", action="store_true", help="a pure dry run: no new/open/resolved"
    )
    p.add_argument(
        "--eol-max-age-days",
        type=int,
        default=180,
        help="warn when the shipped end-of-life dataset is older than this (default 180)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    try:
        args = build_parser().parse_args(args_list)
        return _dispatch(args)
    except RuleErrors as exc:
        for error in exc.errors:
            print(str(error), file=sys.stderr)
        if debug:
            traceback.print_exc()
        return exc.exit_code
    except EngineError as exc:
        print(f"engine: error: {exc}", file=sys.stderr)
        if debug:
            traceback.print_exc()
        return exc.exit_code
    except KeyboardInterrupt:
        print("engine: interrupted", file=sys.stderr)
        return EXIT_RUNTIME
    except Exception as exc:  # noqa: BLE001 - the last line of defence prints one line, exit 3
        print(
            f"engine: internal error: {type(exc).__name__}: {exc} (run with --debug)",
            file=sys.stderr,
        )
        if debug:
            traceback.print_exc()
        return EXIT_RUNTIME


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "check":
        from engine.heap import settled_heap

        with settled_heap():  # over the reports too: see engine/heap.py
            return _check(args)
    if args.command == "collect":
        return _collect(args)
    if args.command == "rules":
        return _rules(args)
    if args.command == "schema":
        from engine.schema import schema

        print(json.dumps(schema(args.name), indent=2, sort_keys=False))
        return EXIT_OK
    raise UsageError(f"unknown command {args.command!r}")


def _now(args: argparse.Namespace) -> datetime:
    if not args.now:
        return system_clock()
    try:
        return parse_timestamp(args.now)
    except ValueError as exc:
        raise UsageError(f"--now: not an ISO 8601 date or timestamp: {args.now!r}") from exc


def _progress() -> Any:
    if not sys.stderr.isatty():
        return None

    def show(message: str) -> None:
        print(f"engine: {message}", file=sys.stderr, flush=True)

    return show


def _source(args: argparse.Namespace) -> Any:
    from engine.sources import AccountOptions, AwsSource, SimulatedSource, SnapshotSource

    types = args.resource_type or None
    if args.simulated_fix and not args.simulated:
        raise UsageError("--simulated-fix needs --simulated")
    if args.simulated:
        if args.profile or args.region or args.account or args.accounts_file or args.organization:
            raise UsageError(
                "--simulated uses its own account: --profile, --region and account options"
                " do not apply"
            )
        return SimulatedSource(resource_types=types, fixes=tuple(args.simulated_fix))
    if getattr(args, "inventory", None):
        return SnapshotSource(Path(args.inventory))
    accounts = AccountOptions(
        accounts=tuple(args.account),
        role_arn_template=args.account_role_arn,
        external_id=args.external_id,
        accounts_file=args.accounts_file,
        organization=args.organization,
        allow=tuple(args.org_allow),
        deny=tuple(args.org_deny),
    )
    if args.max_workers < 1 or args.per_service_concurrency < 1:
        raise UsageError("--max-workers and --per-service-concurrency must be at least 1")
    return AwsSource(
        profile=args.profile,
        regions=tuple(args.region),
        resource_types=types,
        accounts=accounts,
        max_workers=args.max_workers,
        per_service=args.per_service_concurrency,
        backup_coverage=not args.no_backup_coverage,
    )


def _load_rules(args: argparse.Namespace) -> Any:
    from engine.params import apply_params, load_params
    from engine.rules import load_rules

    rules = load_rules(args.rules or None)
    if args.params:
        rules = apply_params(rules, load_params(args.params, rules))
    return rules


def _check(args: argparse.Namespace) -> int:
    from engine.pipeline import CheckOptions, check
    from engine.reports import FORMATS, load_all, write
    from engine.suppressions import load_suppressions

    load_all()
    pairs = _outputs(args.format, args.output)
    for fmt, _ in pairs:
        if fmt not in FORMATS:
            known = ", ".join(FORMATS.keys())
            raise UsageError(f"--format: unknown format {fmt!r} (known: {known})")
    notifier = _notifier(args)
    rules = _load_rules(args)
    explain_config, bedrock_client = _explain_options(args)
    options = CheckOptions(
        suppressions=load_suppressions(args.suppressions) if args.suppressions else [],
        eol_max_age_days=args.eol_max_age_days,
        explain=explain_config,
        bedrock_client=bedrock_client,
        record_others=any(fmt == "junit" for fmt, _ in pairs),
    )
    store = _store(args)
    try:
        report = check(
            _source(args),
            rules,
            _now(args),
            progress=_progress(),
            options=replace(options, store=store),
        )
    finally:
        if store is not None:
            store.close()
    location = args.report_url or next(
        (str(Path(target).resolve()) for fmt, target in pairs if fmt == "html" and target != "-"),
        None,
    )
    for fmt, target in pairs:
        with open_output(target) as out:
            if fmt == "email":
                from engine.reports.email import render_email

                out.write(render_email(report, location).preview())
            elif fmt == "html":
                from engine.reports.html import write_html

                write_html(report, out, complete_list=_complete_list(pairs))
            else:
                write(fmt, report, out)
    for problem in report.problems:  # e.g. history not stored: the exit code alone says little
        print(f"engine: error: {one_line(problem)}", file=sys.stderr)
    code = exit_code(report, args.fail_on)
    if notifier is not None:
        result = notifier.notify(report, location)
        print(f"engine: notify {result.channel}: {result.error or result.reason}", file=sys.stderr)
        if result.failed:
            code = EXIT_RUNTIME
    return code


def _store(args: argparse.Namespace) -> Any:
    """The history store, or None with ``--no-history``."""
    if args.no_history:
        return None
    from engine.store import default_history_path, open_store

    target = args.history
    if target is None and args.simulated:
        # the simulated account keeps its own history, apart from real accounts'
        target = str(default_history_path().with_name("history-simulated.sqlite"))
    return open_store(target)


def _outputs(formats: list[str], outputs: list[str]) -> list[tuple[str, str]]:
    """``--format`` and ``--output`` paired by position; one format may go to stdout."""
    formats = formats or ["text"]
    if not outputs:
        if len(formats) > 1:
            raise UsageError("several --format need one --output each (in the same order)")
        outputs = ["-"]
    if len(outputs) != len(formats):
        raise UsageError(f"{len(formats)} --format but {len(outputs)} --output: pair them")
    if outputs.count("-") > 1:
        raise UsageError("only one --output may be '-' (stdout)")
    return list(zip(formats, outputs, strict=True))


def _complete_list(pairs: list[tuple[str, str]]) -> str:
    """Where the HTML page sends readers for findings its table leaves out (past 100,000): a
    file of this run that lists every finding, when there is one."""
    from engine.reports.html import COMPLETE_LIST

    for fmt, target in pairs:
        if fmt in COMPLETE_FORMATS and target != "-":
            return f"the {fmt} report written with this page, {target}"
    return COMPLETE_LIST


def _notifier(args: argparse.Namespace) -> Any:
    """The notifier asked for, built before the run so a bad topic ARN stops it early."""
    if args.notify is None:
        if args.topic_arn:
            raise UsageError("--topic-arn needs --notify sns")
        return None
    if not args.topic_arn:
        raise UsageError("--notify sns needs --topic-arn")
    test_endpoint = os.environ.get("AWS_ENDPOINT_URL_SNS") or os.environ.get("AWS_ENDPOINT_URL")
    if args.simulated and not test_endpoint:
        raise UsageError(
            "--simulated never reaches AWS, so --notify needs a test endpoint in"
            " AWS_ENDPOINT_URL_SNS"
        )
    from engine.notify import NOTIFIERS
    from engine.notify import load_all as load_notifiers

    load_notifiers()
    session = None
    if args.simulated:  # the test endpoint, with throwaway credentials
        import boto3

        session = boto3.Session(
            aws_access_key_id="simulated",
            aws_secret_access_key="simulated",  # noqa: S106 - not a secret
        )
    return NOTIFIERS.get(args.notify)(args.topic_arn, when=args.notify_when, session=session)


def _explain_options(args: argparse.Namespace) -> tuple[Any, Any]:
    """The Bedrock explainer's configuration and client factory, or (None, None)."""
    if args.explain != "bedrock":
        if args.model or args.bedrock_region or args.explain_names:
            raise UsageError("--model, --bedrock-region and --explain-names need --explain bedrock")
        return None, None
    from engine.explain import DEFAULT_MODEL_ID, ExplainConfig, make_client

    test_endpoint = os.environ.get("AWS_ENDPOINT_URL_BEDROCK_RUNTIME")
    if args.simulated and not test_endpoint:
        raise UsageError(
            "--simulated never reaches AWS, so --explain bedrock needs a test endpoint in"
            " AWS_ENDPOINT_URL_BEDROCK_RUNTIME"
        )

    config = ExplainConfig(
        model_id=args.model or DEFAULT_MODEL_ID,
        region=args.bedrock_region or "us-east-1",
        include_resource_names=args.explain_names,
    )

    def client() -> Any:
        import boto3

        from collectors.session import make_session

        if args.simulated:  # the test endpoint, with throwaway credentials
            session = boto3.Session(
                aws_access_key_id="simulated",
                aws_secret_access_key="simulated",  # noqa: S106 - not a secret
                region_name=config.region,
            )
            return make_client(config, session=session)
        return make_client(config, session=make_session(args.profile))

    return config, client


def exit_code(report: Report, fail_on: str) -> int:
    """3 when anything could not be collected or evaluated, else 1 on findings, else 0."""
    if report.manifest.partial or report.errors or report.problems:
        return EXIT_RUNTIME
    if fail_on != "none":
        threshold = SEVERITY_ORDER[fail_on]
        if any(
            SEVERITY_ORDER[f.severity] <= threshold
            for f in report.failures
            if f.status != "suppressed"
        ):
            return EXIT_FINDINGS
    return EXIT_OK


def _collect(args: argparse.Namespace) -> int:
    from engine.inventory import dump

    now = _now(args)
    resources, manifest = _source(args).load(now, _progress())
    write_output(args.output, dump(resources, manifest))
    if manifest.partial:
        for e in manifest.errors:
            print(
                f"engine: collection error: {e.account_id} {e.region} {e.service}.{e.operation}: "
                f"{e.error_code}: {e.message}",
                file=sys.stderr,
            )
        return EXIT_RUNTIME
    return EXIT_OK


def _rules(args: argparse.Namespace) -> int:
    from engine.rules import load_rules

    rules = load_rules(args.paths or None)
    if args.rules_command == "validate":
        print(f"{len(rules)} rule(s) valid")
        return EXIT_OK
    if args.rules_command == "test":
        from engine.ruletest import check_rules

        count, failures = check_rules(rules)
        if failures:
            raise RuleErrors(list(failures))
        print(f"{count} test case(s) passed in {len(rules)} rule(s)")
        return EXIT_OK
    from engine.catalogue import render_catalogue

    print(render_catalogue(rules, args.format), end="")
    return EXIT_OK


def write_output(target: str, text: str) -> None:
    """Write ``text`` to stdout (``-``) or atomically to a file."""
    with open_output(target) as out:
        out.write(text)


@contextmanager
def open_output(target: str) -> Iterator[TextIO]:
    """A text stream to stdout (``-``) or to a file that appears only once complete.

    A file is written as a temporary file beside it, renamed into place when the block ends
    and removed if it fails, so a report is never left half-written under its name. An
    ``OSError`` (the folder cannot be made, the disk is full) is a ``RuntimeFailure`` naming
    the target: one line, exit code 3.
    """
    if target == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    path = Path(target)
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        tmp = Path(name)
        with os.fdopen(fd, "w", encoding="utf-8", buffering=OUTPUT_BUFFER) as handle:
            yield handle
        tmp.replace(path)
        tmp = None
    except OSError as exc:
        raise RuntimeFailure(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


__all__ = ["EXIT_INVALID_INPUT", "exit_code", "iso", "main"]


if __name__ == "__main__":
    raise SystemExit(main())
