"""The username and password policies of registration (Absher's, docs/domain.md §1.6); the hashing is
hub/accounts/hashing.py.

A policy check returns every rule the text breaks, so one refusal can say all that is missing.
"""

from __future__ import annotations

import enum
import string
from collections import Counter

from hub.contract import ascii_digits

USERNAME_MIN = 8
USERNAME_MAX = 32
PASSWORD_MIN = 8
PASSWORD_MAX = 128  # argon2 takes any length; a bound keeps one request's hashing cost bounded
_LATIN_OR_DIGIT = frozenset(string.ascii_letters + string.digits)


class UsernameRule(enum.Enum):
    """A username rule, with what a refusal says (English, Arabic) when it is broken."""

    LENGTH = (f"{USERNAME_MIN} to {USERNAME_MAX} characters", f"من {USERNAME_MIN} إلى {USERNAME_MAX} حرفاً")
    LATIN_LETTERS_AND_DIGITS = ("Latin letters and digits only", "حروف لاتينية وأرقام فقط")
    STARTS_WITH_LETTER = ("a letter first", "البدء بحرف")
    LOWERCASE = ("a lowercase letter", "حرف صغير")
    DIGIT = ("a digit", "رقم")

    @property
    def en(self) -> str:
        return self.value[0]

    @property
    def ar(self) -> str:
        return self.value[1]


class PasswordRule(enum.Enum):
    """A password rule, with what a refusal says (English, Arabic) when it is broken."""

    LENGTH = (f"{PASSWORD_MIN} to {PASSWORD_MAX} characters", f"من {PASSWORD_MIN} إلى {PASSWORD_MAX} حرفاً")
    UPPERCASE = ("an uppercase letter", "حرف كبير")
    LOWERCASE = ("a lowercase letter", "حرف صغير")
    DIGIT = ("a digit", "رقم")
    NO_PART_OF_ID = (
        "no run of more than 5 consecutive digits of your ID",
        "ألا تحتوي على أكثر من 5 أرقام متتالية من رقم هويتك",
    )
    NO_REPEATED_CHARACTER = (
        "no single character making up more than half of it",
        "ألا يشغل حرف واحد أكثر من نصفها",
    )

    @property
    def en(self) -> str:
        return self.value[0]

    @property
    def ar(self) -> str:
        return self.value[1]


def username_key(username: str) -> str:
    """How usernames are compared: case does not make a second account."""
    return username.strip().lower()


def username_problems(username: str) -> list[UsernameRule]:
    """The rules `username` breaks: Latin letters and digits only, a letter first, 8–32 characters,
    at least one lowercase letter and one digit. Empty when it is acceptable."""
    problems: list[UsernameRule] = []
    if not USERNAME_MIN <= len(username) <= USERNAME_MAX:
        problems.append(UsernameRule.LENGTH)
    if not set(username) <= _LATIN_OR_DIGIT:
        problems.append(UsernameRule.LATIN_LETTERS_AND_DIGITS)
    if not username[:1].isascii() or not username[:1].isalpha():
        problems.append(UsernameRule.STARTS_WITH_LETTER)
    if not any(char in string.ascii_lowercase for char in username):
        problems.append(UsernameRule.LOWERCASE)
    if not any(char in string.digits for char in username):
        problems.append(UsernameRule.DIGIT)
    return problems


def password_problems(password: str, person_id: str) -> list[PasswordRule]:
    """The rules `password` breaks for the owner of `person_id`. Empty when it is acceptable.

    - 8–128 characters, with an uppercase letter, a lowercase letter and a digit;
    - no run of the ID longer than half its length (for a 10-digit ID: no 6 consecutive digits of
      it), Eastern Arabic digits counted as the digits they are;
    - no single character making up more than half of the password.
    """
    problems: list[PasswordRule] = []
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        problems.append(PasswordRule.LENGTH)
    if not any(char.isupper() for char in password):
        problems.append(PasswordRule.UPPERCASE)
    if not any(char.islower() for char in password):
        problems.append(PasswordRule.LOWERCASE)
    if not any(char.isdigit() for char in password):
        problems.append(PasswordRule.DIGIT)
    if contains_run_of(ascii_digits(password), person_id):
        problems.append(PasswordRule.NO_PART_OF_ID)
    if password and max(Counter(password).values()) > len(password) / 2:
        problems.append(PasswordRule.NO_REPEATED_CHARACTER)
    return problems


def contains_run_of(text: str, secret: str) -> bool:
    """Whether `text` contains a substring of `secret` longer than half of `secret`."""
    run = len(secret) // 2 + 1
    return any(secret[start : start + run] in text for start in range(len(secret) - run + 1))


def describe_username(rules: list[UsernameRule]) -> tuple[str, str]:
    """One sentence per language naming every broken rule, e.g. 'The username needs: a digit.'"""
    return (
        "The username needs: " + "; ".join(rule.en for rule in rules) + ".",
        "اسم المستخدم لا يستوفي الشروط، يلزمه: " + "، ".join(rule.ar for rule in rules) + ".",
    )


def describe_password(rules: list[PasswordRule]) -> tuple[str, str]:
    """One sentence per language naming every broken rule, e.g.
    'The password needs: an uppercase letter; a digit.'"""
    return (
        "The password needs: " + "; ".join(rule.en for rule in rules) + ".",
        "كلمة المرور لا تستوفي الشروط، يلزمها: " + "، ".join(rule.ar for rule in rules) + ".",
    )
