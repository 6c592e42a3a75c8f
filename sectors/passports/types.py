"""Passports' GraphQL types. Every list's order is stated in its field's description."""

from __future__ import annotations

import enum

import strawberry

from hub.contract import CalendarDate, PersonRef, described_enum, person_ref, resolver_field

ESTABLISHMENT_DIGIT = "7"


def is_establishment(sponsor_id: str) -> bool:
    """Whether a sponsor is an establishment (its unified number starts with 7), not a person."""
    return sponsor_id.startswith(ESTABLISHMENT_DIGIT)


@described_enum(
    "The state of a passport.",
    {
        "VALID": "In force until its expiry date.",
        "EXPIRED": "Its expiry date has passed; a Saudi passport can still be renewed.",
        "CANCELLED": "No longer usable: cancelled, as a passport is when a renewal replaces it.",
        "LOST": "Reported lost: no longer usable.",
    },
)
class PassportStatus(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    LOST = "lost"


@described_enum(
    "The state of an iqama (residence permit).",
    {
        "VALID": "In force until its expiry date.",
        "EXPIRED": "Its expiry date has passed; it can still be renewed.",
        "CANCELLED": "No longer in force, whatever its expiry date; it cannot be renewed.",
    },
)
class IqamaStatus(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


@described_enum(
    "Why the sponsor sponsors the resident.",
    {
        "WORK": "The resident works for the sponsor, a person or an establishment.",
        "FAMILY": "The resident is a dependant of the sponsor, the head of their family.",
    },
)
class Sponsorship(enum.Enum):
    WORK = "work"
    FAMILY = "family"


@described_enum(
    "The kind of visa.",
    {
        "EXIT_REENTRY_SINGLE": "Lets a resident leave the Kingdom and come back once.",
        "EXIT_REENTRY_MULTIPLE": "Lets a resident leave and come back any number of times while it is valid.",
        "FINAL_EXIT": "Lets a resident leave the Kingdom for good, within 60 days of its issue.",
        "VISIT": "Lets a visitor enter and stay in the Kingdom for a visit.",
        "WORK": "Lets a worker enter the Kingdom to work for their sponsor.",
    },
)
class VisaKind(enum.Enum):
    EXIT_REENTRY_SINGLE = "exit_reentry_single"
    EXIT_REENTRY_MULTIPLE = "exit_reentry_multiple"
    FINAL_EXIT = "final_exit"
    VISIT = "visit"
    WORK = "work"


@described_enum(
    "The state of a visa.",
    {
        "ISSUED": "Issued and not used: it can be used from its first to its last valid day.",
        "USED": "Its holder has travelled on it.",
        "EXPIRED": "Its last valid day passed before it was used.",
        "CANCELLED": "Cancelled before it was used.",
    },
)
class VisaStatus(enum.Enum):
    ISSUED = "issued"
    USED = "used"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


@described_enum(
    "The state of an absconding (huroob) report.",
    {
        "OPEN": "In force: it blocks the worker's exit/re-entry visas, iqama renewal and transfer of sponsorship.",
        "CANCELLED": "Withdrawn within 15 days of its filing (cancelledOn says when).",
        "CLOSED": "Settled by the worker with Jawazat; it no longer blocks their services.",
    },
)
class ReportStatus(enum.Enum):
    OPEN = "open"
    CANCELLED = "cancelled"
    CLOSED = "closed"


@strawberry.type(description="A passport registered with Jawazat (Saudi, or a resident's or visitor's foreign one).")
class Passport:
    number: str = strawberry.field(description="The passport number.")
    issuing_country: str = strawberry.field(description="Issuing country, ISO 3166-1 alpha-3.")
    issued_on: CalendarDate = strawberry.field(description="Date of issue.")
    expires_on: CalendarDate = strawberry.field(description="Date of expiry.")
    status: PassportStatus = strawberry.field(description="Valid, expired, cancelled or lost.")


@strawberry.type(description="An iqama: a resident's residence permit, tied to a sponsor.")
class Iqama:
    number: str = strawberry.field(description="The iqama number (the resident's 10-digit ID).")
    sponsorship: Sponsorship = strawberry.field(description="Work (employer) or family (head of family).")
    profession_ar: str = strawberry.field(description="Profession, in Arabic.")
    profession_en: str = strawberry.field(description="Profession, in English.")
    issued_on: CalendarDate = strawberry.field(description="Date of issue (or last renewal).")
    expires_on: CalendarDate = strawberry.field(description="Date of expiry.")
    status: IqamaStatus = strawberry.field(description="Valid, expired or cancelled.")
    sponsor_id: strawberry.Private[str]

    @resolver_field(
        description="The sponsor: the employer or the head of family; null when an establishment sponsors the resident."
    )
    def sponsor(self) -> PersonRef | None:
        return None if is_establishment(self.sponsor_id) else person_ref(self.sponsor_id)

    @resolver_field(
        description=(
            "The establishment (المنشأة) that sponsors the resident, by its unified number (الرقم الموحد, 7…); "
            "null when a person does."
        )
    )
    def sponsor_establishment(self) -> strawberry.ID | None:
        return strawberry.ID(self.sponsor_id) if is_establishment(self.sponsor_id) else None


@strawberry.type(description="A visa: exit/re-entry, final exit, visit or work.")
class Visa:
    number: str = strawberry.field(description="The visa number (opaque digits).")
    kind: VisaKind = strawberry.field(description="Exit/re-entry (single or multiple), final exit, visit or work.")
    status: VisaStatus = strawberry.field(description="Issued, used, expired or cancelled.")
    issued_on: CalendarDate = strawberry.field(description="Date of issue.")
    valid_from: CalendarDate = strawberry.field(description="First day the visa may be used.")
    valid_until: CalendarDate = strawberry.field(description="Last day the visa may be used.")
    allowed_days: int = strawberry.field(description="Days the holder may stay (abroad for exit/re-entry).")


@strawberry.type(description="An absconding (huroob, absent-from-work) report filed by a sponsor.")
class AbscondingReport:
    reference: str = strawberry.field(description="The report's reference.")
    status: ReportStatus = strawberry.field(description="Open, cancelled or closed.")
    filed_on: CalendarDate = strawberry.field(description="The day the sponsor filed it.")
    cancelled_on: CalendarDate | None = strawberry.field(description="The day it was cancelled, if it was.")
    filed_by_id: strawberry.Private[str]

    @resolver_field(description="The sponsor who filed the report; null when an establishment did.")
    def filed_by(self) -> PersonRef | None:
        return None if is_establishment(self.filed_by_id) else person_ref(self.filed_by_id)


@described_enum(
    "The state of a transfer of sponsorship.",
    {
        "PENDING": "Not done yet: waiting for the consents of the worker, their sponsor and the new sponsor.",
        "DONE": "All three consented, and the worker's iqama names the new sponsor.",
    },
)
class TransferStatus(enum.Enum):
    PENDING = "pending"
    DONE = "done"


@strawberry.type(description="A resident's health insurance policy, as reported to Jawazat.")
class MedicalInsurance:
    policy_number: str = strawberry.field(description="The policy's number.")
    insurer_ar: str = strawberry.field(description="The insurer, in Arabic.")
    insurer_en: str = strawberry.field(description="The insurer, in English.")
    valid_from: CalendarDate = strawberry.field(description="First day of cover.")
    valid_until: CalendarDate = strawberry.field(description="Last day of cover.")


@strawberry.type(
    description=(
        "A transfer of a worker's sponsorship to a new sponsor: done once the worker, the current "
        "sponsor and the new sponsor have each consented."
    )
)
class SponsorshipTransfer:
    reference: str = strawberry.field(description="The transfer's reference.")
    status: TransferStatus = strawberry.field(description="Pending until all three have consented, then done.")
    requested_on: CalendarDate = strawberry.field(description="The day the first party consented.")
    worker_consented_on: CalendarDate | None = strawberry.field(description="The day the worker consented.")
    sponsor_consented_on: CalendarDate | None = strawberry.field(
        description="The day the sponsor the worker leaves consented."
    )
    new_sponsor_consented_on: CalendarDate | None = strawberry.field(description="The day the new sponsor consented.")
    done_on: CalendarDate | None = strawberry.field(description="The day the iqama came to name the new sponsor.")
    from_sponsor_id: strawberry.Private[str]
    to_sponsor_id: strawberry.Private[str]

    @resolver_field(description="The sponsor the worker leaves; null when it is an establishment.")
    def from_sponsor(self) -> PersonRef | None:
        return None if is_establishment(self.from_sponsor_id) else person_ref(self.from_sponsor_id)

    @resolver_field(description="The new sponsor; null when it is an establishment.")
    def to_sponsor(self) -> PersonRef | None:
        return None if is_establishment(self.to_sponsor_id) else person_ref(self.to_sponsor_id)

    @resolver_field(description="The new sponsor's unified number when it is an establishment; null for a person.")
    def to_sponsor_establishment(self) -> strawberry.ID | None:
        return strawberry.ID(self.to_sponsor_id) if is_establishment(self.to_sponsor_id) else None
