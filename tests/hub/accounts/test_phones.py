"""Mobile numbers as people type them become the registry's one form, +9665XXXXXXXX."""

from __future__ import annotations

import pytest

from hub.accounts.phones import InvalidMobile, mask_mobile, normalize_mobile


@pytest.mark.parametrize(
    "typed",
    [
        "+966512345678",
        "+966 51 234 5678",
        "00966512345678",
        "966512345678",
        "0512345678",
        "512345678",
        "٠٥١٢٣٤٥٦٧٨",
        "051-234-5678",
    ],
)
def test_every_usual_way_of_typing_a_mobile_gives_the_registry_form(typed: str) -> None:
    assert normalize_mobile(typed) == "+966512345678"


@pytest.mark.parametrize("typed", ["", "+966412345678", "05123456789", "051234567", "+971512345678", "abc"])
def test_what_is_not_a_saudi_mobile_is_refused(typed: str) -> None:
    with pytest.raises(InvalidMobile):
        normalize_mobile(typed)


def test_a_masked_mobile_shows_the_country_code_and_the_last_three_digits() -> None:
    assert mask_mobile("+966512345678") == "+9665•••••678"
