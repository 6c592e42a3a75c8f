"""Traffic's GraphQL types. Every list's order is stated in its field's description."""

from __future__ import annotations

import enum
from collections.abc import Mapping

import strawberry

from hub.contract import CalendarDate, arabic_digits, described_enum, resolver_field

PLATE_LETTERS: Mapping[str, str] = {
    "A": "ا",
    "B": "ب",
    "J": "ح",
    "D": "د",
    "R": "ر",
    "S": "س",
    "X": "ص",
    "T": "ط",
    "E": "ع",
    "G": "ق",
    "K": "ك",
    "L": "ل",
    "Z": "م",
    "N": "ن",
    "H": "ه",
    "U": "و",
    "V": "ى",
}
"""The 17 letters used on plates, Latin -> Arabic (docs/domain.md §1.6)."""


def _arabic_letters(latin: str) -> str:
    # Spaced, because adjacent Arabic letters would join into something that reads as a word.
    return " ".join(PLATE_LETTERS[letter] for letter in reversed(latin))


@described_enum(
    "The class of a driving licence.",
    {
        "PRIVATE": "Private cars and light vehicles for personal use.",
        "PUBLIC": "Vehicles driven for hire, such as taxis and buses.",
        "MOTORCYCLE": "Motorcycles.",
        "HEAVY": "Heavy vehicles, such as trucks and heavy equipment.",
    },
)
class LicenceClass(enum.Enum):
    PRIVATE = "private"
    PUBLIC = "public"
    MOTORCYCLE = "motorcycle"
    HEAVY = "heavy"


@described_enum(
    "The state of a driving licence.",
    {
        "VALID": "In force until its expiry date.",
        "EXPIRED": "Its expiry date has passed; it can still be renewed.",
        "SUSPENDED": "Suspended by traffic: it cannot be renewed until the suspension is settled.",
    },
)
class LicenceStatus(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    SUSPENDED = "suspended"


@described_enum(
    "What a plate is for; it decides the plate's colour.",
    {
        "PRIVATE": "A vehicle for private use: a white plate.",
        "TAXI": "A taxi: a yellow plate.",
        "PUBLIC_TRANSPORT": "A bus or other public transport: a yellow plate.",
        "COMMERCIAL": "A truck or other commercial vehicle: a blue plate.",
        "DIPLOMATIC": "A diplomatic mission's vehicle: a green plate.",
    },
)
class PlateKind(enum.Enum):
    PRIVATE = "private"
    TAXI = "taxi"
    PUBLIC_TRANSPORT = "public_transport"
    COMMERCIAL = "commercial"
    DIPLOMATIC = "diplomatic"


@described_enum(
    "The colour of a plate: white, yellow, blue or green.",
    {
        "WHITE": "White: a private vehicle.",
        "YELLOW": "Yellow: a taxi or public transport.",
        "BLUE": "Blue: a truck or other commercial vehicle.",
        "GREEN": "Green: a diplomatic mission's vehicle.",
    },
)
class PlateColour(enum.Enum):
    WHITE = "white"
    YELLOW = "yellow"
    BLUE = "blue"
    GREEN = "green"


_COLOURS: Mapping[PlateKind, PlateColour] = {
    PlateKind.PRIVATE: PlateColour.WHITE,
    PlateKind.TAXI: PlateColour.YELLOW,
    PlateKind.PUBLIC_TRANSPORT: PlateColour.YELLOW,
    PlateKind.COMMERCIAL: PlateColour.BLUE,
    PlateKind.DIPLOMATIC: PlateColour.GREEN,
}


@described_enum(
    "Whether a vehicle's compulsory insurance is in force.",
    {
        "INSURED": "A policy is in force.",
        "UNINSURED": "No policy is on record for the vehicle.",
        "EXPIRED": "Its last policy has lapsed.",
    },
)
class InsuranceStatus(enum.Enum):
    INSURED = "insured"
    UNINSURED = "uninsured"
    EXPIRED = "expired"


@described_enum(
    "What a traffic violation was for.",
    {
        "SPEEDING": "Driving over the speed limit.",
        "RED_LIGHT": "Running a red light.",
        "PARKING": "Parking where it is not allowed.",
        "MOBILE_USE": "Using a mobile phone while driving.",
        "SEATBELT": "Not wearing a seatbelt.",
        "EXPIRED_REGISTRATION": "Driving a vehicle whose registration (istimara) has expired.",
        "NO_INSURANCE": "Driving a vehicle without insurance in force.",
        "WRONG_WAY": "Driving against the direction of traffic.",
        "RECKLESS_DRIVING": "Driving recklessly, endangering others.",
    },
)
class ViolationKind(enum.Enum):
    SPEEDING = "speeding"
    RED_LIGHT = "red_light"
    PARKING = "parking"
    MOBILE_USE = "mobile_use"
    SEATBELT = "seatbelt"
    EXPIRED_REGISTRATION = "expired_registration"
    NO_INSURANCE = "no_insurance"
    WRONG_WAY = "wrong_way"
    RECKLESS_DRIVING = "reckless_driving"


@described_enum(
    "The state of a traffic violation's fine.",
    {
        "UNPAID": "The fine is owed; until it is paid or objected to, it blocks renewals and other services.",
        "PAID": "The fine was paid.",
        "OBJECTED": "The violator objected within 30 days; the fine is on hold while the objection is reviewed.",
    },
)
class ViolationStatus(enum.Enum):
    UNPAID = "unpaid"
    PAID = "paid"
    OBJECTED = "objected"


@described_enum(
    "Who handles an accident: Najm (insured, no injuries) or Muroor (injuries, fire, uninsured).",
    {
        "NAJM": "Najm: an accident between insured vehicles with no one injured.",
        "MUROOR": "Muroor (traffic police): an accident with injuries, a death or a fire, or an uninsured vehicle.",
    },
)
class AccidentHandler(enum.Enum):
    NAJM = "najm"
    MUROOR = "muroor"


@described_enum(
    "The state of an accident report.",
    {
        "OPEN": "Filed; its review has not started.",
        "UNDER_REVIEW": "Being reviewed to decide each driver's share of the fault.",
        "CLOSED": "Closed, with this driver's share of the fault decided.",
    },
)
class AccidentReportStatus(enum.Enum):
    OPEN = "open"
    UNDER_REVIEW = "under_review"
    CLOSED = "closed"


@strawberry.type(description="A driving licence issued by Muroor.")
class DrivingLicence:
    number: str = strawberry.field(description="The licence number (opaque digits).")
    licence_class: LicenceClass = strawberry.field(description="Private, public, motorcycle or heavy.")
    issued_on: CalendarDate = strawberry.field(description="Date of issue (or last renewal).")
    expires_on: CalendarDate = strawberry.field(description="Date of expiry.")
    status: LicenceStatus = strawberry.field(description="Valid, expired or suspended.")


@strawberry.type(
    description="A Saudi number plate: up to four digits and three letters, each printed in Arabic and Latin."
)
class Plate:
    digits: str = strawberry.field(description="The digits in Latin numerals, as printed (one to four), e.g. '4821'.")
    letters_en: str = strawberry.field(description="The three Latin letters, left to right, e.g. 'ABJ'.")
    kind: PlateKind = strawberry.field(description="What the plate is for: private, taxi, public transport, …")

    @resolver_field(description="The digits in Arabic-Indic numerals, e.g. '٤٨٢١'.")
    def digits_ar(self) -> str:
        return arabic_digits(self.digits)

    @resolver_field(
        description=(
            "The Arabic letters in reading order (right to left), separated by spaces, e.g. 'ح ب ا' for 'ABJ': "
            "on the plate each Arabic letter stands above its Latin one, so the two read in opposite directions."
        )
    )
    def letters_ar(self) -> str:
        return _arabic_letters(self.letters_en)

    @resolver_field(description="The Latin line as one text, digits then letters, e.g. '4821 ABJ'.")
    def text(self) -> str:
        return f"{self.digits} {self.letters_en}"

    @resolver_field(description="The Arabic line as one text, letters then digits in reading order, e.g. 'ح ب ا ٤٨٢١'.")
    def text_ar(self) -> str:
        return f"{_arabic_letters(self.letters_en)} {arabic_digits(self.digits)}"

    @resolver_field(description="The plate's colour, which follows from its kind.")
    def colour(self) -> PlateColour:
        return _COLOURS[self.kind]


@strawberry.type(description="A vehicle registered to an owner (its istimara), with its plate and insurance.")
class Vehicle:
    sequence_number: str = strawberry.field(description="The registration's sequence number (9 digits).")
    make: str = strawberry.field(description="The manufacturer, e.g. 'Toyota'.")
    model: str = strawberry.field(description="The model, e.g. 'Camry'.")
    model_year: int = strawberry.field(description="The model year.")
    registration_expires_on: CalendarDate = strawberry.field(description="The day the registration (istimara) expires.")
    insurance_status: InsuranceStatus = strawberry.field(description="Insured, uninsured or expired.")
    owner_id: strawberry.Private[str]
    plate_letters: strawberry.Private[str]
    plate_digits: strawberry.Private[str]
    plate_kind: strawberry.Private[str]

    @resolver_field(description="The vehicle's number plate.")
    def plate(self) -> Plate:
        return Plate(digits=self.plate_digits, letters_en=self.plate_letters, kind=PlateKind(self.plate_kind))


@strawberry.type(description="A traffic violation and its fine.")
class Violation:
    number: str = strawberry.field(description="The violation number (opaque digits).")
    kind: ViolationKind = strawberry.field(description="What it was for: speeding, red light, parking, …")
    city_ar: str = strawberry.field(description="The city where it was recorded, in Arabic.")
    city_en: str = strawberry.field(description="The city where it was recorded, in English.")
    committed_on: CalendarDate = strawberry.field(
        description="The day of the violation; an objection may be filed up to 30 days after it."
    )
    fine_sar: int = strawberry.field(description="The fine in Saudi riyals (whole riyals).")
    due_on: CalendarDate = strawberry.field(description="The day the fine falls due; unpaid after it, it is overdue.")
    status: ViolationStatus = strawberry.field(description="Unpaid, paid or objected.")
    objected_on: CalendarDate | None = strawberry.field(description="The day an objection was filed, if one was.")
    objection_reason: str | None = strawberry.field(description="The violator's reason for objecting, if they did.")
    vehicle_sequence_number: str | None = strawberry.field(
        description="The sequence number of the vehicle it was recorded against, or null when it was not a vehicle's."
    )


@described_enum(
    "Where a vehicle's sale stands: offered to the buyer, or done.",
    {
        "PENDING": "Offered by the owner; the buyer has not accepted yet.",
        "COMPLETED": "The buyer accepted: the vehicle is registered to them.",
    },
)
class VehicleTransferStatus(enum.Enum):
    PENDING = "pending"
    COMPLETED = "completed"


@strawberry.type(description="A vehicle's sale: offered by its owner to a buyer, done once the buyer accepts it.")
class VehicleTransfer:
    reference: str = strawberry.field(description="The sale's reference: VT then 10 digits.")
    sequence_number: str = strawberry.field(description="The vehicle's sequence number.")
    seller_id: strawberry.ID = strawberry.field(description="The owner who offered it: their ID.")
    buyer_id: strawberry.ID = strawberry.field(description="The person it is offered to: their ID.")
    offered_on: CalendarDate = strawberry.field(description="The day it was offered.")
    status: VehicleTransferStatus = strawberry.field(description="Pending (the buyer has not accepted) or completed.")
    completed_on: CalendarDate | None = strawberry.field(description="The day the buyer accepted, once they did.")


@strawberry.type(description="An accident report filed with Najm or Muroor.")
class AccidentReport:
    report_number: str = strawberry.field(description="The report's case number.")
    status: AccidentReportStatus = strawberry.field(description="Open, under review or closed.")
    occurred_on: CalendarDate = strawberry.field(description="The day of the accident.")
    city_ar: str = strawberry.field(description="The city where it happened, in Arabic.")
    city_en: str = strawberry.field(description="The city where it happened, in English.")
    handled_by: AccidentHandler = strawberry.field(description="Najm or Muroor.")
    fault_percent: int | None = strawberry.field(
        description="This driver's share of the fault in percent (0, 25, 50, 75 or 100); null until decided."
    )
    closed_on: CalendarDate | None = strawberry.field(description="The day the report was closed, if it is.")
