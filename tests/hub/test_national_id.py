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
