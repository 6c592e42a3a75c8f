"""What people write on civil affairs' forms, checked as functions (no database): digits exactly
so many and ASCII, text within its length after its spaces are collapsed, Arabic text holding an
Arabic letter, Latin text of Latin letters, digits and . , ' / - with at least one letter; a wrong
field is BAD_USER_INPUT naming it, with a message saying the rule."""

from __future__ import annotations

import pytest

from hub.contract import Code, RabtError
from sectors.civil_affairs.workflows.text import TEXT_LIMIT, bad, digits, text


def refusal(error: pytest.ExceptionInfo[RabtError]) -> tuple[Code, str, dict[str, object]]:
    return error.value.code, error.value.message, error.value.extensions


def test_a_bad_field_is_bad_user_input_naming_it_with_the_rule() -> None:
    error = bad("input.cityEn", "some rule")
    assert (error.code, error.message, error.extensions) == (
        Code.BAD_USER_INPUT,
        "input.cityEn: some rule.",
        {"code": "BAD_USER_INPUT", "argument": "input.cityEn"},
    )


def test_digits_are_exactly_so_many_ascii_digits_with_the_ends_trimmed() -> None:
    assert digits("1234", 4, "input.n") == "1234"
    assert digits(" 0987 ", 4, "input.n") == "0987"
    assert digits("1234 ", 4, "input.n") == "1234"
    for wrong in ("123", "12345", "12a4", "12 4", "١٢٣٤", "", "-123"):
        with pytest.raises(RabtError) as error:
            digits(wrong, 4, "input.n")
        assert refusal(error) == (
            Code.BAD_USER_INPUT,
            "input.n: exactly 4 digits (0-9).",
            {"code": "BAD_USER_INPUT", "argument": "input.n"},
        ), wrong


def test_text_is_between_one_character_and_its_limit_after_spaces_are_collapsed() -> None:
    assert text("  King   Fahd\tRoad \n", "input.t", arabic=False) == "King Fahd Road"
    assert text("a" * TEXT_LIMIT, "input.t", arabic=False) == "a" * TEXT_LIMIT
    assert TEXT_LIMIT == 60
    # The limit is counted after collapsing: 60 letters with spaces around them are allowed.
    assert text(" " + "a" * 30 + "   " + "a" * 29 + " ", "input.t", arabic=False) == "a" * 30 + " " + "a" * 29
    assert text("ab", "input.t", arabic=False, limit=2) == "ab"
    for wrong, limit in (("a" * 61, TEXT_LIMIT), ("", TEXT_LIMIT), (" \t ", TEXT_LIMIT), ("abc", 2)):
        with pytest.raises(RabtError) as error:
            text(wrong, "input.t", arabic=False, limit=limit)
        assert refusal(error) == (
            Code.BAD_USER_INPUT,
            f"input.t: between 1 and {limit} characters.",
            {"code": "BAD_USER_INPUT", "argument": "input.t"},
        ), wrong
    with pytest.raises(RabtError) as error:
        text("ر" * 61, "input.a", arabic=True)
    assert error.value.message == "input.a: between 1 and 60 characters."


def test_arabic_text_holds_an_arabic_letter_from_hamza_to_ya() -> None:
    for right in ("طريق الملك فهد", "ء", "ي", "شارع 15", "King ف"):
        assert text(right, "input.a", arabic=True) == right
    # Before hamza (U+0620) and after ya (the fathatan mark, U+064B): no letter; Latin and digits neither.
    for wrong in ("\u0620", "\u064b", "King Fahd Road", "2929", "١٢٣"):
        with pytest.raises(RabtError) as error:
            text(wrong, "input.a", arabic=True)
        assert refusal(error) == (
            Code.BAD_USER_INPUT,
            "input.a: written in Arabic letters.",
            {"code": "BAD_USER_INPUT", "argument": "input.a"},
        ), wrong


def test_latin_text_is_latin_letters_digits_and_five_marks_with_a_letter_among_them() -> None:
    for right in ("Al Olaya", "z", "Z", "St. John's Rd, 2/B-4", "1st Street", "Street 9"):
        assert text(right, "input.l", arabic=False) == right
    for mark in ".,'/-0":  # each allowed before the first letter and after it
        assert text(f"{mark}A{mark}", "input.l", arabic=False) == f"{mark}A{mark}"
    for wrong in ("العليا", "2929", "12 - 4", "Al_Olaya", "Olaya!", "Zürich", "Al Olaya ف"):
        with pytest.raises(RabtError) as error:
            text(wrong, "input.l", arabic=False)
        assert refusal(error) == (
            Code.BAD_USER_INPUT,
            "input.l: written in Latin letters, digits and . , ' / -.",
            {"code": "BAD_USER_INPUT", "argument": "input.l"},
        ), wrong
