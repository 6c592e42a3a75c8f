"""Civil affairs' services and the rules that block them; traffic's are asked through the hub."""

from __future__ import annotations

import datetime as dt

from hub.contract import ActingAs, Blocker, Rules, SectorContext, Service
from sectors.civil_affairs import loaders
from sectors.civil_affairs.types import FamilyRelation, IdCardStatus

RENEWAL_WINDOW = dt.timedelta(days=180)
"""A national ID card may be renewed from this long before it expires."""

RULES = Rules(
    "civil_affairs",
    {
        "NO_ID_CARD": (
            "This person holds no national ID card (only citizens do).",
            "لا توجد بطاقة هوية وطنية لهذا الشخص (للمواطنين فقط).",
            "A citizen's first card is issued at a civil affairs office.",
            "تصدر البطاقة الأولى للمواطن في مكتب الأحوال المدنية.",
        ),
        "TOO_EARLY_TO_RENEW": (
            "A national ID card can be renewed from 180 days before it expires.",
            "يمكن تجديد بطاقة الهوية الوطنية قبل انتهائها بـ 180 يوماً.",
            "Renew within 180 days of the expiry date.",
            "جدد البطاقة خلال 180 يوماً من تاريخ انتهائها.",
        ),
        "ID_CARD_NOT_VALID": (
            "Only a valid national ID card can be reported lost; this one is expired, replaced or already lost.",
            "لا يبلغ عن فقد إلا بطاقة هوية سارية؛ هذه البطاقة منتهية أو مستبدلة أو مبلغ عن فقدها.",
            "Renew the card (renewIdCard): the new card replaces it.",
            "جدد البطاقة؛ تحل البطاقة الجديدة محلها.",
        ),
        "PERSON_DECEASED": (
            "This person is recorded as deceased.",
            "هذا الشخص مسجل متوفى.",
            "The other parent, or a relative at a civil affairs office, registers the birth.",
            "يسجل المولود الوالد الآخر، أو أحد الأقارب في مكتب الأحوال المدنية.",
        ),
        "NOT_IN_A_FAMILY_REGISTER": (
            "This person is not the head of a family register or a wife in one.",
            "هذا الشخص ليس رب أسرة في سجل أسرة ولا زوجة فيه.",
            "A family register is issued on marriage at a civil affairs office; a resident's child is registered "
            "with Jawazat.",
            "يصدر سجل الأسرة عند الزواج في مكتب الأحوال المدنية؛ ويسجل مولود المقيم لدى الجوازات.",
        ),
    },
)


async def id_card_renewal_blockers(context: SectorContext, person_id: str) -> list[Blocker]:
    card = await context.load(loaders.id_card_by_person, person_id)
    if card is None:
        return [RULES("NO_ID_CARD")]
    blockers = []
    # A lost card is replaced at once, however long it had to run.
    if card.status is not IdCardStatus.LOST and card.expires_on.gregorian - context.today() > RENEWAL_WINDOW:
        blockers.append(RULES("TOO_EARLY_TO_RENEW"))
    # Unpaid traffic fines suspend a person's services, ID renewal among them.
    unpaid = await context.check("traffic.unpaid_violations", person_id)
    if unpaid is not None:
        blockers.append(unpaid)
    return blockers


RENEW_ID_CARD = Service(
    name="RENEW_ID_CARD",
    sector="civil_affairs",
    description="Renew a national ID card for ten years, from 180 days before it expires.",
    allow=frozenset({ActingAs.SELF, ActingAs.GUARDIAN}),
    blockers=id_card_renewal_blockers,
    asks=frozenset({"traffic.unpaid_violations"}),
)


async def lost_card_blockers(context: SectorContext, person_id: str) -> list[Blocker]:
    # Reporting a loss is never held up by unpaid fines: the card must stop being usable at once.
    card = await context.load(loaders.id_card_by_person, person_id)
    if card is None:
        return [RULES("NO_ID_CARD")]
    if card.status is not IdCardStatus.VALID or card.expires_on.gregorian < context.today():
        return [RULES("ID_CARD_NOT_VALID")]
    return []


PARENTS = {FamilyRelation.HEAD, FamilyRelation.WIFE}


async def newborn_blockers(context: SectorContext, person_id: str) -> list[Blocker]:
    blockers = []
    if await context.load(loaders.death_by_person, person_id) is not None:
        blockers.append(RULES("PERSON_DECEASED"))
    membership = await context.load(loaders.membership_by_person, person_id)
    if membership is None or membership.relation not in PARENTS:
        blockers.append(RULES("NOT_IN_A_FAMILY_REGISTER"))
    return blockers


REPORT_LOST_ID_CARD = Service(
    name="REPORT_LOST_ID_CARD",
    sector="civil_affairs",
    description="Report a valid national ID card lost: it stops being valid, and renewIdCard replaces it.",
    allow=frozenset({ActingAs.SELF, ActingAs.GUARDIAN}),
    blockers=lost_card_blockers,
)
REGISTER_NEWBORN = Service(
    name="REGISTER_NEWBORN",
    sector="civil_affairs",
    description=(
        "Register a citizen's newborn, within 30 days of the birth: by the father (the register's head) or the "
        "mother (a wife in it). The child gets a national ID and an entry in the family register."
    ),
    allow=frozenset({ActingAs.SELF}),
    blockers=newborn_blockers,
)
