"""Civil defence's per-request loaders: one SELECT per loader per batch, each in a stated order."""

from __future__ import annotations

from hub.contract import Reads, RowsByKey
from sectors.civil_defence.models import IncidentReportRow, SafetyPermitRow
from sectors.civil_defence.types import IncidentReport, SafetyPermit

reports = IncidentReportRow.__table__
permits = SafetyPermitRow.__table__


class CivilDefenceLoaders:
    def __init__(self, reads: Reads) -> None:
        self.incident_reports_by_reporter: RowsByKey[str, IncidentReport] = RowsByKey(
            reads,
            IncidentReport,
            reports,
            "person_id",
            order_by=[reports.c.reported_on.desc(), reports.c.reference.desc()],
        )
        self.safety_permits_by_owner: RowsByKey[str, SafetyPermit] = RowsByKey(
            reads, SafetyPermit, permits, "owner_id", order_by=[permits.c.expires_on.desc(), permits.c.number]
        )
