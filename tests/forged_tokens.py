"""Tokens an attacker could make from what a part that does not sign holds: its public keys, its
secrets, and keys of their own. Every part must refuse each of them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping

import jwt
import orjson

from hub.access.keys import SigningKey, public_jwk


def _part(value: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).rstrip(b"=").decode()


def hs256(header: Mapping[str, object], claims: Mapping[str, object], secret: bytes) -> str:
    """Written out: PyJWT refuses to key HMAC with a PEM, which is the point of the attack."""
    signing_input = f"{_part({**header, 'alg': 'HS256'})}.{_part(claims)}"
    signature = hmac.digest(secret, signing_input.encode(), hashlib.sha256)
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def officer_claims(sector: str) -> dict[str, object]:
    now = int(time.time())
    return {"iss": "rabt", "iat": now, "exp": now + 600, "role": "officer", "sub": "1000000008", "sector": sector}


def forgeries(claims: Mapping[str, object], kid: str, held: Mapping[str, str]) -> dict[str, str]:
    """Every token forged for `claims` under the genuine `kid`, from the `held` values (name ->
    text: secrets, public keys as PEM or JWKS, passwords)."""
    stranger = SigningKey.generate()
    header = {"typ": "JWT", "kid": kid}
    made = {
        "alg none": f"{_part({**header, 'alg': 'none'})}.{_part(claims)}.",
        "a key of one's own under the genuine kid": jwt.encode(dict(claims), stranger.private, "ES256", header),
        "a key of one's own, its jwk embedded": jwt.encode(
            dict(claims), stranger.private, "ES256", {"kid": stranger.kid, "jwk": public_jwk(stranger.public)}
        ),
        "a key of one's own, without kid": jwt.encode(dict(claims), stranger.private, "ES256"),
    }
    for name, value in held.items():
        made[f"HS256 keyed with {name}"] = hs256(header, claims, value.encode())
    return made
