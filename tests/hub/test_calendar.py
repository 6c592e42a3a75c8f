import datetime as dt

from hub.contract.calendar import hijri_iso, hijri_long


def test_gregorian_dates_convert_to_umm_al_qura() -> None:
    # 1 Ramadan 1445 AH fell on 11 March 2024 in the Umm al-Qura calendar.
    assert hijri_iso(dt.date(2024, 3, 11)) == "1445-09-01"


def test_long_hijri_dates_read_in_arabic_and_english() -> None:
    assert hijri_long(dt.date(2024, 3, 11), "en") == "1 Ramadan 1445 AH"
    assert hijri_long(dt.date(2024, 3, 11), "ar") == "١ رمضان ١٤٤٥هـ"


def test_dates_outside_the_table_have_no_hijri_form() -> None:
    assert hijri_iso(dt.date(1900, 1, 1)) is None
    assert hijri_iso(dt.date(2100, 1, 1)) is None
