"""The one door sectors use: everything a sector package may import from the hub lives here.

A sector is a package under `sectors/` whose `__init__.py` exports one `Sector`. It owns its
tables (its own `MetaData`), its loaders, its strawberry types and its seed; it refers to people
only by ID (`person_key()` columns, `PersonRef` fields) and never imports another sector.

This package imports nothing else of `hub`: every other part of the hub may import it.
"""

from hub.contract.access import IDENTITY, IDENTITY_DETAILS, ActingAs, Relation, RelationSource
from hub.contract.calendar import arabic_digits, document_term_end, years_after
from hub.contract.context import Info, PersonRef, SectorContext, of_person, person_ref
from hub.contract.enums import described_enum
from hub.contract.errors import Code, RabtError
from hub.contract.fields import resolver_field
from hub.contract.idempotency import Keyed, idempotency_key
from hub.contract.ids import PersonId, ascii_digits, parse_person_id
from hub.contract.loading import Loads, Reads, loaded, record, row_by, rows_by
from hub.contract.new_people import Kind, NewPerson
from hub.contract.notices import REMIND_DAYS, Expiry, NoticeKind
from hub.contract.population import SeededPerson
from hub.contract.provenance import Source, source_field
from hub.contract.sector import Sector, SeedContext, Statistic
from hub.contract.services import Check, Item, Rules, Service, blocked, refused, serve
from hub.contract.tables import insert_new, person_key, sector_metadata, updated, values_of
from hub.contract.unified_number import parse_unified_number, unified_number
from hub.contract.values import Blocker, CalendarDate, InLanguage, Language, Refusal, Sex, answer_or_refusal, refusals

__all__ = [
    "IDENTITY",
    "IDENTITY_DETAILS",
    "REMIND_DAYS",
    "ActingAs",
    "Blocker",
    "CalendarDate",
    "Check",
    "Code",
    "Expiry",
    "InLanguage",
    "Info",
    "Item",
    "Keyed",
    "Kind",
    "Language",
    "Loads",
    "NewPerson",
    "NoticeKind",
    "PersonId",
    "PersonRef",
    "RabtError",
    "Reads",
    "Refusal",
    "Relation",
    "RelationSource",
    "Rules",
    "Sector",
    "SectorContext",
    "SeedContext",
    "SeededPerson",
    "Service",
    "Sex",
    "Source",
    "Statistic",
    "answer_or_refusal",
    "arabic_digits",
    "ascii_digits",
    "blocked",
    "described_enum",
    "document_term_end",
    "idempotency_key",
    "insert_new",
    "loaded",
    "of_person",
    "parse_person_id",
    "parse_unified_number",
    "person_key",
    "person_ref",
    "record",
    "refusals",
    "refused",
    "resolver_field",
    "row_by",
    "rows_by",
    "sector_metadata",
    "serve",
    "source_field",
    "unified_number",
    "updated",
    "values_of",
    "years_after",
]
