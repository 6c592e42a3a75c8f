"""Traffic's per-request loaders: one SELECT per loader per batch, each in a stated order."""

from __future__ import annotations

from hub.contract import Reads, RowByKey, RowsByKey
from sectors.traffic.models import AccidentReportRow, DrivingLicenceRow, VehicleRow, ViolationRow
from sectors.traffic.types import AccidentReport, DrivingLicence, Vehicle, Violation

licences = DrivingLicenceRow.__table__
vehicles = VehicleRow.__table__
violations = ViolationRow.__table__
accident_reports = AccidentReportRow.__table__


class TrafficLoaders:
    def __init__(self, reads: Reads) -> None:
        self.driving_licence_by_person: RowByKey[str, DrivingLicence] = RowByKey(
            reads, DrivingLicence, licences, "person_id", order_by=[licences.c.issued_on.desc(), licences.c.number]
        )
        self.vehicles_by_owner: RowsByKey[str, Vehicle] = RowsByKey(
            reads,
            Vehicle,
            vehicles,
            "owner_id",
            order_by=[vehicles.c.model_year.desc(), vehicles.c.sequence_number],
        )
        self.violations_by_person: RowsByKey[str, Violation] = RowsByKey(
            reads,
            Violation,
            violations,
            "person_id",
            order_by=[violations.c.committed_on.desc(), violations.c.number],
        )
        self.accident_reports_by_person: RowsByKey[str, AccidentReport] = RowsByKey(
            reads,
            AccidentReport,
            accident_reports,
            "person_id",
            order_by=[accident_reports.c.occurred_on.desc(), accident_reports.c.report_number],
        )
