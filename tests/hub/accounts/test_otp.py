"""One-time codes: six random digits, stored only as an HMAC under the pepper, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac

from hub.accounts.otp import CODE_TTL, MAX_ATTEMPTS, code_digest, code_matches, new_code, normalize_code

PEPPER = "a pepper for tests"


def test_codes_are_six_digits_and_vary() -> None:
    codes = [new_code() for _ in range(2_000)]
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    assert len(set(codes)) > 1_900  # a million possibilities: 2,000 draws nearly never repeat
    assert any(code.startswith("0") for code in codes)  # leading zeros are kept, not dropped


def test_the_digest_is_hmac_sha256_under_the_pepper() -> None:
    assert code_digest(PEPPER, "042917") == hmac.new(PEPPER.encode(), b"042917", hashlib.sha256).hexdigest()
    assert code_digest(PEPPER, "042917") != code_digest("another pepper", "042917")
    assert code_digest(PEPPER, "042917") != hashlib.sha256(b"042917").hexdigest()


def test_a_code_matches_its_digest_only() -> None:
    stored = code_digest(PEPPER, "042917")
    assert code_matches(PEPPER, "042917", stored)
    assert code_matches(PEPPER, " 042 917 ", stored)
    assert code_matches(PEPPER, "٠٤٢٩١٧", stored)  # typed on an Arabic keyboard
    assert not code_matches(PEPPER, "042918", stored)
    assert not code_matches(PEPPER, "42917", stored)
    assert not code_matches("another pepper", "042917", stored)


def test_an_empty_or_malformed_code_never_matches_even_the_digest_of_nothing() -> None:
    assert not code_matches(PEPPER, "", code_digest(PEPPER, "123456"))
    assert not code_matches(PEPPER, "abcdef", code_digest(PEPPER, "123456"))


def test_codes_live_five_minutes_and_allow_five_tries() -> None:
    assert CODE_TTL.total_seconds() == 300
    assert MAX_ATTEMPTS == 5
    assert normalize_code("١٢٣ ٤٥٦") == "123456"


def test_only_six_digits_are_compared_even_against_their_own_digest() -> None:
    """A stored digest is always of six digits; anything else typed is compared as nothing, so not
    even a digest made of that very text matches it."""
    for typed in ("1234567", "abcdef", "12345"):
        assert not code_matches(PEPPER, typed, code_digest(PEPPER, typed)), typed
