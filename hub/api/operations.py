"""The operations the hub ships for front ends and GraphiQL: `hub/operations/<Name>.graphql`.

They are the README's documented operations, GraphiQL's ready-to-run examples, and the
allow-list of trusted documents in production mode.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files


@dataclass(frozen=True)
class Operation:
    name: str
    title: str
    document: str


@cache
def shipped_operations() -> tuple[Operation, ...]:
    found = []
    for entry in sorted(files("hub.api").joinpath("operations").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".graphql"):
            text = entry.read_text(encoding="utf-8")
            first = text.splitlines()[0] if text else ""
            title = first.lstrip("# ").strip() if first.startswith("#") else entry.name[: -len(".graphql")]
            body = "\n".join(text.splitlines()[1:]) if first.startswith("#") else text
            found.append(Operation(name=entry.name[: -len(".graphql")], title=title, document=body.strip() + "\n"))
    return tuple(found)


def trusted_documents() -> dict[str, str]:
    """The allow-list of production mode: sha256 of each shipped document -> the document.

    Front ends send the document's sha256 as Apollo's `extensions.persistedQuery.sha256Hash`
    (or the document itself); the hash is over the document text as served by this module.
    """
    return {hashlib.sha256(op.document.encode()).hexdigest(): op.document for op in shipped_operations()}
