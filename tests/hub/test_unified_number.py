"""An establishment's unified number: ten digits starting with 7, checked like an ID; and the audit
record that names the establishment a caller acted for, chained with it."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.audit.chain import GENESIS, row_hash
from hub.contract import Code, RabtError, parse_unified_number, unified_number
from hub.contract.unified_number import InvalidUnifiedNumber, normalize_unified_number


@pytest.mark.parametrize("serial", [0, 1, 2, 12_345_678, 99_999_999])
def test_the_demos_numbers_start_with_7_and_pass_their_own_check(serial: int) -> None:
    number = unified_number(serial)
    assert len(number) == 10 and number.startswith("7") and normalize_unified_number(number) == number


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("7000000001", "the check digit does not match"),
        ("1000000008", "an establishment's unified number starts with 7"),  # a valid national ID
        ("2000000006", "an establishment's unified number starts with 7"),  # a valid iqama
        ("700000001", "a unified number has exactly 10 digits"),
        ("70000000135", "a unified number has exactly 10 digits"),
        ("70000000a3", "a unified number has exactly 10 digits"),
        ("", "a unified number has exactly 10 digits"),
    ],
)
def test_malformed_numbers_are_refused_saying_why(value: str, reason: str) -> None:
    with pytest.raises(InvalidUnifiedNumber, match=reason):
        normalize_unified_number(value)


def test_eastern_arabic_digits_are_normalised_and_a_client_is_told_invalid_id() -> None:
    assert parse_unified_number(" ٧٠٠٠٠٠٠٠١٣ ") == "7000000013"
    with pytest.raises(RabtError) as refused:
        parse_unified_number("7000000014", "input.number")
    assert refused.value.code is Code.INVALID_ID and refused.value.extensions["argument"] == "input.number"


def test_a_record_hashes_its_establishment_and_one_without_hashes_as_records_always_have() -> None:
    values = {
        "at": dt.datetime(2026, 12, 5, tzinfo=dt.UTC),
        "request_id": "r1",
        "operation": None,
        "actor": "individual:1010000014",
        "role": "individual",
        "purpose": None,
        "entries": "[]",
    }
    without = row_hash(GENESIS, values)
    assert row_hash(GENESIS, {**values, "on_behalf_of": None}) == without
    acting = row_hash(GENESIS, {**values, "on_behalf_of": "7000000013"})
    assert acting != without
    assert row_hash(GENESIS, {**values, "on_behalf_of": "7000000021"}) != acting
