"""The operations the hub ships for front ends and GraphiQL: `hub/api/operations/<Name>.graphql`.

They are the README's documented operations, GraphiQL's ready-to-run examples, and the
allow-list of trusted documents in production mode.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

CALLER = "Caller:"


@dataclass(frozen=True)
class Operation:
    """A shipped operation. Its file opens with comment lines: the title, then `# Caller: KEY`,
    the demo caller it needs (hub.web.demo). The document is what follows them."""

    name: str
    title: str
    document: str
    caller: str | None = None


@cache
def shipped_operations() -> tuple[Operation, ...]:
    found = []
    for entry in sorted(files("hub.api").joinpath("operations").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".graphql"):
            name = entry.name[: -len(".graphql")]
            comments, document = split_comments(entry.read_text(encoding="utf-8"))
            callers = [line[len(CALLER) :].split()[0] for line in comments if line.startswith(CALLER)]
            titles = [line for line in comments if not line.startswith(CALLER)]
            found.append(Operation(name, titles[0] if titles else name, document, callers[0] if callers else None))
    return tuple(found)


def split_comments(text: str) -> tuple[list[str], str]:
    """A document's leading `#` comment lines (their text) and the document after them, as the
    hub serves and hashes it: without them, stripped, ending in one newline."""
    lines = text.splitlines()
    comments = []
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith("#")):
        line = lines.pop(0).strip()
        if line:
            comments.append(line.lstrip("# ").strip())
    return comments, "\n".join(lines).strip() + "\n"


def trusted_documents() -> dict[str, str]:
    """The allow-list of production mode: sha256 of each shipped document -> the document.

    Front ends send the document's sha256 as Apollo's `extensions.persistedQuery.sha256Hash`
    (or the document itself, leading comment lines allowed, as GraphiQL's tabs send it); the hash is
    over the document text as served by this module (`split_comments`).
    """
    return {hashlib.sha256(op.document.encode()).hexdigest(): op.document for op in shipped_operations()}
