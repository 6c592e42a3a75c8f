"""Civil Defence (الدفاع المدني): incident reports and establishments' safety permits (Salamah)."""

from __future__ import annotations

from hub.contract import Expiry, Sector, Statistic
from sectors.civil_defence import mutations, seed
from sectors.civil_defence.models import Base, IncidentReportRow, SafetyPermitRow
from sectors.civil_defence.person import CivilDefenceOfPerson
from sectors.civil_defence.services import APPLY_SAFETY_PERMIT, RENEW_SAFETY_PERMIT

SECTOR = Sector(
    name="civil_defence",
    field_name="civilDefence",
    title_en="Civil Defence",
    title_ar="الدفاع المدني",
    metadata=Base.metadata,
    person_type=CivilDefenceOfPerson,
    seed=seed.seed,
    migrations="sectors.civil_defence.migrations",
    mutation_fields=mutations.fields,
    relations=(),  # civil defence knows no relation between people that opens access
    statistics=(
        Statistic(
            "incident_reports", "Incident reports by kind and status.", IncidentReportRow.__table__, ("kind", "status")
        ),
        Statistic(
            "safety_permits",
            "Establishments' safety permits by kind of establishment and status.",
            SafetyPermitRow.__table__,
            ("establishment_kind", "status"),
        ),
    ),
    expiries=(
        Expiry(
            "safety permit",
            "ترخيص السلامة",
            SafetyPermitRow.__table__,
            person="owner_id",
            where=SafetyPermitRow.status == "valid",
        ),
    ),
    services=(APPLY_SAFETY_PERMIT, RENEW_SAFETY_PERMIT),
)
