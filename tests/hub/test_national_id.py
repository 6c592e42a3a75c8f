import pytest

from hub.contract.national_id import IdKind, InvalidId, id_kind, normalize_id, with_check_digit


@pytest.mark.parametrize("value", ["1000000008", "2000000006", "1234567897", "2345678904", "1111111116"])
def test_valid_ids_from_the_domain_notes_are_accepted(value: str) -> None:
    assert normalize_id(value) == value


@pytest.mark.parametrize(
    "value", ["1000000000", "2000000002", "123456789", "12345678901", "4000000002", "10000000a8", ""]
)
def test_malformed_ids_are_refused(value: str) -> None:
    with pytest.raises(InvalidId):
        normalize_id(value)


def test_eastern_arabic_digits_are_normalised_to_ascii() -> None:
    assert normalize_id("١٠٠٠٠٠٠٠٠٨") == "1000000008"
    assert normalize_id(" ۲۰۰۰۰۰۰۰۰۶ ") == "2000000006"


def test_the_first_digit_tells_citizen_resident_and_visitor_apart() -> None:
    assert id_kind("1000000008") is IdKind.CITIZEN
    assert id_kind("2000000006") is IdKind.RESIDENT
    assert id_kind(with_check_digit("300000000")) is IdKind.VISITOR


def test_a_completed_id_always_passes_its_own_check() -> None:
    for prefix in ("100000000", "212345678", "399999999"):
        assert normalize_id(with_check_digit(prefix)).startswith(prefix)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("100000004", "an ID has exactly 10 digits"),  # nine digits that pass the Luhn sum on their own
        ("1000000a08", "an ID has exactly 10 digits"),
        ("1٠٠٠٠٠٠٠٠x", "an ID has exactly 10 digits"),
        ("²000000006", "an ID has exactly 10 digits"),  # a digit to str.isdigit, not an ASCII one
        ("4000000002", "an ID starts with 1 (national ID), 2 (iqama) or 3 (border number)"),
        ("1000000000", "the check digit does not match"),
    ],
)
def test_a_refused_id_says_what_is_wrong_with_it(value: str, reason: str) -> None:
    with pytest.raises(InvalidId) as refused:
        normalize_id(value)
    assert str(refused.value) == reason


def test_a_check_digit_of_zero_is_found() -> None:
    assert with_check_digit("100000004") == "1000000040"
