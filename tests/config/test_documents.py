"""Uploaded PDFs are rewritten: metadata, script and trailing payloads do not survive,
and a file that cannot be parsed is refused with a field error, storing nothing."""

import io

import pikepdf
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from config.documents import sanitise_pdf
from provenance.models import Evidence
from tests import factories
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

POLYGLOT_TAIL = b"\n<html><script>alert(document.cookie)</script></html>\n"


def _open(data: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(data))


def test_metadata_script_and_trailing_html_are_removed():
    original = factories.pdf_bytes(
        author="Jane Q. Maker, 12 Hidden Lane",
        script="app.alert('hello')",
        trailing=POLYGLOT_TAIL,
    )
    for needle in (b"Jane Q. Maker", b"app.alert", b"<script>"):
        assert needle in original
    cleaned = sanitise_pdf(original)
    for needle in (b"Jane Q. Maker", b"app.alert", b"<script>", b"JavaScript"):
        assert needle not in cleaned
    with _open(cleaned) as pdf:
        assert len(pdf.pages) == 1
        assert "/OpenAction" not in pdf.Root
        assert "/Info" not in pdf.trailer


def test_script_on_a_link_and_an_embedded_file_are_removed():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].Annots = pikepdf.Array(
        [
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Link,
                Rect=[0, 0, 10, 10],
                A=pikepdf.Dictionary(S=pikepdf.Name.Launch, F="calc.exe"),
            )
        ]
    )
    pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ payload")
    buffer = io.BytesIO()
    pdf.save(buffer, compress_streams=False)
    assert b"calc.exe" in buffer.getvalue()
    cleaned = sanitise_pdf(buffer.getvalue())
    assert b"calc.exe" not in cleaned and b"MZ payload" not in cleaned
    with _open(cleaned) as result:
        assert len(result.attachments) == 0
        assert "/A" not in result.pages[0].Annots[0]


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",  # no pages, no xref
        b"%PDF-1.7\n" + b"\x00" * 64,
        b"<html>not a pdf</html>",
    ],
)
def test_an_unreadable_pdf_is_refused(data):
    with pytest.raises(ValidationError):
        sanitise_pdf(data)


def test_an_encrypted_pdf_is_refused():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    buffer = io.BytesIO()
    pdf.save(buffer, encryption=pikepdf.Encryption(owner="o", user="u"))
    with pytest.raises(ValidationError, match="encrypted"):
        sanitise_pdf(buffer.getvalue())


def test_api_evidence_upload_stores_the_rewrite_and_refuses_a_broken_file():
    mark = factories.MakerMarkFactory()
    client = api_client_for(mark.artisan.user)
    url = reverse("api:maker-mark-evidence", args=[mark.pk])
    broken = SimpleUploadedFile("broken.pdf", b"%PDF-1.4\nnot really\n%%EOF\n")
    response = client.post(url, {"file": broken}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()
    assert not Evidence.objects.exists()
    upload = factories.pdf_upload("deed.pdf", author="Secret Author", script="x()")
    response = client.post(url, {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    stored = Evidence.objects.get()
    data = stored.file.read()
    assert b"Secret Author" not in data and b"x()" not in data
    assert stored.file.name.endswith(".pdf") and "deed" not in stored.file.name


def test_html_evidence_form_shows_the_refusal(client):
    mark = factories.MakerMarkFactory()
    client.force_login(mark.artisan.user)
    url = reverse("artisans:studio-mark-evidence", kwargs={"pk": mark.pk})
    bad = SimpleUploadedFile("bad.pdf", b"%PDF-1.4 nothing", "application/pdf")
    response = client.post(url, {"file": bad})
    assert response.status_code == 400
    assert b"could not be read" in response.content
    assert not Evidence.objects.exists()
