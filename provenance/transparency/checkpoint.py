"""Checkpoints of the transparency log: C2SP signed notes (c2sp.org/tlog-checkpoint).

A checkpoint is a note whose text is the log's origin, its tree size in decimal and its
root hash in base64, one per line, here followed by one extension line, the time it was
signed (``Timestamp: <POSIX seconds>``, as Sigstore's Rekor wrote it). After a blank
line come signature lines (c2sp.org/signed-note)::

    touchstone.example/log
    1024
    3rYtqCBIU7ZK+nNMaRUgOUq7l0TMrqCFw9ZzzCm9b1E=
    Timestamp: 1764672000

    — touchstone.example/log Bb2U1fSvg2r…

Each signature line is an em dash, a space, the key name, a space, and the base64 of a
4-byte key ID followed by the Ed25519 signature of the note text (every line up to and
including the newline before the blank line). The key ID is the first four bytes of
``SHA-256(key name || 0x0A || 0x01 || 32-byte public key)``; the key name is the
origin. A verifier is configured with the name and public key (``verifier_key`` writes
both as a C2SP *vkey*), ignores signature lines of other keys, and rejects the note
unless a signature of its key verifies.

Only the standard library and ``cryptography`` are used, so an offline verifier can use
this module without Django.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

ED25519 = 0x01  # the signed-note signature type of Ed25519
EM_DASH = "\u2014"
TIMESTAMP_PREFIX = "Timestamp: "
MAX_SIGNATURES = 16
MAX_NOTE_BYTES = 16_384
_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")
_NAME = re.compile(r"[^\s+]+")


class CheckpointError(ValueError):
    """A note that is not a well-formed checkpoint, or whose signature does not hold."""


@dataclass(frozen=True)
class Checkpoint:
    """The parsed text of a checkpoint."""

    origin: str
    tree_size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()
    signatures: tuple[tuple[str, bytes], ...] = field(default=(), compare=False)

    @property
    def timestamp(self) -> datetime | None:
        """The time of the ``Timestamp:`` extension line, if there is one."""
        for line in self.extensions:
            if line.startswith(TIMESTAMP_PREFIX):
                value = line[len(TIMESTAMP_PREFIX) :]
                if _SIZE.fullmatch(value):
                    return datetime.fromtimestamp(int(value), tz=UTC)
        return None


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte key ID of an Ed25519 note key (c2sp.org/signed-note)."""
    _check_name(name)
    material = (
        name.encode("utf-8") + b"\n" + bytes([ED25519]) + raw_public_key(public_key)
    )
    return hashlib.sha256(material).digest()[:4]


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """The key as a C2SP vkey: ``<name>+<hex key ID>+<base64(0x01 || public key)>``."""
    encoded = base64.b64encode(bytes([ED25519]) + raw_public_key(public_key))
    return f"{name}+{key_id(name, public_key).hex()}+{encoded.decode('ascii')}"


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise CheckpointError(
            "a key name or origin must be non-empty, without spaces or +"
        )


def checkpoint_text(
    origin: str, tree_size: int, root_hash: bytes, *, timestamp: datetime | None = None
) -> str:
    """The note text of a checkpoint (ending in a newline), with its timestamp line."""
    _check_name(origin)
    if len(root_hash) != 32 or tree_size < 0:
        raise CheckpointError("a checkpoint needs a 32-byte root and a tree size >= 0")
    lines = [origin, str(tree_size), base64.b64encode(root_hash).decode("ascii")]
    if timestamp is not None:
        lines.append(f"{TIMESTAMP_PREFIX}{int(timestamp.timestamp())}")
    return "\n".join(lines) + "\n"


def sign_note(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """The signed note: the text, a blank line and one Ed25519 signature line."""
    if not text.endswith("\n"):
        raise CheckpointError("a note's text ends in a newline")
    signature = private_key.sign(text.encode("utf-8"))
    value = base64.b64encode(key_id(name, private_key.public_key()) + signature)
    return f"{text}\n{EM_DASH} {name} {value.decode('ascii')}\n"


def split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """A signed note's text and its signatures as ``(key name, key ID + signature)``.

    Checks the note's form only; no signature is verified here.
    """
    if not isinstance(note, str) or len(note.encode("utf-8")) > MAX_NOTE_BYTES:
        raise CheckpointError("the note is not text, or is too long")
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise CheckpointError("the note holds control characters")
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise CheckpointError("the note has no signature block")
    text, block = note[: cut + 1], note[cut + 2 :]
    signatures = []
    for line in block[:-1].split("\n"):
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != EM_DASH:
            raise CheckpointError(f"malformed signature line {line!r}")
        _check_name(parts[1])
        try:
            value = base64.b64decode(parts[2], validate=True)
        except binascii.Error as error:
            raise CheckpointError("a signature is not base64") from error
        if len(value) < 5:
            raise CheckpointError("a signature is too short")
        signatures.append((parts[1], value))
    if not signatures or len(signatures) > MAX_SIGNATURES:
        raise CheckpointError("a note carries 1 to 16 signatures")
    return text, signatures


def parse_checkpoint(note: str) -> Checkpoint:
    """The origin, size, root and extension lines of a signed checkpoint note, and its
    signatures; checks the form only (``open_checkpoint`` verifies the signature)."""
    text, signatures = split_note(note)
    lines = text[:-1].split("\n")
    if len(lines) < 3 or not all(lines):
        raise CheckpointError("a checkpoint has at least three non-empty lines")
    origin, size, root = lines[0], lines[1], lines[2]
    _check_name(origin)
    if not _SIZE.fullmatch(size):
        raise CheckpointError(f"the tree size {size!r} is not a decimal number")
    try:
        root_hash = base64.b64decode(root, validate=True)
    except binascii.Error as error:
        raise CheckpointError("the root hash is not base64") from error
    if len(root_hash) != 32:
        raise CheckpointError("the root hash is not 32 bytes")
    return Checkpoint(
        origin=origin,
        tree_size=int(size),
        root_hash=root_hash,
        extensions=tuple(lines[3:]),
        signatures=tuple(signatures),
    )


def open_note(note: str, *, name: str, public_key: Ed25519PublicKey) -> str:
    """The text of a signed note whose signature by (``name``, ``public_key``)
    verifies; ``CheckpointError`` if there is none, or if one fails."""
    text, signatures = split_note(note)
    wanted = key_id(name, public_key)
    ours = [
        value[4:]
        for signer, value in signatures
        if signer == name and value[:4] == wanted
    ]
    if not ours:
        raise CheckpointError(f"the note carries no signature of key {name}")
    for signature in ours:
        try:
            public_key.verify(signature, text.encode("utf-8"))
        except InvalidSignature as error:
            raise CheckpointError(f"the signature of {name} does not verify") from error
    return text


def load_verifier_key(vkey: str) -> tuple[str, Ed25519PublicKey]:
    """The name and Ed25519 public key of a C2SP vkey (``name+hex ID+base64 key``)."""
    try:
        name, hex_id, encoded = vkey.split("+", 2)
        material = base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error) as error:
        raise CheckpointError("not a verifier key") from error
    if len(material) != 33 or material[0] != ED25519:
        raise CheckpointError("not an Ed25519 verifier key")
    public_key = Ed25519PublicKey.from_public_bytes(material[1:])
    if key_id(name, public_key).hex() != hex_id:
        raise CheckpointError("the verifier key's ID does not match its key")
    return name, public_key


def open_checkpoint(
    note: str, *, name: str, public_key: Ed25519PublicKey
) -> Checkpoint:
    """Parse a checkpoint and verify it: a signature of (``name``, ``public_key``) must
    verify, and the origin must be ``name``. Raises ``CheckpointError`` otherwise."""
    checkpoint = parse_checkpoint(note)
    open_note(note, name=name, public_key=public_key)
    if checkpoint.origin != name:
        raise CheckpointError(
            f"the checkpoint is for log {checkpoint.origin!r}, not {name!r}"
        )
    return checkpoint
