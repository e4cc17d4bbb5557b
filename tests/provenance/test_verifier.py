"""The standalone verifier (provenance/verifier.py): standard library and cryptography
only, run against every demo export and against exports altered in each way."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from marketplace import demo
from provenance import signing, verifier
from provenance.models import Certificate

pytestmark = pytest.mark.django_db

SCRIPT = Path(settings.BASE_DIR) / "provenance" / "verifier.py"


def _export(client, certificate) -> dict:
    response = client.get(reverse("api:certificate-detail", args=[certificate.code]))
    assert response.status_code == 200
    return response.json()


def _keys(client) -> list[dict]:
    return client.get(reverse("api:certificate-keys")).json()["keys"]


def _resign(document: dict) -> dict:
    """What a dishonest server would do: alter the payload and sign it again."""
    document["signature"]["value"] = signing.sign(document["payload"])["signature"][
        "value"
    ]
    return document


def test_every_demo_export_verifies_but_the_tampered_one(client):
    demo.seed()
    keys = _keys(client)
    reports = {
        certificate.code: verifier.verify(_export(client, certificate), keys)
        for certificate in Certificate.objects.all()
    }
    assert len(reports) >= 20
    failed = {code: r for code, r in reports.items() if not r.ok}
    assert len(failed) == 1
    (report,) = failed.values()
    assert (
        "transformation" in report.problems[0]
        and "does not match its hash" in (report.problems[0])
    )


def test_the_script_runs_without_django(client, piece, tmp_path):
    listing, _lot = piece
    export = tmp_path / "certificate.json"
    export.write_text(json.dumps(_export(client, listing.certificate)))
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"keys": _keys(client)}))
    run = subprocess.run(
        [sys.executable, "-I", str(SCRIPT), str(export), "--key-set", str(keys)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"OK: certificate {listing.certificate.code}")
    probe = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            "import runpy, sys; runpy.run_path(sys.argv[1]); "
            "print('django' in sys.modules)",
            str(SCRIPT),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "False"
    keys.write_text(json.dumps({"keys": []}))
    refused = subprocess.run(
        [sys.executable, "-I", str(SCRIPT), str(export), "--key-set", str(keys)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 1 and "not in the key set" in refused.stderr


@pytest.mark.parametrize(
    ("alter", "expected"),
    [
        (lambda p: p["piece"]["metals"][0].update(fineness=999), "metals[0].fineness"),
        (
            lambda p: p["piece"]["metals"][0].update(weight_grams="45.000"),
            "metals[0].weight_grams",
        ),
        (lambda p: p["events"].pop(), "does not end at its recorded head"),
        (
            lambda p: p["events"][1]["content"].update(note="forged"),
            "event 2",
        ),
        (lambda p: p.update(owner="Owner 0000·0000"), "owner's label"),
        (
            lambda p: p["events"][0]["log"].update(
                leaf_index=p["events"][0]["log"]["leaf_index"] + 1
            ),
            "inclusion proof does not hold",
        ),
        (lambda p: p.pop("log"), "no transparency log checkpoint"),
    ],
)
def test_an_export_altered_and_re_signed_is_caught(client, piece, alter, expected):
    listing, _lot = piece
    document = _export(client, listing.certificate)
    keys = _keys(client)
    assert verifier.verify(document, keys).ok
    alter(document["payload"])
    report = verifier.verify(_resign(document), keys)
    assert not report.ok
    assert expected in " ".join(report.problems)


def test_an_altered_export_without_a_new_signature_is_caught(client, piece):
    listing, _lot = piece
    document = _export(client, listing.certificate)
    document["payload"]["code"] = "ANOTHER"
    report = verifier.verify(document, _keys(client))
    assert "signature does not match" in " ".join(report.problems)
