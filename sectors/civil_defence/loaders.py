"""Civil defence's declared loaders: one SELECT per loader per batch, each in a stated order."""

from __future__ import annotations

from hub.contract import row_by, rows_by
from sectors.civil_defence.models import IncidentReportRow, SafetyPermitRow
from sectors.civil_defence.types import IncidentReport, SafetyPermit

reports = IncidentReportRow.__table__
permits = SafetyPermitRow.__table__

incident_reports_by_reporter = rows_by(
    IncidentReport, reports, "person_id", order_by=[reports.c.reported_on.desc(), reports.c.reference.desc()]
)
safety_permits_by_owner = rows_by(
    SafetyPermit, permits, "owner_id", order_by=[permits.c.expires_on.desc(), permits.c.number]
)
safety_permit_by_number = row_by(SafetyPermit, permits, "number", order_by=[permits.c.number])
