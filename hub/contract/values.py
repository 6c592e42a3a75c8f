"""Value types every part of Rabt returns: languages, dates in both calendars, refusals."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import strawberry

from hub.contract.calendar import hijri_iso, hijri_long
from hub.contract.direct import DIRECT
from hub.contract.enums import described_enum
from hub.contract.fields import resolver_field


@described_enum("A language a text can be returned in.", {"AR": "Arabic.", "EN": "English."})
class Language(enum.Enum):
    AR = "ar"
    EN = "en"


InLanguage = Annotated[Language, strawberry.argument(description="The language of the text: EN (the default) or AR.")]


@described_enum("Sex as recorded in the civil registry.", {"MALE": "Male.", "FEMALE": "Female."})
class Sex(enum.Enum):
    MALE = "male"
    FEMALE = "female"


# Value types every subgraph returns are @shareable, as Federation v2 requires of a type that
# several subgraphs resolve.
@strawberry.federation.type(
    shareable=True, description="A date in both calendars: Gregorian (ISO 8601) and Umm al-Qura Hijri."
)
class CalendarDate:
    gregorian: dt.date = strawberry.field(description="The Gregorian date, ISO 8601 (YYYY-MM-DD).")

    @resolver_field(description="The Umm al-Qura Hijri date as YYYY-MM-DD; null outside 1343–1500 AH.", metadata=DIRECT)
    def hijri(self) -> str | None:
        return hijri_iso(self.gregorian)

    @resolver_field(description="The Hijri date written out, e.g. '15 Jumada al-Akhirah 1448 AH'.")
    def hijri_text(self, language: InLanguage = Language.EN) -> str | None:
        return hijri_long(self.gregorian, language.value)


@strawberry.federation.type(
    shareable=True, description="A rule that blocks a service now, explained by the sector that owns it."
)
class Blocker:
    sector: str = strawberry.field(description="The sector whose rule this is (traffic for unpaid violations).")
    code: str = strawberry.field(description="A stable, machine-readable reason, e.g. UNPAID_VIOLATIONS.")
    message: str = strawberry.field(description="The reason in plain English.")
    message_ar: str = strawberry.field(description="The reason in plain Arabic.")
    resolve_by: str = strawberry.field(description="What clears it, in plain English.")
    resolve_by_ar: str = strawberry.field(description="What clears it, in plain Arabic.")


@strawberry.federation.type(
    shareable=True,
    description="Why a mutation did not happen. Nothing was written. `code` is stable; `message` is for people.",
)
class Refusal:
    code: str = strawberry.field(
        description="A stable, machine-readable reason, e.g. IQAMA_TOO_SHORT; docs/services.md lists each mutation's."
    )
    message: str = strawberry.field(description="The reason in plain English.")
    message_ar: str = strawberry.field(description="The reason in plain Arabic.")
    blockers: list[Blocker] = strawberry.field(
        default_factory=list,
        description=(
            "For a service refused by its rules: every rule that blocks it, each from the sector that "
            "owns it (the first is `code`); the same list `eligibility` gives. Empty otherwise."
        ),
    )


def answer_or_refusal(name: str, answer: type[Any], description: str) -> object:
    """The GraphQL type of a mutation that answers with `answer` or refuses: the union `name` of the
    two. A mutation's field takes it as `graphql_type`, its resolver returns `answer | Refusal`.
    Each call makes a new union, so that `fields()` gives fresh ones to every schema."""
    return Annotated[answer | Refusal, strawberry.union(name, description=description)]


@dataclass(frozen=True)
class Refusals:
    """A mutation's refusals from one table of code -> (English, Arabic) message: `refuse(code)`.
    The table is public so that the codes front ends may meet can be listed (docs/services.md)."""

    messages: Mapping[str, tuple[str, str]]

    def __call__(self, code: str) -> Refusal:
        english, arabic = self.messages[code]
        return Refusal(code=code, message=english, message_ar=arabic)


def refusals(messages: Mapping[str, tuple[str, str]]) -> Refusals:
    return Refusals(messages)
