"""Traffic (Muroor, المرور): driving licences, vehicles, violations and accident reports."""

from __future__ import annotations

from hub.contract import Expiry, Sector, Statistic
from sectors.traffic import mutations, seed
from sectors.traffic.models import AccidentReportRow, Base, DrivingLicenceRow, VehicleRow, ViolationRow
from sectors.traffic.person import TrafficOfPerson
from sectors.traffic.services import (
    ACCEPT_VEHICLE_TRANSFER,
    RENEW_DRIVING_LICENCE,
    RENEW_VEHICLE_REGISTRATION,
    TRANSFER_VEHICLE_OWNERSHIP,
    UNPAID_VIOLATIONS,
    UNPAID_VIOLATIONS_OF_DEPENDANT,
)

# No relations: owning a vehicle or sharing an accident gives no one access to another's records.
SECTOR = Sector(
    name="traffic",
    field_name="traffic",
    title_en="Traffic",
    title_ar="المرور",
    metadata=Base.metadata,
    person_type=TrafficOfPerson,
    seed=seed.seed,
    migrations="sectors.traffic.migrations",
    mutation_fields=mutations.fields,
    relations=(),
    statistics=(
        Statistic(
            "driving_licences",
            "Driving licences by class and status.",
            DrivingLicenceRow.__table__,
            ("licence_class", "status"),
        ),
        Statistic(
            "vehicles",
            "Registered vehicles by plate kind and insurance status.",
            VehicleRow.__table__,
            ("plate_kind", "insurance_status"),
        ),
        Statistic("violations", "Traffic violations by kind and status.", ViolationRow.__table__, ("kind", "status")),
        Statistic(
            "accident_reports",
            "Accident reports by handler (Najm or Muroor) and status.",
            AccidentReportRow.__table__,
            ("handled_by", "status"),
        ),
    ),
    services=(RENEW_DRIVING_LICENCE, RENEW_VEHICLE_REGISTRATION, TRANSFER_VEHICLE_OWNERSHIP, ACCEPT_VEHICLE_TRANSFER),
    checks=(UNPAID_VIOLATIONS, UNPAID_VIOLATIONS_OF_DEPENDANT),
    expiries=(
        Expiry(
            "driving licence", "رخصة القيادة", DrivingLicenceRow.__table__, where=DrivingLicenceRow.status == "valid"
        ),
        Expiry(
            "vehicle registration (istimara)",
            "رخصة سير المركبة (الاستمارة)",
            VehicleRow.__table__,
            person="owner_id",
            number="sequence_number",
            expires_on="registration_expires_on",
        ),
    ),
)
