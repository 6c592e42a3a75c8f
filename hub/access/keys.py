"""Token keys: ES256 (ECDSA P-256) key pairs, each named by its RFC 7638 JWK thumbprint (`kid`),
and sets of public keys as JWKS documents.

Only the part that signs people in holds a private key; every other part holds public keys only.
ES256 rather than EdDSA: measured here, a P-256 verification costs ~125 µs and an Ed25519 one
~160 µs (OpenSSL through `cryptography`)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ALGORITHM = "ES256"
CURVE = "P-256"
_COORDINATE = 32  # bytes of a P-256 coordinate


class BadKey(ValueError):
    """A key or key set that cannot be used: says what is wrong with it."""


PublicKey = ec.EllipticCurvePublicKey


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _coordinates(public: PublicKey) -> tuple[str, str]:
    numbers = public.public_numbers()
    return b64url(numbers.x.to_bytes(_COORDINATE, "big")), b64url(numbers.y.to_bytes(_COORDINATE, "big"))


def thumbprint(public: PublicKey) -> str:
    """RFC 7638: SHA-256 over the key's required members in lexicographic order, base64url."""
    x, y = _coordinates(public)
    canonical = f'{{"crv":"{CURVE}","kty":"EC","x":"{x}","y":"{y}"}}'
    return b64url(hashlib.sha256(canonical.encode("ascii")).digest())


def public_jwk(public: PublicKey) -> dict[str, str]:
    x, y = _coordinates(public)
    return {"kty": "EC", "crv": CURVE, "x": x, "y": y, "kid": thumbprint(public), "alg": ALGORITHM, "use": "sig"}


def public_key_from_jwk(jwk: Mapping[str, Any]) -> tuple[str, PublicKey]:
    """(kid, key) of a public P-256 JWK. A `kid` other than the key's thumbprint is refused: a
    verifier must never trust a name that does not follow from the key."""
    if jwk.get("kty") != "EC" or jwk.get("crv") != CURVE:
        raise BadKey(f"only EC {CURVE} keys are used (got kty={jwk.get('kty')!r}, crv={jwk.get('crv')!r})")
    if "d" in jwk:
        raise BadKey("a private key was given where only public keys belong")
    try:
        x, y = (int.from_bytes(b64url_decode(str(jwk[name])), "big") for name in ("x", "y"))
        public = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    except (KeyError, ValueError) as error:
        raise BadKey(f"not a valid {CURVE} public key: {error}") from None
    kid = thumbprint(public)
    if jwk.get("kid", kid) != kid:
        raise BadKey(f"kid {jwk.get('kid')!r} is not the key's thumbprint {kid!r}")
    return kid, public


def read_jwks(text: str | bytes) -> dict[str, PublicKey]:
    """The public keys of a JWKS document (`{"keys": [...]}`), by kid."""
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise BadKey(f"not JSON: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise BadKey('a JWKS document is {"keys": [...]}')
    return dict(public_key_from_jwk(jwk) for jwk in document["keys"])


def jwks(keys: Iterable[PublicKey]) -> dict[str, list[dict[str, str]]]:
    """A JWKS document of these public keys, in kid order."""
    return {"keys": sorted((public_jwk(key) for key in keys), key=lambda jwk: jwk["kid"])}


@dataclass(frozen=True)
class SigningKey:
    """A private key and its kid: what the signing part alone holds."""

    private: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_pem(cls, text: str) -> SigningKey:
        """A PKCS#8 PEM; a literal `\\n` stands for a line break (an environment variable's one line)."""
        try:
            private = serialization.load_pem_private_key(text.replace("\\n", "\n").encode("ascii"), password=None)
        except (ValueError, TypeError, UnicodeEncodeError) as error:
            raise BadKey(f"not a PEM private key: {error}") from None
        if not isinstance(private, ec.EllipticCurvePrivateKey) or private.curve.name != "secp256r1":
            raise BadKey(f"the signing key must be EC {CURVE} (ES256)")
        return cls(private)

    def to_pem(self) -> str:
        return self.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")

    @property
    def public(self) -> PublicKey:
        return self.private.public_key()

    @property
    def kid(self) -> str:
        return thumbprint(self.public)


SIGNING_KEY_FILE = "token-signing-key.pem"
PRIVATE_KEY_VARIABLE = "RABT_TOKEN_PRIVATE_KEY"


def load_signing_key(data_dir: Path, environ: Mapping[str, str], *, generate: bool) -> SigningKey:
    """The signing key in RABT_TOKEN_PRIVATE_KEY; without it, the one the embedded demo generated
    into its data directory on first start (mode 0600), generated now when `generate` allows."""
    if environ.get(PRIVATE_KEY_VARIABLE):
        try:
            return SigningKey.from_pem(environ[PRIVATE_KEY_VARIABLE])
        except BadKey as error:
            raise BadKey(f"{PRIVATE_KEY_VARIABLE}: {error}") from None
    path = data_dir / SIGNING_KEY_FILE
    if path.exists():
        return SigningKey.from_pem(path.read_text(encoding="ascii"))
    if not generate:
        raise BadKey(f"set {PRIVATE_KEY_VARIABLE} (a PKCS#8 PEM of an EC P-256 key: python -m hub token-key)")
    key = SigningKey.generate()
    data_dir.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=False)
    path.write_text(key.to_pem(), encoding="ascii")
    return key
