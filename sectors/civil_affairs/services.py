"""Civil affairs' services and the rules that block them; traffic's are asked through the hub."""

from __future__ import annotations

import datetime as dt

from hub.contract import ActingAs, Blocker, Rules, SectorContext, Service
from sectors.civil_affairs import loaders

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
    },
)


async def id_card_renewal_blockers(context: SectorContext, person_id: str) -> list[Blocker]:
    card = await context.load(loaders.id_card_by_person, person_id)
    if card is None:
        return [RULES("NO_ID_CARD")]
    blockers = []
    if card.expires_on.gregorian - context.today() > RENEWAL_WINDOW:
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
)
