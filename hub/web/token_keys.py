"""The keys access tokens are signed and checked with, and where a part publishes its own."""

from __future__ import annotations

import os

from hub.access.keys import BadKey, load_signing_key, read_jwks
from hub.access.tokens import PublicKeys, TokenIssuer, TokenVerifier
from hub.api.federation import FIRST_SUBGRAPH_PORT
from hub.settings import Settings, SettingsError

JWKS_PATH = "/.well-known/jwks.json"
DEMO_JWKS_URL = f"http://127.0.0.1:{FIRST_SUBGRAPH_PORT}{JWKS_PATH}"
"""Where a subgraph that does not sign fetches token keys on the embedded demo: the local identity subgraph."""


def token_keys(settings: Settings, *, signs: bool) -> tuple[TokenIssuer | None, TokenVerifier]:
    """The signer (where people sign in) and the verifier of access tokens. The verifier accepts
    the signer's own key, the keys of RABT_TOKEN_PUBLIC_KEYS, and those RABT_TOKEN_JWKS_URL
    publishes; a part that does not sign and is given neither fetches the local identity
    subgraph's on the embedded demo, and refuses to start in production."""
    try:
        fixed = read_jwks(settings.token_public_keys) if settings.token_public_keys else {}
    except BadKey as error:
        raise SettingsError(f"RABT_TOKEN_PUBLIC_KEYS: {error}") from None
    signer = None
    if signs:
        try:
            key = load_signing_key(settings.data_dir, os.environ, generate=not settings.is_production)
        except BadKey as error:
            raise SettingsError(str(error)) from None
        signer = TokenIssuer(key)
        fixed[key.kid] = key.public
    url = settings.token_jwks_url
    if not fixed and url is None:
        if settings.is_production:
            raise SettingsError("RABT_TOKEN_JWKS_URL or RABT_TOKEN_PUBLIC_KEYS: the identity's public token keys")
        url = DEMO_JWKS_URL
    return signer, TokenVerifier(PublicKeys(fixed, url))
