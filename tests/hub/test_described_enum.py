"""`hub.contract.described_enum`: every value of a GraphQL enum described, the Python enum left as it is."""

from __future__ import annotations

import enum

import pytest
import strawberry
from graphql import graphql_sync

from hub.accounts.models import AccountStatus
from hub.contract import described_enum


class Stored(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


def test_the_descriptions_reach_introspection_and_the_sdl_and_the_enum_is_unchanged() -> None:
    described_enum("Where it stands.", {"OPEN": "Not yet closed.", "CLOSED": "Done with."})(Stored)

    @strawberry.type
    class Query:
        @strawberry.field
        def state(self, state: Stored) -> Stored:
            return state

    schema = strawberry.Schema(query=Query)
    result = graphql_sync(
        schema._schema,
        '{ state(state: CLOSED) __type(name: "Stored") { enumValues { name description } } }',
    )
    assert result.errors is None and result.data is not None
    assert result.data["state"] == "CLOSED"
    assert result.data["__type"]["enumValues"] == [
        {"name": "OPEN", "description": "Not yet closed."},
        {"name": "CLOSED", "description": "Done with."},
    ]
    assert '  """Done with."""\n  CLOSED\n' in schema.as_str()
    # Still a StrEnum of plain strings, as a table's column stores it.
    assert Stored.CLOSED == "closed" and Stored("open") is Stored.OPEN and type(Stored.OPEN.value) is str
    assert AccountStatus.ACTIVE == "active" and AccountStatus("locked") is AccountStatus.LOCKED


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"OPEN": "Not yet closed."}, r"undescribed \['CLOSED'\], not members \[\]"),
        ({"OPEN": "Not yet closed.", "CLOSED": ""}, r"undescribed \['CLOSED'\]"),
        ({"OPEN": "Not yet closed.", "CLOSED": "Done.", "SHUT": "Done."}, r"not members \['SHUT'\]"),
    ],
)
def test_a_value_left_undescribed_or_a_name_that_is_no_member_is_refused(values: dict[str, str], message: str) -> None:
    class Again(enum.Enum):
        OPEN = "open"
        CLOSED = "closed"

    with pytest.raises(ValueError, match=message):
        described_enum("Where it stands.", values)(Again)
