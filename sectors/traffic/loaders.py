"""Traffic's declared loaders: one SELECT per loader per batch, each in a stated order."""

from __future__ import annotations

from hub.contract import row_by, rows_by
from sectors.traffic.models import AccidentReportRow, DrivingLicenceRow, VehicleRow, VehicleTransferRow, ViolationRow
from sectors.traffic.types import AccidentReport, DrivingLicence, Vehicle, VehicleTransfer, Violation

licences = DrivingLicenceRow.__table__
vehicles = VehicleRow.__table__
violations = ViolationRow.__table__
accident_reports = AccidentReportRow.__table__
transfers = VehicleTransferRow.__table__

driving_licence_by_person = row_by(
    DrivingLicence, licences, "person_id", order_by=[licences.c.issued_on.desc(), licences.c.number]
)
vehicles_by_owner = rows_by(
    Vehicle, vehicles, "owner_id", order_by=[vehicles.c.model_year.desc(), vehicles.c.sequence_number]
)
violations_by_person = rows_by(
    Violation, violations, "person_id", order_by=[violations.c.committed_on.desc(), violations.c.number]
)
accident_reports_by_person = rows_by(
    AccidentReport,
    accident_reports,
    "person_id",
    order_by=[accident_reports.c.occurred_on.desc(), accident_reports.c.report_number],
)
unpaid_violations_by_person = rows_by(
    Violation,
    violations,
    "person_id",
    order_by=[violations.c.committed_on.desc(), violations.c.number],
    where=violations.c.status == "unpaid",
)
unpaid_violations_by_vehicle = rows_by(
    Violation,
    violations,
    "vehicle_sequence_number",
    order_by=[violations.c.committed_on.desc(), violations.c.number],
    where=violations.c.status == "unpaid",
)
vehicle_by_sequence_number = row_by(Vehicle, vehicles, "sequence_number", order_by=[vehicles.c.sequence_number])
pending_transfer_by_vehicle = row_by(
    VehicleTransfer,
    transfers,
    "sequence_number",
    order_by=[transfers.c.reference],
    where=transfers.c.status == "pending",
)
transfers_by_seller = rows_by(
    VehicleTransfer, transfers, "seller_id", order_by=[transfers.c.offered_on.desc(), transfers.c.reference]
)
transfers_by_buyer = rows_by(
    VehicleTransfer, transfers, "buyer_id", order_by=[transfers.c.offered_on.desc(), transfers.c.reference]
)
