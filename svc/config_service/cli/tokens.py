"""`pipenv run tokens create|list|revoke`: how the first admin token is made, and any other.

`create` prints the secret alone on stdout (one line, for scripts); it is never shown again.
"""

import argparse
import sys
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import psycopg2
import psycopg2.errors
from pydantic import ValidationError

from config_service.api.schemas import TokenCreate
from config_service.db.connect_errors import explain
from config_service.db.unit_of_work import run_once
from config_service.domain.errors import ServiceError
from config_service.services import tokens as service
from config_service.settings import Settings, SettingsError, load_settings

ACTOR = "tokens-cli"


MAX_DAYS = 36_500  # a hundred years; the API refuses an expiry past the year 9999 too
OPTIONS = {"name": "--name", "scope": "--scope", "application_ids": "--application", "expires_at": "--expires-in-days"}


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tokens",
        description="Manage the service's API tokens, in the database DATABASE_URL names (as the service does).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="{create,list,revoke}")
    create = commands.add_parser("create", help="create a token and print its secret (once)")
    create.add_argument("--name", required=True, help="unique forever: letters, digits and . _ : @ -, 1-128 characters")
    create.add_argument(
        "--scope",
        required=True,
        choices=["read", "write", "admin", "metrics"],
        help="read: GET only; write: read and change configurations; admin: also manage tokens;"
        " metrics: GET /metrics only",
    )
    create.add_argument(
        "--application",
        action="append",
        dest="applications",
        metavar="ID",
        help="limit the token to this application (repeat for several); without it, every application",
    )
    create.add_argument(
        "--expires-in-days", type=int, metavar="N", help="the token stops working after N days (default: never)"
    )
    commands.add_parser("list", help="list every token: id, name, scope, state, applications, expiry, last use")
    revoke = commands.add_parser("revoke", help="revoke a token by name (every worker refuses it within a second)")
    revoke.add_argument("name", help="the token's name, as `list` shows it")
    return parser


def validated(args: argparse.Namespace) -> TokenCreate:
    """The create request, checked by the API's own rules (the same model as POST /api/v1/tokens)."""
    if args.expires_in_days is not None and not 1 <= args.expires_in_days <= MAX_DAYS:
        raise ServiceError(f"--expires-in-days must be 1-{MAX_DAYS}")
    expires = datetime.now(UTC) + timedelta(days=args.expires_in_days) if args.expires_in_days else None
    try:
        return TokenCreate.model_validate(
            {"name": args.name, "scope": args.scope, "application_ids": args.applications, "expires_at": expires}
        )
    except ValidationError as error:
        first = error.errors(include_input=False)[0]
        option = OPTIONS.get(str(first["loc"][0]), str(first["loc"][0]))
        raise ServiceError(f"{option}: {first['msg']}") from None


def where(settings: Settings) -> str:
    """host:port/database of DATABASE_URL, never its user or password."""
    url = urlsplit(str(settings.database_url))
    hosts = url.netloc.rpartition("@")[2] or "the local socket"  # several hosts stay as written
    return f"{hosts}/{url.path.lstrip('/')}"


def unreachable(error: psycopg2.OperationalError, settings: Settings) -> str:
    reason = explain(error)
    if reason.kind == "missing database":
        return (
            f"the database {where(settings)} does not exist: set DATABASE_URL as the service has it,"
            " or start the service once (`pipenv run serve` creates its database)"
        )
    return f"cannot connect to the database at {where(settings)}: {reason}"


def line(row: dict[str, Any], now: datetime) -> str:
    """One token, for people and for scripts: fields two spaces apart, times in UTC to the second."""
    expires = row["expires_at"]
    if row["revoked_at"]:
        state = "revoked"
    elif expires is not None and expires <= now:
        state = "expired"
    else:
        state = "active"
    limit = ",".join(row["application_ids"]) if row["application_ids"] else "all applications"
    last_used = row["last_used_at"]
    return "  ".join(
        [
            row["id"],
            row["name"],
            row["scope"],
            state,
            limit,
            f"expires {_moment(expires) if expires else 'never'}",
            f"last used {_moment(last_used) if last_used else 'never'}",
        ]
    )


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    try:
        if args.command == "create":
            request = validated(args)
            ids = [str(id) for id in request.application_ids] if request.application_ids else None
            _, secret = run_once(
                settings,
                lambda uow: service.create_token(uow, request.name, request.scope, ids, request.expires_at),
                ACTOR,
            )
            print(secret)
        elif args.command == "list":
            now = datetime.now(UTC)
            for row in run_once(settings, service.list_tokens, ACTOR):
                print(line(row, now))
        else:
            run_once(settings, lambda uow: service.revoke_token_by_name(uow, args.name), ACTOR)
            print(f"revoked {args.name}", file=sys.stderr)
        return 0
    except ServiceError as error:
        print(f"tokens: {error.detail}", file=sys.stderr)
        return 1
    except psycopg2.OperationalError as error:
        print(f"tokens: {unreachable(error, settings)}", file=sys.stderr)
        return 1
    except psycopg2.errors.UndefinedTable:
        print(
            f"tokens: the database {where(settings)} has no tables yet: run `pipenv run migrate`"
            " (or start the service once) first",
            file=sys.stderr,
        )
        return 1
    except psycopg2.Error as error:
        print(f"tokens: the database {where(settings)} refused the request ({type(error).__name__})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
