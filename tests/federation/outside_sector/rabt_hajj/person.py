"""The Hajj namespace on Person: `person { hajj { … } }`."""

from __future__ import annotations

import strawberry

from hub.contract import loaded
from rabt_hajj import loaders


@strawberry.type(description="Hajj (الحج): one person's Hajj permits.")
class HajjOfPerson:
    person_id: strawberry.Private[str]

    permits = loaded(
        loaders.permits_by_person,
        description="This person's Hajj permits, the latest season first (same season: by number).",
    )
