"""Safe PDF uploads: every stored PDF is a fresh rewrite of a parsed upload.

The upload is parsed with pikepdf (qpdf) and written out again from its object graph:
bytes before the header or after the last cross-reference (the usual HTML/JS polyglot)
are not objects and do not survive. On the way, everything that carries identity or
behaviour is removed: the document information dictionary and XMP metadata, JavaScript,
open actions and additional actions, launch/submit/import actions on links and fields,
embedded files and XFA forms. Encrypted or unparseable files are refused; the original
upload is never stored.
"""

import io

import pikepdf
from django.core.exceptions import ValidationError

MAX_PAGES = 200

# Keys that hold script, automatic actions, attached files or metadata, wherever they are.
_DROPPED_KEYS = (
    "/AA",
    "/OpenAction",
    "/JS",
    "/JavaScript",
    "/EmbeddedFiles",
    "/EmbeddedFile",
    "/XFA",
    "/Metadata",
    "/PieceInfo",
    "/URI",
)
# An action a link may keep: moving within the document.
_KEPT_ACTIONS = {"/GoTo"}


def _refuse(message: str, code: str):
    raise ValidationError(message, code=code)


def _strip(obj) -> None:
    for key in _DROPPED_KEYS:
        if key in obj:
            del obj[key]
    action = obj.get("/A")
    if isinstance(action, pikepdf.Dictionary) and action.get("/S") not in _KEPT_ACTIONS:
        del obj["/A"]


def _walk(obj, depth: int = 0) -> None:
    """Strip ``obj`` and the direct objects nested in it (indirect ones are visited as
    objects of their own)."""
    if depth > 32:
        _refuse("This PDF is nested too deeply to be checked.", "invalid_pdf")
    if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
        _strip(obj)
        children = [value for _, value in obj.items()]
    elif isinstance(obj, pikepdf.Array):
        children = list(obj)
    else:
        return
    for child in children:
        if isinstance(child, pikepdf.Object) and not child.is_indirect:
            _walk(child, depth + 1)


def sanitise_pdf(data: bytes) -> bytes:
    """Return a rewritten, metadata- and script-free copy of a PDF, or refuse it."""
    if not data.startswith(b"%PDF-"):
        _refuse("Upload a PDF document; this file is not one.", "invalid_pdf")
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if pdf.is_encrypted:
                _refuse(
                    "This PDF is encrypted or password-protected; upload an open copy.",
                    "encrypted_pdf",
                )
            if len(pdf.pages) > MAX_PAGES:
                _refuse(
                    f"This PDF has {len(pdf.pages)} pages; the limit is {MAX_PAGES}.",
                    "too_many_pages",
                )
            if "/Info" in pdf.trailer:
                del pdf.trailer["/Info"]
            _walk(pdf.Root)
            for obj in pdf.objects:
                _walk(obj)
            output = io.BytesIO()
            pdf.save(
                output,
                fix_metadata_version=False,
                deterministic_id=True,
                object_stream_mode=pikepdf.ObjectStreamMode.generate,
            )
    except pikepdf.PasswordError:
        _refuse(
            "This PDF is encrypted or password-protected; upload an open copy.",
            "encrypted_pdf",
        )
    except (pikepdf.PdfError, RecursionError, ValueError, OSError):
        _refuse("This PDF could not be read; upload an intact PDF.", "invalid_pdf")
    return output.getvalue()
