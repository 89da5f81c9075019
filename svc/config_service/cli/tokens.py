"""`pipenv run tokens create|list|revoke`: how the first admin token is made, and any other.

`create` prints the secret alone on stdout (one line, for scripts); it is never shown again.
"""

import argparse
import sys
from datetime import UTC, datetime, timedelta

import psycopg2

from config_service.db.connect_errors import explain
from config_service.db.unit_of_work import run_once
from config_service.domain.errors import ServiceError
from config_service.services import tokens as service
from config_service.settings import SettingsError, load_settings

ACTOR = "tokens-cli"


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tokens", description="Manage the service's API tokens.")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a token and print its secret (once)")
    create.add_argument("--name", required=True, help="unique forever: [A-Za-z0-9._:@-], 1-128 characters")
    create.add_argument("--scope", required=True, choices=["read", "write", "admin"])
    create.add_argument(
        "--application",
        action="append",
        dest="applications",
        metavar="ID",
        help="limit the token to this application (repeat for several)",
    )
    create.add_argument("--expires-in-days", type=int, metavar="N")
    commands.add_parser("list", help="list every token (never a secret)")
    revoke = commands.add_parser("revoke", help="revoke a token by name")
    revoke.add_argument("name")
    return parser


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
        if args.command == "create":
            if args.expires_in_days is not None and args.expires_in_days < 1:
                raise ServiceError("--expires-in-days must be at least 1")
            expires = datetime.now(UTC) + timedelta(days=args.expires_in_days) if args.expires_in_days else None
            applications = [id.upper() for id in args.applications] if args.applications else None
            _, secret = run_once(
                settings, lambda uow: service.create_token(uow, args.name, args.scope, applications, expires), ACTOR
            )
            print(secret)
        elif args.command == "list":
            for row in run_once(settings, service.list_tokens, ACTOR):
                state = "revoked" if row["revoked_at"] else "active"
                limit = ",".join(row["application_ids"]) if row["application_ids"] else "all applications"
                print(f"{row['name']}  {row['scope']}  {state}  {limit}  last used {row['last_used_at'] or 'never'}")
        else:
            run_once(settings, lambda uow: service.revoke_token_by_name(uow, args.name), ACTOR)
            print(f"revoked {args.name}", file=sys.stderr)
        return 0
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    except ServiceError as error:
        print(f"tokens: {error.detail}", file=sys.stderr)
        return 1
    except psycopg2.Error as error:
        print(f"tokens: the database failed: {explain(error)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
