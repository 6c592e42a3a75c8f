"""Automatic persisted queries (Apollo's protocol): a client sends a document's sha256 instead of
the document once the hub has seen it."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

from hub.api.limits import MAX_DOCUMENT
from hub.api.operations import split_comments
from hub.contract.errors import Code


class PersistedQueryError(Exception):
    def __init__(self, code: Code, message: str) -> None:
        super().__init__(message)
        self.code = code


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


class PersistedQueries:
    """Automatic persisted queries in an in-memory LRU of documents by hash, bounded in entries and
    in characters (`characters`), so that a client cannot fill memory: any caller may register a
    document, and one of 1 MB each, 10,000 of them, held ~20 GB. A document over MAX_DOCUMENT
    characters is not registered (the hub refuses to run it). Or, given a `trusted` allow-list,
    production mode: only those documents run, by hash or by full text, and nothing new is
    registered."""

    def __init__(
        self, capacity: int = 10_000, trusted: dict[str, str] | None = None, characters: int = 20_000_000
    ) -> None:
        self._documents: OrderedDict[str, str] = OrderedDict()
        self._capacity = capacity
        self._characters = characters
        self._held = 0  # characters of the documents held
        self._trusted = trusted

    async def resolve(self, query: str | None, extensions: dict[str, Any] | None) -> str | None:
        persisted = (extensions or {}).get("persistedQuery")
        if self._trusted is not None:
            return self._resolve_trusted(query, persisted)
        if persisted is None:
            return query
        if (
            not isinstance(persisted, dict)
            or persisted.get("version") != 1
            or not isinstance(persisted.get("sha256Hash"), str)
        ):
            raise PersistedQueryError(
                Code.PERSISTED_QUERY_NOT_SUPPORTED, "Only persistedQuery version 1 with a sha256Hash."
            )
        digest = persisted["sha256Hash"].lower()
        if query is None:
            document = self._documents.get(digest)
            if document is None:
                raise PersistedQueryError(Code.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")
            self._documents.move_to_end(digest)
            return document
        if sha256(query) != digest:
            raise PersistedQueryError(Code.PERSISTED_QUERY_HASH_MISMATCH, "provided sha does not match query")
        if len(query) > MAX_DOCUMENT:
            return query  # refused as it is parsed, and never kept
        if digest not in self._documents:
            self._held += len(query)
        self._documents[digest] = query
        self._documents.move_to_end(digest)
        while len(self._documents) > self._capacity or self._held > self._characters:
            self._held -= len(self._documents.popitem(last=False)[1])
        return query

    @property
    def held(self) -> tuple[int, int]:
        """How many documents are held, and their characters."""
        return len(self._documents), self._held

    def _resolve_trusted(self, query: str | None, persisted: Any) -> str:
        assert self._trusted is not None
        if isinstance(persisted, dict) and isinstance(persisted.get("sha256Hash"), str):
            digest = persisted["sha256Hash"].lower()
        elif query is not None:
            digest = sha256(split_comments(query)[1])
        else:
            digest = ""
        document = self._trusted.get(digest)
        if document is None:
            raise PersistedQueryError(
                Code.TRUSTED_DOCUMENT_REQUIRED, "This hub runs only its trusted documents (hub/api/operations)."
            )
        return document
