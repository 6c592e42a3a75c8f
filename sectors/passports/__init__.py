"""Passports (Jawazat, الجوازات): passports, iqamas, visas, absconding reports, sponsorship."""

from __future__ import annotations

from hub.contract import Expiry, Sector, Statistic
from sectors.passports import inquiries, mutations, seed
from sectors.passports.establishments import fields as establishments
from sectors.passports.establishments import users as establishment_users
from sectors.passports.models import AbscondingReportRow, Base, IqamaRow, PassportRow, TransferRow, VisaRow
from sectors.passports.person import PassportsOfPerson
from sectors.passports.relations import AUTHORISED_USER, SPONSOR
from sectors.passports.services import (
    CANCEL_ABSCONDING_REPORT,
    CANCEL_EXIT_REENTRY_VISA,
    CANCEL_FINAL_EXIT_VISA,
    EXTEND_EXIT_REENTRY_VISA,
    FILE_ABSCONDING_REPORT,
    ISSUE_EXIT_REENTRY_VISA,
    ISSUE_FINAL_EXIT_VISA,
    RENEW_IQAMA,
    RENEW_PASSPORT,
    TRANSFER_SPONSORSHIP,
)

SECTOR = Sector(
    name="passports",
    field_name="passports",
    title_en="Passports",
    title_ar="الجوازات",
    metadata=Base.metadata,
    person_type=PassportsOfPerson,
    seed=seed.seed,
    migrations="sectors.passports.migrations",
    query_fields=lambda: {**inquiries.fields(), **establishments.fields()},
    mutation_fields=lambda: {**mutations.fields(), **establishment_users.fields()},
    relations=(SPONSOR, AUTHORISED_USER),
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
        Statistic("sponsorship_transfers", "Transfers of sponsorship by status.", TransferRow.__table__, ("status",)),
    ),
    services=(
        ISSUE_EXIT_REENTRY_VISA,
        RENEW_IQAMA,
        ISSUE_FINAL_EXIT_VISA,
        EXTEND_EXIT_REENTRY_VISA,
        CANCEL_EXIT_REENTRY_VISA,
        CANCEL_FINAL_EXIT_VISA,
        FILE_ABSCONDING_REPORT,
        CANCEL_ABSCONDING_REPORT,
        RENEW_PASSPORT,
        TRANSFER_SPONSORSHIP,
    ),
    expiries=(
        Expiry("iqama", "الإقامة", IqamaRow.__table__, where=IqamaRow.status == "valid"),
        Expiry("passport", "جواز السفر", PassportRow.__table__, where=PassportRow.status == "valid"),
    ),
)
