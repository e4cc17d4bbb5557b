"""The transparency log's checkpoint notes and leaves, no database.

Signed notes are checked against known answers: the key and signature of the Go
module mirror's note package (golang.org/x/mod/sumdb/note, example "PeterNeumann";
Ed25519 signatures are deterministic, so signing its text with its key must give its
signature byte for byte) and the example of c2sp.org/signed-note.
"""

import base64
import hashlib
import json
from datetime import UTC, datetime

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from provenance.transparency import checkpoint as notes
from provenance.transparency import leaves, merkle
from provenance.transparency.checkpoint import CheckpointError

GO_SIGNER = (
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
)
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGU"
    "gYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
SPEC_VERIFIER = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6"
    "TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)


def go_private_key() -> Ed25519PrivateKey:
    material = base64.b64decode(GO_SIGNER.split("+", 4)[4])
    assert material[0] == notes.ED25519
    return Ed25519PrivateKey.from_private_bytes(material[1:])


def test_signing_reproduces_the_go_note_packages_known_answer():
    key = go_private_key()
    assert notes.verifier_key("PeterNeumann", key.public_key()) == GO_VERIFIER
    assert notes.key_id("PeterNeumann", key.public_key()).hex() == "c74f20a3"
    assert notes.sign_note(GO_TEXT, "PeterNeumann", key) == GO_NOTE


@pytest.mark.parametrize(
    ("vkey", "note", "text"),
    [
        (GO_VERIFIER, GO_NOTE, GO_TEXT),
        (SPEC_VERIFIER, SPEC_NOTE, "This is an example message.\n"),
    ],
)
def test_known_notes_open_with_their_verifier_keys(vkey, note, text):
    name, public_key = notes.load_verifier_key(vkey)
    assert notes.open_note(note, name=name, public_key=public_key) == text
    # One changed character of the text, and the signature no longer holds.
    with pytest.raises(CheckpointError):
        notes.open_note(note.replace("a", "b", 1), name=name, public_key=public_key)


def test_a_note_signed_by_another_key_or_name_is_rejected():
    name, public_key = notes.load_verifier_key(GO_VERIFIER)
    with pytest.raises(CheckpointError, match="no signature"):
        notes.open_note(SPEC_NOTE, name=name, public_key=public_key)
    impostor = notes.sign_note(GO_TEXT, "PeterNeumann", Ed25519PrivateKey.generate())
    with pytest.raises(CheckpointError, match="no signature"):
        notes.open_note(impostor, name=name, public_key=public_key)
    with pytest.raises(CheckpointError):
        notes.load_verifier_key(GO_VERIFIER.replace("c74f20a3", "c74f20a4"))


def test_a_checkpoint_round_trips_with_its_timestamp_and_verifies():
    key = Ed25519PrivateKey.generate()
    root = merkle.leaf_hash(b"x")
    when = datetime(2026, 12, 2, 10, 15, 30, tzinfo=UTC)
    text = notes.checkpoint_text("touchstone.test/log", 42, root, timestamp=when)
    assert text == (
        "touchstone.test/log\n42\n"
        + base64.b64encode(root).decode()
        + "\nTimestamp: 1796206530\n"
    )
    note = notes.sign_note(text, "touchstone.test/log", key)
    assert note.startswith(text + "\n— touchstone.test/log ")
    opened = notes.open_checkpoint(
        note, name="touchstone.test/log", public_key=key.public_key()
    )
    assert (opened.origin, opened.tree_size, opened.root_hash) == (
        "touchstone.test/log",
        42,
        root,
    )
    assert opened.timestamp == when
    # Signed under another name: the right key, but not this log's checkpoint.
    other = notes.sign_note(text, "elsewhere/log", key)
    with pytest.raises(CheckpointError, match="for log"):
        notes.open_checkpoint(other, name="elsewhere/log", public_key=key.public_key())


@pytest.mark.parametrize(
    "note",
    [
        "",
        "origin\n1\n",  # no signature block
        "origin\n01\nAAAA\n\n— origin AAAAAAAA\n",  # leading zero
        "origin\n1\nnot base64!\n\n— origin AAAAAAAA\n",
        "origin\n1\nAAAA\n\n— origin AAAAAAAA\n",  # a root of 3 bytes
        "origin\n1\n\n\n— origin AAAAAAAA\n",  # an empty line in the text
        "origin\n1\r\n" + "A" * 44 + "\n\n— origin AAAAAAAA\n",  # a control character
        "origin\n1\n" + "A" * 43 + "=\n\n- origin AAAAAAAA\n",  # not an em dash
    ],
)
def test_malformed_checkpoints_are_refused(note):
    with pytest.raises(CheckpointError):
        notes.parse_checkpoint(note)


# --- Leaves ------------------------------------------------------------------------------

RECORDED = datetime(2026, 12, 2, 10, 15, 30, 123456, tzinfo=UTC)


def test_a_leaf_is_rfc_8785_canonical_json():
    fields = {
        "kind": leaves.EVENT,
        "object_type": "trace_event",
        "object_id": 42,
        "hash": "ab" * 32,
        "recorded_at": RECORDED,
    }
    data = leaves.leaf_bytes(**fields)
    assert data == rfc8785.dumps(leaves.leaf_content(**fields))
    assert data == (
        b'{"format":1,"hash":"' + b"ab" * 32 + b'","kind":"event",'
        b'"object":"trace_event/42","recorded_at":"2026-12-02T10:15:30.123456Z"}'
    )


def test_record_contents_hash_as_rfc_8785_too():
    decision = {
        "nonce": "9f" * 16,
        "id": 7,
        "record": "provenance.materiallot/3",
        "action": "reject",
        "from": "in_review",
        "to": "rejected",
        "actor": 12,
        "reason": "Le certificat a expiré — «refusé»\n",
        "at": leaves.utc_text(RECORDED),
    }
    assert leaves.record_hash(decision) == (
        hashlib.sha256(rfc8785.dumps(decision)).hexdigest()
    )


def test_changed_fields_names_the_paths_that_differ():
    logged = {"a": 1, "items": [{"lot": {"origin_type": "mined"}}], "b": [1, 2]}
    current = {"a": 1, "items": [{"lot": {"origin_type": "recycled"}}], "b": [1]}
    assert leaves.changed_fields(logged, current) == ["b", "items[0].lot.origin_type"]
    assert leaves.changed_fields(logged, json.loads(json.dumps(logged))) == []
