"""`configctl`: the Config Service from a shell. JSON where a program reads the output, a table
where a person does (`--output` overrides either). Exit status: 0 done, 1 failed (a message on
stderr, one line, never a traceback), 2 `apply --dry-run --exit-code` found changes to make."""

import argparse
import difflib
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError

from config_client.client import ConfigClient
from config_client.desired_state import (
    KeyChanges,
    Plan,
    StateError,
    make_plan,
    parse_object,
    read_current,
    read_folder,
)
from config_client.errors import ConfigServiceError, FeedReset, PreconditionFailed
from config_client.models import Application, Configuration, ImportPlan

EXIT_OK, EXIT_FAILED, EXIT_CHANGES = 0, 1, 2
EXIT_INTERRUPTED = 130  # Ctrl-C anywhere but in watch, as a shell reports it

Command = Callable[[ConfigClient, argparse.Namespace], int]


class Failure(Exception):
    """Stop with exit 1; the message is printed on stderr."""


# --- output ---------------------------------------------------------------------------------


def note(message: str) -> None:
    """A word to the person at the terminal, kept off stdout so that stdout stays parseable."""
    print(f"configctl: {message}", file=sys.stderr)


def emit_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return " ".join(text.split())  # one line per row, whatever a comment holds


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [list(headers)] + [[_cell(value) for value in row] for row in rows]
    widths = [max(len(row[column]) for row in cells) for column in range(len(headers))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in cells
    )


def render_fields(fields: Sequence[tuple[str, Any]]) -> str:
    """One record as `field  value` lines."""
    width = max(len(name) for name, _ in fields)
    return "\n".join(f"{name.ljust(width)}  {_cell(value)}".rstrip() for name, value in fields)


def output_of(args: argparse.Namespace, default: str) -> str:
    return args.output or default


def describe(error: ConfigServiceError) -> str:
    """The service's problem on one line: status, title, detail, and what failed validation."""
    extras = [f"{_location(item.get('loc'))}: {item.get('msg')}" for item in error.errors]
    current = error.current_version if isinstance(error, PreconditionFailed) else None
    if current is not None and f"version {current}" not in str(error):  # the detail says it as a rule
        extras.append(f"current version {current}")
    text = str(error) + (f" ({'; '.join(extras)})" if extras else "")
    return " ".join(text.split())


def _location(loc: Any) -> str:
    return ".".join(str(part) for part in loc) if isinstance(loc, list) else str(loc)


# --- input ----------------------------------------------------------------------------------


def read_object_file(name: str) -> dict[str, Any]:
    """The JSON object in file `name`, or on stdin for `-`."""
    if name == "-":
        return parse_object(sys.stdin.read(), "stdin")
    try:
        text = Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise Failure(f"{name}: cannot be read ({error})") from None
    return parse_object(text, name)


def split_target(target: str) -> tuple[str, str]:
    """APP/CONFIG, split at the first slash (a configuration's name may hold more)."""
    application, _, configuration = target.partition("/")
    if not application or not configuration:
        raise Failure(f"{target!r}: expected APP/CONFIG, an application's name and a configuration's")
    return application, configuration


def find_application(client: ConfigClient, name: str) -> Application:
    found = client.find_application(name)
    if found is None:
        raise Failure(f"no application named {name!r}")
    return found


def find_configuration(client: ConfigClient, target: str) -> Configuration:
    application_name, name = split_target(target)
    found = client.find_configuration(find_application(client, application_name).id, name)
    if found is None:
        raise Failure(f"application {application_name!r} has no configuration named {name!r}")
    return found


# --- get and put ----------------------------------------------------------------------------


def show_configuration(configuration: Configuration, application: str, args: argparse.Namespace) -> None:
    if output_of(args, "json") == "json":
        emit_json(configuration.model_dump(mode="json"))
        return
    shown = configuration.model_dump(mode="json")
    names = ("id", "version", "comments", "created_at", "updated_at")
    keys = ", ".join(sorted(configuration.config)) or None
    print(
        render_fields(
            [("application", application), ("name", configuration.name)]
            + [(n, shown[n]) for n in names]
            + [("keys", keys)]
        )
    )


def get(client: ConfigClient, args: argparse.Namespace) -> int:
    configuration = find_configuration(client, args.target)
    if output_of(args, "json") == "json":
        emit_json(configuration.config)
    else:
        show_configuration(configuration, split_target(args.target)[0], args)
    return EXIT_OK


def put(client: ConfigClient, args: argparse.Namespace) -> int:
    """Create or replace a configuration. An update is always conditional, on --if-match or else on
    the version just read: the comments it keeps are that version's, so no change made meanwhile
    is lost."""
    application_name, name = split_target(args.target)
    config = read_object_file(args.file)
    application = client.find_application(application_name)
    stored = client.find_configuration(application.id, name) if application else None
    if stored is None and args.if_match is not None:
        raise Failure(f"{args.target} does not exist, so --if-match {args.if_match} cannot match")
    if application is None:
        written = _create_with_application(client, application_name, name, config)
        note(f"created application {application_name!r}")
    elif stored is None:
        written = client.create_configuration(application.id, name, config)
    else:
        if_match = stored.version if args.if_match is None else args.if_match
        written = client.update_configuration(
            stored.id, name=name, config=config, comments=stored.comments, if_match=if_match
        )
    show_configuration(written, application_name, args)
    return EXIT_OK


def _create_with_application(
    client: ConfigClient, application: str, name: str, config: dict[str, Any]
) -> Configuration:
    """Both in one transaction: a configuration the service refuses leaves no empty application."""
    results = client.transaction(
        [
            {"op": "create_application", "ref": "application", "body": {"name": application}},
            {"op": "create_configuration", "body": {"application_ref": "application", "name": name, "config": config}},
        ]
    )
    return Configuration.model_validate(results[1].body)


# --- watch, history and diff ----------------------------------------------------------------

WATCH_HEADERS = ("SEQ", "CHANGE", "VERSION", "APPLICATION_ID", "CONFIGURATION_ID", "CHANGED_AT", "CHANGED_BY")
WATCH_WIDTHS = (8, 7, 7, 26, 26, 27, 0)  # fixed: a stream cannot be measured before it is printed


def _watch_row(values: Sequence[Any]) -> str:
    return "  ".join(_cell(value).ljust(width) for value, width in zip(values, WATCH_WIDTHS, strict=True)).rstrip()


def watch(client: ConfigClient, args: argparse.Namespace) -> int:
    """A line per change, flushed at once, until Ctrl-C (or --count changes)."""
    application_id = find_application(client, args.application).id if args.application else None
    table = output_of(args, "json") == "table"
    if table:
        print(_watch_row(WATCH_HEADERS), flush=True)
    seen = 0
    try:
        for change in client.watch(after=args.after, application_id=application_id):
            shown = change.model_dump(mode="json")
            line = _watch_row([shown[h.lower()] for h in WATCH_HEADERS]) if table else json.dumps(shown)
            print(line, flush=True)
            seen += 1
            if args.count is not None and seen >= args.count:
                break
    except KeyboardInterrupt:
        pass  # how a watch is meant to end
    return EXIT_OK


def history(client: ConfigClient, args: argparse.Namespace) -> int:
    configuration = find_configuration(client, args.target)
    revisions = [revision.model_dump(mode="json") for revision in client.revisions(configuration.id)]
    if output_of(args, "table") == "json":
        emit_json(revisions)
    else:
        rows = [(r["version"], r["change"], r["changed_at"], r["changed_by"]) for r in revisions]
        print(render_table(("VERSION", "CHANGE", "CHANGED_AT", "CHANGED_BY"), rows))
    return EXIT_OK


def _canonical(config: dict[str, Any]) -> list[str]:
    return json.dumps(config, indent=2, sort_keys=True, ensure_ascii=False).splitlines()


def diff(client: ConfigClient, args: argparse.Namespace) -> int:
    """A unified diff of two revisions' config (exit 0 either way, or with --exit-code 1 when
    they differ, as git diff)."""
    configuration = find_configuration(client, args.target)
    old, new = client.revision(configuration.id, args.v1), client.revision(configuration.id, args.v2)
    old_text, new_text = _canonical(old.config), _canonical(new.config)
    if output_of(args, "table") == "json":
        keys = KeyChanges.between(old.config, new.config).as_dict()
        emit_json({"from": args.v1, "to": args.v2, "differ": old_text != new_text, **keys})
    else:
        names = (f"{args.target}@{args.v1}", f"{args.target}@{args.v2}")
        for line in difflib.unified_diff(old_text, new_text, *names, lineterm=""):
            print(line)
    return EXIT_FAILED if args.exit_code and old_text != new_text else EXIT_OK


# --- export and import ----------------------------------------------------------------------


def export(client: ConfigClient, args: argparse.Namespace) -> int:
    document = client.export_application(find_application(client, args.application).id)
    if output_of(args, "json") == "json":
        emit_json(document.model_dump(mode="json"))
    else:
        rows = [(c.name, c.comments, ", ".join(sorted(c.config))) for c in document.configurations]
        print(render_table(("CONFIGURATION", "COMMENTS", "KEYS"), rows))
    return EXIT_OK


def import_(client: ConfigClient, args: argparse.Namespace) -> int:
    document = read_object_file(args.file)
    mode = "replace" if args.replace else "merge"
    plan = client.import_document(document, mode=mode, dry_run=args.dry_run)
    if output_of(args, "table") == "json":
        emit_json(plan.model_dump(mode="json"))
    else:
        _show_import(plan, str(document["application"]["name"]), args.dry_run)
    return EXIT_OK


def _show_import(plan: ImportPlan, application: str, dry_run: bool) -> None:
    rows = [(plan.application.action, application)]
    rows += [(c.action, f"{application}/{c.name}") for c in plan.configurations]
    print(render_table(("ACTION", "NAME"), rows))
    counts = Counter(action for action, _ in rows)
    if dry_run:
        planned = ", ".join(f"{counts[action]} to {action}" for action in ("create", "update", "delete"))
        print(f"Plan: {planned}, {counts['unchanged']} unchanged. Dry run: nothing written.")
    else:
        done = ", ".join(f"{counts[action]} {action}d" for action in ("create", "update", "delete"))
        print(f"Imported: {done}, {counts['unchanged']} unchanged.")


# --- apply ----------------------------------------------------------------------------------


def apply(client: ConfigClient, args: argparse.Namespace) -> int:
    """Plan, print the plan, then (unless --dry-run) write all of it in one transaction."""
    if args.exit_code and not args.dry_run:
        raise Failure("--exit-code goes with --dry-run")
    desired = read_folder(Path(args.dir))
    plan = make_plan(desired, read_current(client, desired), prune=args.prune)
    json_out = output_of(args, "table") == "json"
    _show_plan(plan, json_out, args.dry_run)
    if not plan.changes:
        return EXIT_OK
    if args.dry_run and _refused_by_schemas(client, plan):
        return EXIT_FAILED
    if args.dry_run:
        return EXIT_CHANGES if args.exit_code else EXIT_OK
    _run(client, plan)
    counts = plan.counts()
    done = f"Applied: {counts['create']} created, {counts['update']} updated, {counts['delete']} deleted."
    if json_out:
        note(done)  # stdout holds the plan's JSON and nothing else
    else:
        print(done)
    return EXIT_OK


def _refused_by_schemas(client: ConfigClient, plan: Plan) -> bool:
    """Ask the service whether each update would fit its configuration's schema (the write
    itself would be refused otherwise); say which would not. True when one would not."""
    refused = False
    for step in plan.changes:
        operation = step.operation or {}
        if operation.get("op") != "update_configuration":
            continue
        check = client.validate(operation["id"], config=operation["body"]["config"])
        for error in check.errors:
            note(f"{step.target}: refused by its schema: {_location(error.get('loc'))}: {error.get('msg')}")
            refused = True
    return refused


def _show_plan(plan: Plan, json_out: bool, dry_run: bool) -> None:
    if json_out:
        emit_json({"steps": [step.as_dict() for step in plan.steps], "counts": plan.counts(), "dry_run": dry_run})
    elif not plan.changes:
        print("No changes.")
    else:
        print(render_table(("ACTION", "TARGET", "DETAIL"), [(s.action, s.target, s.detail) for s in plan.changes]))
        print(plan.summary())
    sys.stdout.flush()  # the plan is out before anything is written


def _run(client: ConfigClient, plan: Plan) -> None:
    written = plan.written()
    try:
        client.transaction([operation for _, operation in written])
    except ConfigServiceError as error:
        index = error.operation_index
        if index is None or not 0 <= index < len(written) or error.status is None or error.status >= 500:
            raise
        step = written[index][0]
        hint = "; it changed after the plan was made: apply again" if isinstance(error, PreconditionFailed) else ""
        raise Failure(f"{step.action} {step.target}: {describe(error)}{hint}. Nothing was written.") from None


# --- the command line -----------------------------------------------------------------------


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def _seq(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is not a seq (0 or more)")
    return value


def _globals(parser: argparse.ArgumentParser, default: Any) -> None:
    """The options every command takes, before or after its name. Under a command they default to
    SUPPRESS, so that leaving them out there keeps what was given before the command."""
    parser.add_argument("--url", default=default, help="the service (default: $CONFIG_SERVICE_URL)")
    parser.add_argument("--token", default=default, help="a token's secret (default: $CONFIG_SERVICE_TOKEN)")
    parser.add_argument("--output", "-o", choices=("json", "table"), default=default, help="override the default")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="configctl", description="The Config Service from a shell.")
    _globals(parser, None)
    commands = parser.add_subparsers(title="commands", dest="command_name", required=True, metavar="COMMAND")

    def command(name: str, run: Command, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        _globals(sub, argparse.SUPPRESS)
        sub.set_defaults(run=run)
        return sub

    sub = command("get", get, "print a configuration's config (JSON)")
    sub.add_argument("target", metavar="APP/CONFIG")

    sub = command("put", put, "create or replace a configuration from a JSON file (- for stdin)")
    sub.add_argument("target", metavar="APP/CONFIG")
    sub.add_argument("file", metavar="FILE")
    sub.add_argument("--if-match", type=_positive, metavar="N", help="write only if it is at version N")

    sub = command("watch", watch, "print changes as JSON lines, until Ctrl-C")
    sub.add_argument("application", metavar="APP", nargs="?", help="only this application's changes")
    sub.add_argument("--after", type=_seq, metavar="SEQ", help="start after this seq (default: from now)")
    sub.add_argument("--count", type=_positive, metavar="N", help="stop after N changes")

    sub = command("history", history, "list a configuration's revisions, newest first")
    sub.add_argument("target", metavar="APP/CONFIG")

    sub = command("diff", diff, "a unified diff of two revisions' config")
    sub.add_argument("target", metavar="APP/CONFIG")
    sub.add_argument("v1", type=_positive, metavar="V1")
    sub.add_argument("v2", type=_positive, metavar="V2")
    sub.add_argument("--exit-code", action="store_true", help="exit 1 when they differ")

    sub = command("export", export, "print an application's export document (JSON)")
    sub.add_argument("application", metavar="APP")

    sub = command("import", import_, "import an export document (- for stdin) and print the plan")
    sub.add_argument("file", metavar="FILE")
    sub.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    sub.add_argument("--replace", action="store_true", help="delete configurations the document does not hold")

    sub = command("apply", apply, "make the service hold DIR/APP/CONFIG.json, planned first")
    sub.add_argument("dir", metavar="DIR")
    sub.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    sub.add_argument("--prune", action="store_true", help="delete configurations of DIR's applications with no file")
    sub.add_argument("--exit-code", action="store_true", help="with --dry-run: exit 2 when there is something to do")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help (0), or a usage error, already explained on stderr
        return EXIT_OK if stop.code in (0, None) else EXIT_FAILED
    try:
        with ConfigClient(args.url, args.token) as client:
            return int(args.run(client, args))
    except (Failure, StateError) as failure:
        note(str(failure))
    except ConfigServiceError as error:
        note(describe(error))
    except FeedReset as reset:
        note(str(reset))
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        note(f"{type(error).__name__}: {error}")
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `configctl ... | head`: the reader left, nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except OSError as error:  # a folder or file that cannot be read, stdout that cannot be written
        note(f"{type(error).__name__}: {error}")
    except (ValidationError, UnicodeError) as error:  # an answer this client cannot read, or cannot print
        note(f"{type(error).__name__}: {str(error).splitlines()[0]}")
    return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
