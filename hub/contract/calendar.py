"""Gregorian and Umm al-Qura Hijri dates, as government dealings use both."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from hijridate import Gregorian
from hijridate.convert import Hijri

_ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def arabic_digits(text: str) -> str:
    """ASCII digits written as Eastern Arabic digits, as Arabic documents print them."""
    return text.translate(_ARABIC_DIGITS)


def years_after(day: dt.date, years: int) -> dt.date:
    """The same day `years` later: a term of years (a registration, a permit); 29 February ends on the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def document_term_end(day: dt.date, years: int) -> dt.date:
    """The end of an identity document's term of `years` from `day` (an ID card, a driving licence):
    the same month, on the same day or the 28th if that is earlier, a day every month has."""
    return day.replace(year=day.year + years, day=min(day.day, 28))


@lru_cache(maxsize=65536)
def to_hijri(day: dt.date) -> Hijri | None:
    """The Umm al-Qura date, or None outside the table (1343–1500 AH, 1924–2077 CE)."""
    try:
        return Gregorian(day.year, day.month, day.day).to_hijri()
    except (ValueError, OverflowError):
        return None


def hijri_iso(day: dt.date) -> str | None:
    hijri = to_hijri(day)
    return None if hijri is None else f"{hijri.year:04d}-{hijri.month:02d}-{hijri.day:02d}"


def hijri_long(day: dt.date, language: str) -> str | None:
    """E.g. '4 Jumada al-Akhirah 1447 AH' or '٤ جمادى الآخرة ١٤٤٧هـ'."""
    hijri = to_hijri(day)
    if hijri is None:
        return None
    if language == "ar":
        text = f"{hijri.day} {hijri.month_name('ar')} {hijri.year}هـ"
        return arabic_digits(text)
    return f"{hijri.day} {hijri.month_name('en')} {hijri.year} AH"


RIYADH = dt.timezone(dt.timedelta(hours=3), "Asia/Riyadh")
"""Saudi Arabia keeps UTC+3 all year (no daylight saving)."""


def riyadh_today() -> dt.date:
    """Today's date in Riyadh: the one "today" every rule, seed and service is decided on."""
    return dt.datetime.now(RIYADH).date()
