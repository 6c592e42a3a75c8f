"""The username and password policies say every rule broken; argon2 hashes verify only the password."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type

from hub.accounts.hashing import PasswordHashing
from hub.accounts.passwords import (
    PasswordRule,
    UsernameRule,
    contains_run_of,
    describe_password,
    password_problems,
    username_key,
    username_problems,
)
from hub.settings import Settings
from hub.web.app import create_app
from hub.web.hub import Hub
from tests.conftest import built_hub

ID = "1234567897"


@pytest.mark.parametrize("username", ["sara2026x", "a1234567", "Nasser99ab", "x" * 30 + "a1"])
def test_a_username_of_latin_letters_and_digits_starting_with_a_letter_is_accepted(username: str) -> None:
    assert username_problems(username) == []


@pytest.mark.parametrize(
    ("username", "broken"),
    [
        ("sara201", [UsernameRule.LENGTH]),
        ("2026sarah", [UsernameRule.STARTS_WITH_LETTER]),
        ("sara_2026", [UsernameRule.LATIN_LETTERS_AND_DIGITS]),
        ("sara 2026", [UsernameRule.LATIN_LETTERS_AND_DIGITS]),
        (
            "سارة20261234",
            [UsernameRule.LATIN_LETTERS_AND_DIGITS, UsernameRule.STARTS_WITH_LETTER, UsernameRule.LOWERCASE],
        ),
        ("SARAH2026", [UsernameRule.LOWERCASE]),
        ("sarahsarah", [UsernameRule.DIGIT]),
        ("s" * 32 + "1", [UsernameRule.LENGTH]),
        ("", [UsernameRule.LENGTH, UsernameRule.STARTS_WITH_LETTER, UsernameRule.LOWERCASE, UsernameRule.DIGIT]),
    ],
)
def test_a_username_names_every_rule_it_breaks(username: str, broken: list[UsernameRule]) -> None:
    assert username_problems(username) == broken


def test_usernames_compare_without_case() -> None:
    assert username_key(" Sara2026x ") == username_key("sara2026X") == "sara2026x"


def test_a_strong_password_is_accepted() -> None:
    assert password_problems("Rabt2026Sahm", ID) == []


@pytest.mark.parametrize(
    ("password", "broken"),
    [
        ("Rab2026", [PasswordRule.LENGTH]),
        ("rabt2026sahm", [PasswordRule.UPPERCASE]),
        ("RABT2026SAHM", [PasswordRule.LOWERCASE]),
        ("RabtSahmNajd", [PasswordRule.DIGIT]),
        ("Ab" + "c" * 6 + "1", [PasswordRule.NO_REPEATED_CHARACTER]),
        ("Ab" + "x" * 200 + "1", [PasswordRule.LENGTH, PasswordRule.NO_REPEATED_CHARACTER]),
        ("Pass345678wd", [PasswordRule.NO_PART_OF_ID]),  # 345678: six consecutive digits of the ID
        ("Pass٣٤٥٦٧٨wd", [PasswordRule.NO_PART_OF_ID]),  # the same digits typed in Eastern Arabic
        ("", [PasswordRule.LENGTH, PasswordRule.UPPERCASE, PasswordRule.LOWERCASE, PasswordRule.DIGIT]),
    ],
)
def test_a_password_names_every_rule_it_breaks(password: str, broken: list[PasswordRule]) -> None:
    assert password_problems(password, ID) == broken


def test_five_consecutive_digits_of_the_id_are_allowed_six_are_not() -> None:
    assert not contains_run_of("Pass34567wd", ID)
    assert contains_run_of("Pass345678wd", ID)
    assert contains_run_of("x1234567897", ID)


def test_exactly_half_the_length_of_one_character_is_allowed() -> None:
    assert PasswordRule.NO_REPEATED_CHARACTER not in password_problems("Aa1aaaBc", ID)  # 4 of 8 chars: 'a'
    assert PasswordRule.NO_REPEATED_CHARACTER in password_problems("Aa1aaaaa", ID)  # 6 of 8


def test_the_password_refusal_says_what_is_missing_in_both_languages() -> None:
    english, arabic = describe_password([PasswordRule.UPPERCASE, PasswordRule.DIGIT])
    assert english == "The password needs: an uppercase letter; a digit."
    assert "حرف كبير" in arabic and "رقم" in arabic


async def test_a_hash_verifies_its_password_and_no_other() -> None:
    passwords = PasswordHashing()
    stored = await passwords.hash("Rabt2026Sahm")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$"), "RFC 9106's low-memory profile"
    assert "Rabt2026Sahm" not in stored
    assert await passwords.verify(stored, "Rabt2026Sahm")
    assert not await passwords.verify(stored, "Rabt2026sahm")
    assert not passwords.needs_rehash(stored)


async def test_a_hash_made_with_other_parameters_still_verifies_and_asks_to_be_made_again() -> None:
    cheaper = await PasswordHashing(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)).hash("Rabt2026Sahm")
    passwords = PasswordHashing()
    assert await passwords.verify(cheaper, "Rabt2026Sahm")
    assert passwords.needs_rehash(cheaper)


def test_a_hub_hashes_with_argon2id_at_the_default_cost(tmp_path: Path) -> None:
    """The tests' hubs hash cheaply (tests/conftest.py); a hub built from its settings does not."""
    hub = Hub.build(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'rabt.db'}", data_dir=tmp_path))
    assert hub.accounts is not None
    hasher = hub.accounts.passwords.hasher
    assert (hasher.type, hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (Type.ID, 3, 65536, 4)


class _CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=64, parallelism=1)
        self.hashed = 0

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.hashed += 1
        return super().hash(password, salt=salt)


async def test_a_started_hub_has_hashed_the_unknown_users_stand_in_so_no_sign_in_waits_for_it(
    tmp_path: Path,
) -> None:
    """Hashed at the first sign-in instead, that answer alone would take a hash longer, and only
    for a username no account has: a timing tell of which usernames exist."""
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'rabt.db'}", data_dir=tmp_path)
    hub = built_hub(settings)
    assert hub.accounts is not None
    hasher = _CountingHasher()
    hub.accounts.passwords = PasswordHashing(hasher)
    app = create_app(settings, hub)
    async with app.router.lifespan_context(app):
        assert hasher.hashed == 1
        assert not await hub.accounts.passwords.verify(None, "Rabt2026Sahm")
        assert hasher.hashed == 1


async def test_an_unknown_user_never_verifies_and_a_corrupt_hash_is_no_match() -> None:
    passwords = PasswordHashing()
    assert not await passwords.verify(None, "a password no account has, hashed once to spend the same time")
    assert not await passwords.verify("not-a-hash", "Rabt2026Sahm")
