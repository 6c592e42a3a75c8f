"""The tabs GraphiQL opens with on this hub: one per shipped operation, ready to run."""

from __future__ import annotations

import orjson

from hub.api.operations import shipped_operations
from hub.contract.population import PERSONAS
from hub.web.graphiql import Tab


def graphiql_tabs() -> list[Tab]:
    """One tab per shipped operation, the headline first, with variables that suit its caller."""
    persona = {p.key: p.id for p in PERSONAS}
    variables = {
        "PersonStatus": {"id": persona["absconding_worker"]},
        "PeopleStatus": {"ids": [persona["absconding_worker"], persona["sponsor"], persona["visitor"]]},
        "SponsorWorkers": {"id": persona["sponsor"]},
        "IssueExitReentryVisa": {"input": {"personId": persona["absconding_worker"], "kind": "SINGLE", "days": 30}},
        "Statistics": {"sector": "passports"},
    }
    return [
        Tab(
            op.title,
            op.document,
            orjson.dumps(variables.get(op.name, {}), option=orjson.OPT_INDENT_2).decode(),
            op.caller,
        )
        for op in sorted(shipped_operations(), key=lambda op: (op.name != "PersonStatus", op.name))
    ]
