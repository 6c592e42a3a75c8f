"""Passports' declared loaders: one SELECT per loader per batch, each in a stated order."""

from __future__ import annotations

from hub.contract import row_by, rows_by
from sectors.passports.models import (
    AbscondingReportRow,
    IqamaRow,
    MedicalInsuranceRow,
    PassportRow,
    TransferRow,
    VisaRow,
)
from sectors.passports.types import AbscondingReport, Iqama, MedicalInsurance, Passport, SponsorshipTransfer, Visa

passports = PassportRow.__table__
iqamas = IqamaRow.__table__
visas = VisaRow.__table__
reports = AbscondingReportRow.__table__
insurance = MedicalInsuranceRow.__table__
transfers = TransferRow.__table__

passports_by_person = rows_by(
    Passport, passports, "person_id", order_by=[passports.c.issued_on.desc(), passports.c.number]
)
iqama_by_person = row_by(Iqama, iqamas, "person_id", order_by=[iqamas.c.issued_on.desc(), iqamas.c.number])
iqamas_by_sponsor = rows_by(Iqama, iqamas, "sponsor_id", order_by=[iqamas.c.number])
visas_by_person = rows_by(Visa, visas, "person_id", order_by=[visas.c.valid_from.desc(), visas.c.number])
absconding_reports_by_person = rows_by(
    AbscondingReport, reports, "person_id", order_by=[reports.c.filed_on.desc(), reports.c.reference]
)
insurance_by_person = rows_by(
    MedicalInsurance, insurance, "person_id", order_by=[insurance.c.valid_until.desc(), insurance.c.policy_number]
)
transfers_by_person = rows_by(
    SponsorshipTransfer, transfers, "person_id", order_by=[transfers.c.requested_on.desc(), transfers.c.reference]
)
