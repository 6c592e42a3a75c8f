"""What a request may carry into the hub's tables and logs, checked before anything runs.

Every string a request hands to an operation, in its variables or written in the document, may be
stored (a mutation's text) or logged (an error that quotes it). Before the operation runs:

| rule | code |
|---|---|
| a string holds no control character but tab, line feed and carriage return | BAD_USER_INPUT |
| a string is at most 1,000 characters (the longest text a sector keeps is 500) | BAD_USER_INPUT |
| the variables hold at most 1,000 values (each string, number, list, object…) | REQUEST_TOO_LARGE |
| the variables nest at most 10 lists or objects deep | REQUEST_TOO_LARGE |

PostgreSQL refuses a NUL in text (the request failed as an internal error) and SQLite stores it;
other control characters are kept by both and corrupt whatever shows them later. Each sector still
checks its own fields' lengths and forms.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from graphql import DocumentNode, StringValueNode, Visitor, visit

from hub.contract.errors import Code, RabtError

MAX_STRING = 1_000
MAX_VALUES = 1_000
MAX_NESTING = 10

# C0 and C1 control characters (Unicode category Cc) but tab, line feed and carriage return.
TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# In a one-line value (a header) no control character at all.
LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def control_character(text: str, pattern: re.Pattern[str] = TEXT_CONTROL) -> str | None:
    """The first control character of `text` that `pattern` refuses, as U+XXXX, or None."""
    found = pattern.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def check_variables(variables: Mapping[str, Any] | None) -> None:
    """Refuses variables over the bounds or a string in them that could not be stored as sent."""
    count = 0
    for name, value in (variables or {}).items():
        if type(value) is list:
            # The usual list (`ids`) checked at C speed: walked value by value, 100 IDs cost ~40 µs.
            try:
                joined = "".join(value)
            except TypeError:  # not all strings
                count = _walk(name, value, count)
                continue
            count += 1 + len(value)
            if count > MAX_VALUES:
                raise _too_many()
            long = len(joined) > MAX_STRING and max(map(len, value)) > MAX_STRING
            if long or TEXT_CONTROL.search(joined):
                for index, item in enumerate(value):
                    _check_text(item, f"Variable '${name}.{index}'", variable=f"{name}.{index}")
        else:
            count = _walk(name, value, count)


def _walk(name: str, value: Any, count: int) -> int:
    """Checks one variable's value, whatever its shape, without recursion; returns the values
    counted so far."""
    stack: list[tuple[str, Any, int]] = [(name, value, 1)]
    while stack:
        path, value, level = stack.pop()
        count += 1
        if count > MAX_VALUES:
            raise _too_many()
        if isinstance(value, str):
            _check_text(value, f"Variable '${path}'", variable=path)
        elif isinstance(value, dict | list):
            if level > MAX_NESTING:
                raise RabtError(
                    Code.REQUEST_TOO_LARGE, f"The variables nest more than {MAX_NESTING} lists or objects deep."
                )
            if isinstance(value, dict):
                for key, item in value.items():
                    _check_text(key, f"A key of variable '${path}'", variable=path)
                    stack.append((f"{path}.{key}", item, level + 1))
            else:
                stack.extend((f"{path}.{index}", item, level + 1) for index, item in enumerate(value))
        # numbers, booleans and null are stored as what they are
    return count


def _too_many() -> RabtError:
    return RabtError(Code.REQUEST_TOO_LARGE, f"The variables hold more than {MAX_VALUES:,} values.")


def check_literals(document: DocumentNode) -> None:
    """Refuses a string written in the document that could not be stored as sent."""
    visit(document, _Strings())


class _Strings(Visitor):
    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        if len(node.value) > MAX_STRING or TEXT_CONTROL.search(node.value):
            location = node.loc.source.get_location(node.loc.start) if node.loc is not None else None
            _check_text(
                node.value, f"The string at line {location.line}, column {location.column}" if location else "A string"
            )


def _check_text(text: str, where: str, **extensions: Any) -> None:
    if len(text) > MAX_STRING:
        raise RabtError(Code.BAD_USER_INPUT, f"{where} is longer than {MAX_STRING:,} characters.", **extensions)
    character = control_character(text)
    if character is not None:
        raise RabtError(
            Code.BAD_USER_INPUT,
            f"{where} holds the control character {character}; text may hold tabs and line breaks, "
            "no other control characters.",
            **extensions,
        )
