"""Private uploads, served only to whoever may see the record they belong to.

Each app lists its private file fields in its ``files`` module with ``register``: the
model, the fields, and the same object-level permission its pages use. A request for
``/files/<name>`` finds the one record holding that name and answers with the bytes if
the permission allows, and with the same 404 as a missing file otherwise. Responses are
never sniffed, never run script (a sandboxing CSP) and documents download rather than
open in the site's origin.
"""

import mimetypes
import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.db import models
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.utils.module_loading import autodiscover_modules
from django.views.decorators.http import require_safe
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from config.storage import RandomName

# Shown inline: images only (an <img> needs it); everything else is an attachment.
INLINE_TYPES = {"image/jpeg", "image/png", "image/webp"}
SANDBOX_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


@dataclass(frozen=True)
class PrivateField:
    model: type[models.Model]
    field: str
    can_view: Callable[[object, models.Model], bool]
    related: tuple[str, ...]
    download_name: Callable[[models.Model], str] | None

    @property
    def folder(self) -> str:
        upload_to = self.model._meta.get_field(self.field).upload_to
        if not isinstance(upload_to, RandomName):
            raise TypeError(
                f"{self.model.__name__}.{self.field} must store under a RandomName folder"
            )
        return upload_to.folder


_registry: list[PrivateField] = []
_discovered = False


def register(
    model,
    *fields: str,
    can_view: Callable,
    related: tuple[str, ...] = (),
    download_name: Callable | None = None,
) -> None:
    """Declare private file fields of ``model`` and who may read them.

    ``can_view(user, instance)`` is the record's own permission; ``related`` is passed to
    ``select_related`` so that it costs one query; ``download_name(instance)`` names a
    downloaded document.
    """
    for field in fields:
        _registry.append(PrivateField(model, field, can_view, related, download_name))


def registered() -> list[PrivateField]:
    """Every registered private field, longest folder first (a thumbs/ folder wins)."""
    global _discovered
    if not _discovered:
        autodiscover_modules("files")
        _discovered = True
    return sorted(_registry, key=lambda entry: len(entry.folder), reverse=True)


def _find(name: str):
    for entry in registered():
        folder = entry.folder + "/"
        if not name.startswith(folder) or "/" in name[len(folder) :]:
            continue
        instance = (
            entry.model._default_manager.select_related(*entry.related)
            .filter(**{entry.field: name})
            .first()
        )
        if instance is not None:
            return entry, instance
    return None, None


def _media_type(name: str) -> str:
    guessed = mimetypes.guess_type(name)[0]
    return guessed or "application/octet-stream"


def _user(request):
    """The session's user, or the API token's: files linked from the API load with it."""
    if request.user.is_authenticated or "HTTP_AUTHORIZATION" not in request.META:
        return request.user
    try:
        authenticated = TokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        return request.user
    return authenticated[0] if authenticated else request.user


@require_safe
def serve(request, name: str):
    """The bytes of one private file, or a 404 for anyone not entitled to them."""
    if posixpath.normpath(name) != name or name.startswith(("/", ".")):
        raise Http404
    entry, instance = _find(name)
    if instance is None or not entry.can_view(_user(request), instance):
        raise Http404
    field_file = getattr(instance, entry.field)
    media_type = _media_type(name)
    inline = media_type in INLINE_TYPES
    download = posixpath.basename(name)
    if entry.download_name is not None and not inline:
        download = entry.download_name(instance) or download
    accel = settings.PRIVATE_MEDIA_ACCEL_PREFIX
    signed_url = getattr(field_file.storage, "signed_url", None)
    if signed_url is not None:
        # Object storage: the reader fetches the bytes with a URL that soon expires.
        response = HttpResponseRedirect(signed_url(name))
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Vary"] = "Cookie, Authorization"
        return response
    if accel:
        response = HttpResponse(content_type=media_type)
        response["X-Accel-Redirect"] = accel.rstrip("/") + "/" + name
    else:
        try:
            handle = field_file.storage.open(name, "rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(handle, content_type=media_type)
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename*=UTF-8''{_quote(download)}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = SANDBOX_CSP
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.headers["Vary"] = "Cookie, Authorization"
    return response


def _quote(filename: str) -> str:
    return quote(filename.replace("\\", "_").replace("/", "_"), safe="")
