"""Only the gateway calls a subgraph: Hive Gateway's HMAC upstream signature, checked here.

The gateway (`hmacSignature` in federation/gateway.config.mjs) signs every subgraph request with
HMAC-SHA256 under RABT_GATEWAY_HMAC_SECRET and sends the signature, base64, in the request's
`extensions["hmac-signature"]`. What it signs is the request's query and variables serialised as
`json-stable-stringify` does (keys sorted, JavaScript's JSON.stringify for every value), the
variables left out when there are none: `@graphql-mesh/hmac-upstream-signature`'s
`defaultParamsSerializer`. This module writes the same bytes from the parsed body.

It covers the query and variables only: not the headers (the caller's token travels beside it)
and not the time, so a captured request can be replayed by whoever can reach the subgraph and
already holds a token for it.

The client's address travels beside it in `x-rabt-client-address`, signed by the gateway in
`x-rabt-client-signature` (`t=<unix seconds>,v1=<base64 HMAC-SHA256>` of
"rabt-client-address\n<address>\n<t>"): a subgraph counts its per-client limits by that address,
which no one without the secret can choose, and a captured header stops working after
CLIENT_SIGNATURE_SECONDS.

One part of the deployment calling another directly (a subgraph asking another sector's checks,
`hub.web.peer_checks`) signs with the same secret, in `x-rabt-part-signature` (`t=<unix
seconds>,n=<nonce>,p=<asking part>,v1=<base64 HMAC-SHA256>` of
"rabt-part-call\n<path>\n<asking part>\n<t>\n<nonce>\n<body>"): the path, the part that asks
(which the answering part admits and audits by that name) and the whole body, so it fits no other
call and no other asker; it stops working after
CLIENT_SIGNATURE_SECONDS too, and a process takes each nonce once, so a captured call cannot be
sent again to the part that answered it. Each
signed text starts with its own label, so neither signature stands for the other or for the
gateway's (whose text starts with `{`)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import secrets
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

import orjson

EXTENSION = "hmac-signature"
CLIENT_ADDRESS = "x-rabt-client-address"
CLIENT_SIGNATURE = "x-rabt-client-signature"
PART_SIGNATURE = "x-rabt-part-signature"
# How far the signing time may lie from the subgraph's clock, either way: the gateway signs each
# request as it sends it, so this is clock skew between hosts plus transit.
CLIENT_SIGNATURE_SECONDS = 60


class SignatureRefused(Exception):
    """The request is unsigned, or its signature does not match its query and variables."""


class GatewaySignature:
    def __init__(self, secret: str, clock: Callable[[], float] = time.time) -> None:
        if not secret:
            raise ValueError("the gateway's HMAC secret is empty")
        self._key = secret.encode()
        self._clock = clock
        self._seen: dict[str, float] = {}  # part calls' nonces taken lately, oldest first

    def sign_client(self, address: str, at: int | None = None) -> dict[str, str]:
        """The headers the gateway sends for a client at `address` (tests and tools use it)."""
        moment = int(self._clock()) if at is None else at
        return {CLIENT_ADDRESS: address, CLIENT_SIGNATURE: f"t={moment},v1={self._client_digest(address, moment)}"}

    def client(self, headers: Mapping[str, str]) -> str:
        """The client's address the gateway vouches for; SignatureRefused when it vouches for none."""
        address, signed = headers.get(CLIENT_ADDRESS), headers.get(CLIENT_SIGNATURE)
        if not address or not signed:
            raise SignatureRefused("the request carries no signed client address")
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise SignatureRefused("the client address signature is malformed") from None
        self._timed(signed, lambda moment: self._client_digest(address, moment), "client address")
        return address

    def sign_part(
        self, path: str, body: bytes, asker: str, at: int | None = None, nonce: str | None = None
    ) -> dict[str, str]:
        """The header part `asker` sends with a call of its own to another part's `path`."""
        if not _part_name(asker):
            raise ValueError(f"not a part's name: {asker!r}")
        moment = int(self._clock()) if at is None else at
        once = secrets.token_hex(16) if nonce is None else nonce
        digest = self._part_digest(path, asker, body, moment, once)
        return {PART_SIGNATURE: f"t={moment},n={once},p={asker},v1={digest}"}

    def part(self, path: str, headers: Mapping[str, str], body: bytes) -> str:
        """The part that signed this call (the name it signed); SignatureRefused unless a part of
        this deployment signed it, lately, and this process has not taken the call's nonce before."""
        signed = headers.get(PART_SIGNATURE)
        if not signed:
            raise SignatureRefused("the call carries no part signature")
        fields = _fields(signed)
        nonce, asker = fields.get("n", ""), fields.get("p", "")
        if not (16 <= len(nonce) <= 64 and nonce.isascii() and nonce.isalnum()) or not _part_name(asker):
            raise SignatureRefused("the part signature is malformed")
        self._timed(signed, lambda moment: self._part_digest(path, asker, body, moment, nonce), "part")
        now = self._clock()
        while self._seen and next(iter(self._seen.values())) < now - 2 * CLIENT_SIGNATURE_SECONDS:
            del self._seen[next(iter(self._seen))]
        if nonce in self._seen:
            raise SignatureRefused("the part call was replayed")
        self._seen[nonce] = now
        return asker

    def _timed(self, signed: str, digest: Callable[[int], str], what: str) -> None:
        """`t=<unix seconds>,v1=<base64 digest>` checked against `digest(t)` and the clock."""
        fields = _fields(signed)
        try:
            moment = int(fields.get("t", ""))
            given = base64.b64decode(fields.get("v1", ""), validate=True)
        except (ValueError, binascii.Error):
            raise SignatureRefused(f"the {what} signature is malformed") from None
        if not hmac.compare_digest(given, base64.b64decode(digest(moment))):
            raise SignatureRefused(f"the {what} signature does not match")
        if abs(self._clock() - moment) > CLIENT_SIGNATURE_SECONDS:
            raise SignatureRefused(f"the {what} signature has expired")

    def _client_digest(self, address: str, moment: int) -> str:
        line = f"rabt-client-address\n{address}\n{moment}".encode()
        return base64.b64encode(hmac.digest(self._key, line, hashlib.sha256)).decode("ascii")

    def _part_digest(self, path: str, asker: str, body: bytes, moment: int, nonce: str) -> str:
        signed = f"rabt-part-call\n{path}\n{asker}\n{moment}\n{nonce}\n".encode() + body
        return base64.b64encode(hmac.digest(self._key, signed, hashlib.sha256)).decode("ascii")

    def sign(self, query: str | None, variables: dict[str, Any] | None) -> str:
        """The extension's value for this query and variables, as the gateway computes it."""
        digest = hmac.digest(self._key, signed_payload(query, variables), hashlib.sha256)
        return base64.b64encode(digest).decode("ascii")

    def check(self, query: str | None, variables: dict[str, Any] | None, extensions: dict[str, Any] | None) -> None:
        given = (extensions or {}).get(EXTENSION)
        if not isinstance(given, str) or not given:
            raise SignatureRefused("the request carries no gateway signature")
        try:
            signature = base64.b64decode(given, validate=True)
            payload = signed_payload(query, variables)
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raise SignatureRefused("the gateway signature does not match the request") from None
        if not hmac.compare_digest(signature, hmac.digest(self._key, payload, hashlib.sha256)):
            raise SignatureRefused("the gateway signature does not match the request")


def _part_name(name: str) -> bool:
    """A part's name as a signature carries it: identity's or a sector's (`civil_affairs`)."""
    return 0 < len(name) <= 32 and name.isascii() and name.replace("_", "a").isalnum() and name.islower()


def _fields(signed: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in signed.split(","):
        name, _, value = part.partition("=")
        fields[name.strip()] = value.strip()
    return fields


def signed_payload(query: str | None, variables: dict[str, Any] | None) -> bytes:
    params: dict[str, Any] = {}
    if query is not None:
        params["query"] = query
    if variables:
        params["variables"] = variables
    if _as_orjson_writes_it(params):
        try:
            # orjson escapes strings as JSON.stringify does and sorts keys by code point, which is
            # JavaScript's order for keys below U+D800; ~10x faster than writing it out here.
            return orjson.dumps(params, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:  # an integer past 64 bits, a lone surrogate
            pass
    return stable_json(params).encode()


def _as_orjson_writes_it(value: Any) -> bool:
    """No number that JavaScript writes otherwise (every float: `1.0`, `1e-07`, `-0.0`) and no key
    that JavaScript sorts otherwise (past U+D7FF)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            for key in item:
                if not key.isascii() and max(key) >= "\ud800":
                    return False
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, float):
            return False
    return True


def stable_json(value: Any) -> str:
    """JavaScript's JSON.stringify of the value parsed from JSON, object keys sorted as JavaScript
    sorts strings (by UTF-16 code units): json-stable-stringify's output."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        # Python escapes exactly what JSON.stringify escapes when non-ASCII is kept as it is;
        # a lone surrogate cannot be encoded, so it never matches.
        return encode_basestring(value)
    if isinstance(value, int):
        return str(value) if abs(value) < 10**21 else js_number(float(value))
    if isinstance(value, float):
        return js_number(value)
    if isinstance(value, list):
        return "[" + ",".join(stable_json(item) for item in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=lambda key: key.encode("utf-16-be", "surrogatepass"))
        return "{" + ",".join(f"{encode_basestring(key)}:{stable_json(value[key])}" for key in keys) + "}"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def js_number(value: float) -> str:
    """ECMAScript's Number::toString (what JSON.stringify writes), from the shortest digits that
    round-trip, which Python's repr finds as JavaScript does."""
    if value != value or value in (float("inf"), float("-inf")):
        return "null"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    _, digit_tuple, exponent = Decimal(repr(abs(value))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    assert isinstance(exponent, int)
    n = exponent + len("".join(map(str, digit_tuple)))  # value = 0.<digits> x 10^n
    k = len(digits)
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = f"{digits[:n]}.{digits[n:]}"
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        power = n - 1
        mantissa = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
        text = f"{mantissa}e{'+' if power >= 0 else '-'}{abs(power)}"
    return sign + text
