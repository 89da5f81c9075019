import re

import pytest

from config_service.cli import tokens as cli
from config_service.conftest import url_for


def test_create_prints_the_secret_alone_then_list_and_revoke(settings, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", str(settings.database_url))
    assert cli.main(["create", "--name", "first", "--scope", "admin", "--expires-in-days", "30"]) == 0
    out = capsys.readouterr().out
    assert re.fullmatch(r"cfg_[A-Za-z0-9_-]{43}\n", out)
    assert cli.main(["list"]) == 0
    listed = capsys.readouterr().out
    assert re.fullmatch(
        r"[0-9A-Z]{26}  first  admin  active  all applications  expires 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ"
        r"  last used never\n",
        listed,
    ), listed
    assert "cfg_" not in listed
    assert cli.main(["revoke", "first"]) == 0
    assert cli.main(["list"]) == 0 and "  revoked  " in capsys.readouterr().out


def test_mistakes_are_one_line_each(settings, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", str(settings.database_url))
    assert cli.main(["create", "--name", "x", "--scope", "read", "--application", "01J0000000000000000000000A"]) == 1
    assert "application_ids must name existing applications" in capsys.readouterr().err
    assert cli.main(["create", "--name", "x", "--scope", "read", "--expires-in-days", "0"]) == 1
    assert cli.main(["revoke", "nobody"]) == 1 and "no token with this name" in capsys.readouterr().err
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")
    assert cli.main(["list"]) == 1
    assert capsys.readouterr().err == (
        "tokens: cannot connect to the database at 127.0.0.1:1/none: connection refused:"
        " is PostgreSQL running at the host and port of DATABASE_URL?\n"
    )
    monkeypatch.setenv("POOL_SIZE", "zero")
    assert cli.main(["list"]) == 2


@pytest.mark.parametrize(
    "arguments, said",
    [
        (["--name", "bad name", "--scope", "read"], "tokens: --name: String should match pattern"),
        (["--name", "x" * 129, "--scope", "read"], "tokens: --name: String should match pattern"),
        (["--name", "ok", "--scope", "read", "--application", "not-an-id"], "tokens: --application:"),
    ],
)
def test_a_token_is_checked_by_the_apis_rules_before_the_database_is_asked(
    settings, monkeypatch, capsys, arguments, said
):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/never-reached")
    assert cli.main(["create", *arguments]) == 1
    err = capsys.readouterr().err
    assert err.startswith(said) and err.count("\n") == 1 and "database" not in err, err


def test_a_missing_database_is_named(run_id, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", url_for(f"{run_id}_absent"))
    assert cli.main(["list"]) == 1
    err = capsys.readouterr().err
    assert f"/{run_id}_absent does not exist" in err and "pipenv run serve" in err


def test_every_option_has_help(capsys):
    parser = cli.parser()
    commands = next(action for action in parser._actions if action.dest == "command")
    for name, sub in commands.choices.items():
        for action in sub._actions:
            assert action.help, f"{name} {action.dest}"


def test_an_unmigrated_database_and_an_expiry_too_far_are_said_plainly(empty_database_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    assert cli.main(["list"]) == 1
    assert "has no tables yet: run `pipenv run migrate`" in capsys.readouterr().err
    assert cli.main(["create", "--name", "x", "--scope", "read", "--expires-in-days", "3000000"]) == 1
    assert capsys.readouterr().err == "tokens: --expires-in-days must be 1-36500\n"


def test_the_database_is_named_without_its_password_and_with_every_host():
    settings = type("S", (), {"database_url": "postgresql://u:secret@db1:5432,db2:5433/cfg"})()
    assert cli.where(settings) == "db1:5432,db2:5433/cfg"
