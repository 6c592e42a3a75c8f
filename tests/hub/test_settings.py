"""Settings: typed, read from RABT_* variables, and a wrong value names its variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.settings import Settings, SettingsError


def test_every_setting_is_read_from_its_variable() -> None:
    settings = Settings.from_env(
        {
            "RABT_MODE": "production",
            "RABT_DATA_DIR": "/srv/rabt",
            "RABT_SECTORS": "traffic, passports",
            "RABT_SEED_PEOPLE": "12",
            "RABT_GRAPHIQL": "0",
            "RABT_REDIS_URL": "",
            "RABT_TRUSTED_DOCUMENTS": "1",
        }
    )
    assert settings.is_production
    assert settings.data_dir == Path("/srv/rabt")
    assert settings.database_url == "sqlite+aiosqlite:////srv/rabt/rabt.db"
    assert settings.sectors == ("traffic", "passports")
    assert settings.seed_people == 12
    assert settings.graphiql is False
    assert settings.redis_url is None
    assert settings.trusted_documents is True


def test_the_defaults_are_the_embedded_demo() -> None:
    settings = Settings.from_env({})
    assert settings.mode == "demo"
    assert settings.database_url == "sqlite+aiosqlite:///var/rabt.db"
    assert settings.sectors is None


@pytest.mark.parametrize(
    ("variable", "value"),
    [("RABT_SEED_PEOPLE", "ten"), ("RABT_MODE", "prod"), ("RABT_MAX_IN_FLIGHT", "0"), ("RABT_GRAPHIQL", "maybe")],
)
def test_a_wrong_value_names_its_variable_and_what_it_got(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({variable: value})
    assert variable in str(raised.value)
    assert repr(value) in str(raised.value)


def test_the_command_line_refuses_a_wrong_setting_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from hub.cli import main

    monkeypatch.setenv("RABT_SEED_PEOPLE", "ten")
    assert main(["token", "analyst"]) == 2
    error = capsys.readouterr().err
    assert "RABT_SEED_PEOPLE" in error
    assert "Traceback" not in error
