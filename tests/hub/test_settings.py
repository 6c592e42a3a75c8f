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


OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
# Read from the environment by the parts that need them (hub.access.keys, hub.data.secrets_store), not by Settings.
SECRETS = {"RABT_TOKEN_PRIVATE_KEY", "RABT_OTP_PEPPER", "RABT_STATISTICS_KEY", "RABT_GATEWAY_HMAC_SECRET"}


BUDGETS = "Budgets, outages and health"


def _settings_table() -> dict[str, str]:
    """Each variable of the operations guide's settings table and its budgets' table, with its row's
    default cell."""
    import re

    text = OPERATIONS.read_text()
    sections = [text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0] for title in ("Settings", BUDGETS)]
    rows: dict[str, str] = {}
    for line in "\n".join(sections).splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`RABT_"):
            continue
        for variable in re.findall(r"`(RABT_[A-Z_]+)`", cells[0]):
            assert variable not in rows, f"{variable} has two rows in the settings table"
            rows[variable] = cells[1]
    return rows


def _shown(value: object) -> str | None:
    """A default as the table writes it, for the simple ones."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return f"{value:g}"
    if isinstance(value, str | Path) and str(value):
        return str(value)
    return None


def test_the_operations_guide_lists_every_setting_with_its_default() -> None:
    table = _settings_table()
    variables = {f"RABT_{name.upper()}": field for name, field in Settings.model_fields.items()}
    assert sorted(set(variables) - set(table)) == [], "settings missing from docs/operations.md#settings"
    assert sorted(set(table) - set(variables) - SECRETS) == [], "rows in docs/operations.md#settings of no setting"
    for variable, field in variables.items():
        shown = _shown(field.default)
        if shown is not None:
            cell = table[variable]
            first = cell.split("`")[1] if "`" in cell else cell
            assert first == shown, f"{variable}: the table's default {cell!r}, the model's {shown!r}"
