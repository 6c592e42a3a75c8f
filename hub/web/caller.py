"""Who calls: the principal a request's bearer token names with the purpose it states, and the
client address its per-client limits count by."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request

from hub.access.tokens import InvalidToken, TokenVerifier
from hub.accounts.revocations import RevocationFeed
from hub.api.inputs import LINE_CONTROL, control_character
from hub.contract.errors import Code
from hub.contract.principal import ANONYMOUS, Principal, Role
from hub.web.client_address import Network, client_address
from hub.web.gateway_signature import GatewaySignature, SignatureRefused
from hub.web.graphql_request import ParsedRequest
from hub.web.responses import RequestRefused

MAX_PURPOSE = 200


async def principal_of(request: Request, verifier: TokenVerifier, revocations: RevocationFeed | None) -> Principal:
    """The caller its bearer token names, with the purpose it states; anonymous without a token."""
    authorization = request.headers.get("authorization")
    if not authorization:
        return ANONYMOUS
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise RequestRefused(401, Code.UNAUTHENTICATED, "Authorization must be 'Bearer <token>'.")
    purpose = purpose_of(request.headers.get("x-purpose"))
    try:
        principal = await verified(token.strip(), purpose, verifier, revocations)
    except InvalidToken:
        raise RequestRefused(401, Code.UNAUTHENTICATED, "The token is invalid or expired; sign in again.") from None
    if principal.role in (Role.OFFICER, Role.SERVICE) and not purpose:
        raise RequestRefused(
            400, Code.PURPOSE_REQUIRED, "Officers and services must state a purpose in the X-Purpose header."
        )
    return principal


async def verified(
    token: str, purpose: str | None, verifier: TokenVerifier, revocations: RevocationFeed | None
) -> Principal:
    """The token's principal, or InvalidToken: also when its session was ended in another process."""
    principal = await verifier.verify(token, purpose)
    if principal.session is not None and revocations is not None and revocations.due():
        # Sessions ended by another process since the last look: at most one read a second.
        await revocations.catch_up()
        principal = verifier.verify_known(token, purpose)
    return principal


def purpose_of(header: str | None) -> str | None:
    """Why an officer or a service reads, as stored with every audit record: UTF-8 text on one line,
    at most MAX_PURPOSE characters."""
    if not header:
        return None
    try:
        purpose = header.encode("latin-1").decode()  # Starlette hands header bytes over as Latin-1
    except UnicodeDecodeError:
        raise RequestRefused(400, Code.BAD_REQUEST, "X-Purpose must be UTF-8 text.", header="X-Purpose") from None
    if len(purpose) > MAX_PURPOSE:
        raise RequestRefused(
            400, Code.BAD_REQUEST, f"X-Purpose is longer than {MAX_PURPOSE} characters.", header="X-Purpose"
        )
    character = control_character(purpose, LINE_CONTROL)
    if character is not None:
        raise RequestRefused(
            400, Code.BAD_REQUEST, f"X-Purpose holds the control character {character}.", header="X-Purpose"
        )
    return purpose


def client_ip_of(
    request: Request, parsed: ParsedRequest, gateway: GatewaySignature | None, trusted_proxies: Sequence[Network]
) -> str | None:
    """A subgraph's client is the one its gateway vouches for (its peer is the gateway); the
    hub's is its peer, or what its trusted proxies say."""
    if gateway is None:
        peer = request.client.host if request.client else None
        return client_address(peer, request.headers.get("x-forwarded-for"), trusted_proxies)
    try:
        gateway.check(parsed.query, parsed.variables, parsed.extensions)
        return gateway.client(request.headers)
    except SignatureRefused as refused:
        raise RequestRefused(
            403, Code.GATEWAY_SIGNATURE_REQUIRED, f"This subgraph answers only the gateway: {refused}."
        ) from None
