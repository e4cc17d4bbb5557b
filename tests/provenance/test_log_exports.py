"""Certificate exports carry each event's leaf and inclusion proof in the transparency
log, and the checkpoint they are proven against; the offline check verifies them."""

import copy
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command
from django.urls import reverse

from provenance import signing
from provenance.models import Checkpoint, LogLeaf
from provenance.services.exports import verify_export
from provenance.services.transparency import log_origin
from provenance.transparency.checkpoint import checkpoint_text, sign_note

pytestmark = pytest.mark.django_db


@pytest.fixture
def exported(client, piece):
    listing, _lot = piece
    response = client.get(
        reverse("api:certificate-detail", args=[listing.certificate.code])
    )
    assert response.status_code == 200
    return response.json()


def _check(document):
    return verify_export(document, signing.private_key().public_key())


def _resigned(document):
    return signing.sign(document["payload"])


def test_an_export_proves_each_event_in_a_checkpoint_it_carries(exported):
    payload = exported["payload"]
    assert payload["version"] == 7
    # The export found its leaves waiting, integrated them and published a checkpoint.
    assert LogLeaf.objects.waiting().count() == 0
    checkpoint = Checkpoint.objects.get()
    assert payload["log"] == {
        "origin": log_origin(),
        "tree_size": checkpoint.tree_size,
        "checkpoint": checkpoint.note,
        "events_not_in_chain": [],
    }
    for entry in payload["events"]:
        leaf = json.loads(entry["log"]["leaf"])
        assert leaf["hash"] == entry["hash"] and leaf["kind"] == "event"
        assert leaf["object"] == f"trace_event/{entry['content']['id']}"
    check = _check(exported)
    assert check.ok and check.log_ok, check.problems


def test_a_later_export_reuses_the_checkpoint_that_covers_it(client, exported, piece):
    listing, _lot = piece
    again = client.get(
        reverse("api:certificate-detail", args=[listing.certificate.code])
    )
    assert again.json()["payload"]["log"] == exported["payload"]["log"]
    assert Checkpoint.objects.count() == 1


def test_a_forged_inclusion_proof_is_rejected(exported):
    document = copy.deepcopy(exported)
    proof = document["payload"]["events"][1]["log"]["inclusion_proof"]
    proof[0] = ("0" if proof[0][0] != "0" else "1") + proof[0][1:]
    check = _check(_resigned(document))
    assert check.chain_ok and not check.log_ok and not check.ok
    assert "Event 2: its inclusion proof does not verify" in " ".join(check.problems)


def test_a_leaf_for_another_hash_is_rejected(exported):
    document = copy.deepcopy(exported)
    events = document["payload"]["events"]
    events[0]["log"], events[1]["log"] = events[1]["log"], events[0]["log"]
    check = _check(_resigned(document))
    assert not check.log_ok
    assert "Event 1: its log leaf names another record or hash" in " ".join(
        check.problems
    )


def test_a_checkpoint_not_signed_by_the_platform_is_rejected(exported):
    document = copy.deepcopy(exported)
    log = document["payload"]["log"]
    text = log["checkpoint"].split("\n\n")[0] + "\n"
    log["checkpoint"] = sign_note(text, log["origin"], Ed25519PrivateKey.generate())
    check = _check(_resigned(document))
    assert not check.log_ok
    assert "The log checkpoint does not verify" in " ".join(check.problems)


def test_an_export_without_its_log_is_rejected(exported):
    document = copy.deepcopy(exported)
    document["payload"]["log"] = None
    check = _check(_resigned(document))
    assert not check.log_ok
    assert "carries no transparency log checkpoint" in " ".join(check.problems)


def test_a_checkpoint_smaller_than_the_leaves_is_rejected(exported):
    document = copy.deepcopy(exported)
    log = document["payload"]["log"]
    root = bytes(32)
    log["checkpoint"] = sign_note(
        checkpoint_text(log["origin"], 1, root), log["origin"], signing.private_key()
    )
    check = _check(_resigned(document))
    assert not check.log_ok


def test_the_offline_command_reports_a_forged_proof(exported, tmp_path, capsys):
    document = copy.deepcopy(exported)
    document["payload"]["events"][0]["log"]["leaf_index"] += 1
    path = tmp_path / "export.json"
    path.write_text(json.dumps(_resigned(document)))
    with pytest.raises(CommandError):
        call_command("verify_certificate", str(path))
    assert "Event 1: its inclusion proof does not verify" in capsys.readouterr().err
    path.write_text(json.dumps(exported))
    call_command("verify_certificate", str(path))
