"""Passports' per-request loaders: one SELECT per loader per batch, each in a stated order."""

from __future__ import annotations

from hub.contract import Reads, RowByKey, RowsByKey
from sectors.passports.models import AbscondingReportRow, IqamaRow, PassportRow, VisaRow
from sectors.passports.types import AbscondingReport, Iqama, Passport, Visa

passports = PassportRow.__table__
iqamas = IqamaRow.__table__
visas = VisaRow.__table__
reports = AbscondingReportRow.__table__


class PassportsLoaders:
    def __init__(self, reads: Reads) -> None:
        self.passports_by_person: RowsByKey[str, Passport] = RowsByKey(
            reads, Passport, passports, "person_id", order_by=[passports.c.issued_on.desc(), passports.c.number]
        )
        self.iqama_by_person: RowByKey[str, Iqama] = RowByKey(
            reads, Iqama, iqamas, "person_id", order_by=[iqamas.c.issued_on.desc(), iqamas.c.number]
        )
        self.iqamas_by_sponsor: RowsByKey[str, Iqama] = RowsByKey(
            reads, Iqama, iqamas, "sponsor_id", order_by=[iqamas.c.number]
        )
        self.visas_by_person: RowsByKey[str, Visa] = RowsByKey(
            reads, Visa, visas, "person_id", order_by=[visas.c.valid_from.desc(), visas.c.number]
        )
        self.absconding_reports_by_person: RowsByKey[str, AbscondingReport] = RowsByKey(
            reads,
            AbscondingReport,
            reports,
            "person_id",
            order_by=[reports.c.filed_on.desc(), reports.c.reference],
        )
