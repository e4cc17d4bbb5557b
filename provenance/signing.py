"""The platform's Ed25519 signature over exported certificates (their canonical JSON).

The private key comes from ``settings.TOUCHSTONE_SIGNING_KEY`` (a PEM string, usually from
the environment). In development and tests settings generate one into the git-ignored
``.local/`` folder. Verification needs only the public key, so an export can be checked
offline by anyone (``manage.py verify_certificate``).
"""

import base64
import hashlib
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from provenance.hashing import canonical_json

ALGORITHM = "Ed25519"


def generate_private_key_pem() -> str:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def load_private_key(pem: str) -> Ed25519PrivateKey:
    """An Ed25519 private key from its PEM text."""
    return _load_private_key(pem)


@lru_cache(maxsize=4)
def _load_private_key(pem: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured("TOUCHSTONE_SIGNING_KEY must be an Ed25519 key.")
    return key


def private_key() -> Ed25519PrivateKey:
    pem = getattr(settings, "TOUCHSTONE_SIGNING_KEY", "")
    if not pem:
        raise ImproperlyConfigured(
            "Set TOUCHSTONE_SIGNING_KEY to an Ed25519 private key (PEM) to sign certificates."
        )
    return _load_private_key(pem)


def public_key_pem(key: Ed25519PublicKey | None = None) -> str:
    key = key or private_key().public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def key_id(key: Ed25519PublicKey | None = None) -> str:
    """The first 16 hex digits of the SHA-256 of the raw public key."""
    key = key or private_key().public_key()
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(payload: dict) -> dict:
    """Wrap a payload with its Ed25519 signature over the payload's canonical JSON."""
    signature = private_key().sign(canonical_json(payload))
    return {
        "payload": payload,
        "signature": {
            "algorithm": ALGORITHM,
            "key_id": key_id(),
            "value": base64.b64encode(signature).decode("ascii"),
        },
    }


def load_public_key(pem: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode("ascii"))
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("The public key is not an Ed25519 key.")
    return key


def verify_signature(document: dict, public_key: Ed25519PublicKey) -> bool:
    """True when the document's signature matches its payload under ``public_key``."""
    try:
        signature = document["signature"]
        if signature.get("algorithm") != ALGORITHM:
            return False
        value = base64.b64decode(signature["value"], validate=True)
        public_key.verify(value, canonical_json(document["payload"]))
    except (InvalidSignature, KeyError, TypeError, ValueError, AttributeError):
        return False
    return True
