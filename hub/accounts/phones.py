"""Saudi mobile numbers as people type them, in the registry's one form: +9665XXXXXXXX."""

from __future__ import annotations

import re

from hub.contract import ascii_digits

_SEPARATORS = re.compile(r"[\s\-().]")
_LOCAL = re.compile(r"5\d{8}")


class InvalidMobile(ValueError):
    """The text is not a Saudi mobile number."""


def normalize_mobile(text: str) -> str:
    """+9665XXXXXXXX from '+966 5X XXX XXXX', '009665…', '9665…', '05…' or '5…' (Eastern Arabic
    digits accepted); InvalidMobile for anything else."""
    value = _SEPARATORS.sub("", ascii_digits(text.strip()))
    for prefix in ("+966", "00966", "966", "0"):
        if value.startswith(prefix) and _LOCAL.fullmatch(value[len(prefix) :]):
            return "+966" + value[len(prefix) :]
    if _LOCAL.fullmatch(value):
        return "+966" + value
    raise InvalidMobile("a Saudi mobile number: +9665XXXXXXXX or 05XXXXXXXX")


def mask_mobile(mobile: str) -> str:
    """The number with all but its last three digits hidden, to show where a code was sent."""
    return mobile[:5] + "•" * (len(mobile) - 8) + mobile[-3:]
