"""Passports (Jawazat, الجوازات): passports, iqamas, visas, absconding reports, sponsorship."""

from __future__ import annotations

from hub.contract import Expiry, Sector, Statistic
from sectors.passports import inquiries, mutations, seed
from sectors.passports.models import AbscondingReportRow, Base, IqamaRow, PassportRow, VisaRow
from sectors.passports.person import PassportsOfPerson
from sectors.passports.relations import SPONSOR
from sectors.passports.services import ISSUE_EXIT_REENTRY_VISA, ISSUE_FINAL_EXIT_VISA, RENEW_IQAMA

SECTOR = Sector(
    name="passports",
    field_name="passports",
    title_en="Passports",
    title_ar="الجوازات",
    metadata=Base.metadata,
    person_type=PassportsOfPerson,
    seed=seed.seed,
    migrations="sectors.passports.migrations",
    query_fields=inquiries.fields,
    mutation_fields=mutations.fields,
    relations=(SPONSOR,),
    statistics=(
        Statistic(
            "iqamas",
            "Iqamas by sponsorship (work or family) and status.",
            IqamaRow.__table__,
            ("sponsorship", "status"),
        ),
        Statistic("visas", "Visas by kind and status.", VisaRow.__table__, ("kind", "status")),
        Statistic(
            "absconding_reports", "Absconding (huroob) reports by status.", AbscondingReportRow.__table__, ("status",)
        ),
    ),
    services=(ISSUE_EXIT_REENTRY_VISA, RENEW_IQAMA, ISSUE_FINAL_EXIT_VISA),
    expiries=(
        Expiry("iqama", "الإقامة", IqamaRow.__table__, where=IqamaRow.status == "valid"),
        Expiry("passport", "جواز السفر", PassportRow.__table__, where=PassportRow.status == "valid"),
    ),
)
