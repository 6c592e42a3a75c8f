"""Traffic's declared loaders: one SELECT per loader per batch, each in a stated order."""

from __future__ import annotations

from hub.contract import row_by, rows_by
from sectors.traffic.models import AccidentReportRow, DrivingLicenceRow, VehicleRow, ViolationRow
from sectors.traffic.types import AccidentReport, DrivingLicence, Vehicle, Violation

licences = DrivingLicenceRow.__table__
vehicles = VehicleRow.__table__
violations = ViolationRow.__table__
accident_reports = AccidentReportRow.__table__

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
