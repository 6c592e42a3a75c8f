"""Civil defence's GraphQL types. Every list's order is stated in its field's description."""

from __future__ import annotations

import enum

import strawberry

from hub.contract import CalendarDate, described_enum


@described_enum(
    "What kind of emergency an incident report is about.",
    {
        "FIRE": "A fire.",
        "FLOOD": "A flood, or water rising where people are.",
        "RESCUE": "Someone trapped or in danger who needs rescuing.",
        "HAZARDOUS_MATERIALS": "A spill or release of chemicals or other hazardous materials.",
        "GAS_LEAK": "A gas leak.",
        "ELECTRICAL": "An electrical hazard, such as a short circuit or live wires exposed.",
        "OTHER": "Any other emergency.",
    },
)
class IncidentKind(enum.Enum):
    FIRE = "fire"
    FLOOD = "flood"
    RESCUE = "rescue"
    HAZARDOUS_MATERIALS = "hazardous_materials"
    GAS_LEAK = "gas_leak"
    ELECTRICAL = "electrical"
    OTHER = "other"


@described_enum(
    "Where an incident report stands: open, a team dispatched, or closed.",
    {
        "OPEN": "Received; no team dispatched yet.",
        "DISPATCHED": "A civil defence team was dispatched.",
        "CLOSED": "Dealt with and closed.",
    },
)
class IncidentStatus(enum.Enum):
    OPEN = "open"
    DISPATCHED = "dispatched"
    CLOSED = "closed"


@described_enum(
    "What an establishment with a safety permit does.",
    {
        "RETAIL": "A shop: a low-risk activity, whose permit is issued at once.",
        "WAREHOUSE": "A warehouse: its permit is issued after civil defence's inspection.",
        "RESTAURANT": "A restaurant: its permit is issued after civil defence's inspection.",
        "WORKSHOP": "A workshop: its permit is issued after civil defence's inspection.",
        "OFFICE": "An office: a low-risk activity, whose permit is issued at once.",
        "HOTEL": "A hotel: its permit is issued after civil defence's inspection.",
    },
)
class EstablishmentKind(enum.Enum):
    RETAIL = "retail"
    WAREHOUSE = "warehouse"
    RESTAURANT = "restaurant"
    WORKSHOP = "workshop"
    OFFICE = "office"
    HOTEL = "hotel"


@described_enum(
    "The state of a safety permit.",
    {
        "VALID": "In force until its expiry date.",
        "EXPIRED": "Its expiry date has passed; it can still be renewed.",
        "SUSPENDED": "Suspended for safety violations: it cannot be renewed until they are corrected and inspected.",
        "PENDING": "Applied for, awaiting civil defence's inspection.",
    },
)
class SafetyPermitStatus(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    PENDING = "pending"


@strawberry.type(
    description='An emergency reported to civil defence (a "Faz\'a" report) by the person it is listed under.'
)
class IncidentReport:
    reference: str = strawberry.field(description="The report's reference, e.g. CD-20250114-00000042.")
    kind: IncidentKind = strawberry.field(
        description="Fire, flood, rescue, hazardous materials, gas leak, electrical or other."
    )
    city: str = strawberry.field(description="The city where the incident happened, as reported.")
    district: str = strawberry.field(
        description="The district (neighbourhood) where the incident happened, as reported."
    )
    description: str = strawberry.field(description="What the reporter said happened, in their own words.")
    reported_on: CalendarDate = strawberry.field(description="The day the incident was reported.")
    status: IncidentStatus = strawberry.field(
        description="Open, dispatched (a team is on its way or on site) or closed."
    )


@strawberry.type(
    description=(
        "A civil-defence safety permit (Salamah licence) of an establishment; needed to renew its commercial licence."
    )
)
class SafetyPermit:
    number: str = strawberry.field(description="The permit (licence) number.")
    establishment_name_ar: str = strawberry.field(description="The establishment's name, in Arabic.")
    establishment_name_en: str = strawberry.field(description="The establishment's name, in English.")
    establishment_kind: EstablishmentKind = strawberry.field(
        description="What the establishment does: retail, warehouse, restaurant, workshop, office or hotel."
    )
    city: str = strawberry.field(description="The city where the establishment is.")
    issued_on: CalendarDate = strawberry.field(description="Date of issue (or last renewal).")
    expires_on: CalendarDate = strawberry.field(description="Date of expiry.")
    status: SafetyPermitStatus = strawberry.field(
        description="Valid, expired, suspended, or pending (applied for, awaiting civil defence's inspection)."
    )
    owner_id: strawberry.Private[str]
