"""The key set: keys rotate, retired keys are kept, and every export verifies forever
with the key it names, if that key was current when the export was made."""

import base64
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from provenance import signing
from provenance.hashing import canonical_json
from provenance.models import SigningKey
from provenance.services.exports import verify_export_with_key_set

pytestmark = pytest.mark.django_db


def _export(client, listing) -> dict:
    response = client.get(
        reverse("api:certificate-detail", args=[listing.certificate.code])
    )
    assert response.status_code == 200
    return response.json()


def _keys(client) -> list[dict]:
    response = client.get(reverse("api:certificate-keys"))
    assert response.status_code == 200
    return response.json()["keys"]


def test_the_key_set_names_the_current_key(client):
    keys = _keys(client)
    assert len(keys) == 1
    assert keys[0]["status"] == "current" and keys[0]["retired_at"] is None
    public = client.get(reverse("api:certificate-public-key")).json()
    assert keys[0]["key_id"] == public["key_id"]
    assert keys[0]["public_key_pem"] == public["public_key_pem"]


def test_exports_verify_across_a_rotation(client, piece, settings, tmp_path):
    listing, _lot = piece
    before = _export(client, listing)
    old_key = signing.private_key()
    call_command("rotate_signing_key", "--write", str(tmp_path / "signing_key.pem"))
    assert (tmp_path / "signing_key.pem").read_text() == settings.TOUCHSTONE_SIGNING_KEY
    after = _export(client, listing)
    assert before["signature"]["key_id"] != after["signature"]["key_id"]
    keys = _keys(client)
    assert [k["status"] for k in keys] == ["retired", "current"]
    # Both exports verify with the published key set, each with the key it names.
    assert verify_export_with_key_set(before, keys).ok
    assert verify_export_with_key_set(after, keys).ok
    # The retired key can no longer make an export that verifies.
    forged = json.loads(json.dumps(before["payload"]))
    forged["exported_at"] = timezone.now().isoformat()
    late = {
        "payload": forged,
        "signature": {
            **before["signature"],
            "value": base64.b64encode(old_key.sign(canonical_json(forged))).decode(),
        },
    }
    check = verify_export_with_key_set(late, keys)
    assert not check.ok and "after it was retired" in " ".join(check.problems)


def test_an_unknown_key_is_refused(client, piece):
    listing, _lot = piece
    document = _export(client, listing)
    document["signature"]["key_id"] = "0" * 16
    check = verify_export_with_key_set(document, _keys(client))
    assert not check.ok and "not in the key set" in " ".join(check.problems)


def test_a_retired_key_does_not_sign_again(client, piece, settings, tmp_path):
    listing, _lot = piece
    old_pem = settings.TOUCHSTONE_SIGNING_KEY
    _export(client, listing)
    call_command("rotate_signing_key", "--write", str(tmp_path / "key.pem"))
    settings.TOUCHSTONE_SIGNING_KEY = old_pem
    response = client.get(
        reverse("api:certificate-detail", args=[listing.certificate.code])
    )
    assert response.status_code == 503
    assert SigningKey.objects.filter(retired_at__isnull=True).count() == 1


def test_the_offline_command_takes_the_key_set(client, piece, tmp_path, capsys):
    listing, _lot = piece
    document = _export(client, listing)
    export = tmp_path / "certificate.json"
    export.write_text(json.dumps(document))
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"keys": _keys(client)}))
    call_command("verify_certificate", str(export), "--key-set", str(keys))
    assert "OK: certificate" in capsys.readouterr().out
    keys.write_text(json.dumps({"keys": []}))
    with pytest.raises(CommandError, match="FAILED"):
        call_command("verify_certificate", str(export), "--key-set", str(keys))
