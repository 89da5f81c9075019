import re

from config_service.cli import tokens as cli


def test_create_prints_the_secret_alone_then_list_and_revoke(settings, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", str(settings.database_url))
    assert cli.main(["create", "--name", "first", "--scope", "admin", "--expires-in-days", "30"]) == 0
    out = capsys.readouterr().out
    assert re.fullmatch(r"cfg_[A-Za-z0-9_-]{43}\n", out)
    assert cli.main(["list"]) == 0
    listed = capsys.readouterr().out
    assert listed.startswith("first  admin  active  all applications  last used never") and "cfg_" not in listed
    assert cli.main(["revoke", "first"]) == 0
    assert cli.main(["list"]) == 0 and "revoked" in capsys.readouterr().out


def test_mistakes_are_one_line_each(settings, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", str(settings.database_url))
    assert cli.main(["create", "--name", "x", "--scope", "read", "--application", "01J0000000000000000000000A"]) == 1
    assert "application_ids must name existing applications" in capsys.readouterr().err
    assert cli.main(["create", "--name", "x", "--scope", "read", "--expires-in-days", "0"]) == 1
    assert cli.main(["revoke", "nobody"]) == 1 and "no token with this name" in capsys.readouterr().err
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")
    assert cli.main(["list"]) == 1 and "connection refused" in capsys.readouterr().err
    monkeypatch.setenv("POOL_SIZE", "zero")
    assert cli.main(["list"]) == 2
