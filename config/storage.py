"""Where uploads live: public files under ``MEDIA_ROOT``, private ones apart.

Public uploads (listing photos, portraits, workshop photos) sit in the default storage
and are served as static files. Private uploads (commission references, progress
photos and message attachments, evidence, maker's marks and hallmark photos under
review) sit in the ``private`` storage, outside ``MEDIA_ROOT``: no static file server can
reach them, and their URLs (``/files/<name>``) go through ``config.private_files``,
which checks who is asking. Every stored name is random.
"""

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.db import transaction
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property

PRIVATE_URL = "/files/"

# Extensions a stored name may keep; anything else is stored without one.
KEPT_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".pdf"}


@deconstructible
class RandomName:
    """``upload_to`` that stores every file as ``<folder>/<random>.<ext>``.

    The uploader's file name never reaches the path: it is neither guessable nor a
    carrier for anything but its (allow-listed) extension.
    """

    def __init__(self, folder: str):
        self.folder = folder.strip("/")

    def __call__(self, instance, filename: str) -> str:
        extension = PurePosixPath(filename or "").suffix.lower()
        if extension not in KEPT_EXTENSIONS:
            extension = ""
        return f"{self.folder}/{uuid.uuid4().hex}{extension}"

    def __eq__(self, other):
        return isinstance(other, RandomName) and other.folder == self.folder

    def __hash__(self):
        return hash(self.folder)


class PrivateFileSystemStorage(FileSystemStorage):
    """A file system storage under ``PRIVATE_MEDIA_ROOT`` whose URLs are the checked view."""

    def __init__(self, location=None, base_url=None, **kwargs):
        super().__init__(location=location, base_url=base_url or PRIVATE_URL, **kwargs)

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)


def private_storage():
    """The storage of private uploads (a callable, so migrations name it, not its path)."""
    return storages["private"]


def relocate_to_private(apps, model: str, *fields: str) -> int:
    """Move the files of ``model``'s ``fields`` from the public storage to the private
    one under fresh random names, for a data migration. Returns how many moved.

    The originals are deleted only once the migration's transaction commits, so a
    failed migration leaves every row pointing at a file that still exists.
    """
    Model = apps.get_model(model)
    public = storages["default"]
    private = private_storage()
    moved = []
    for field_name in fields:
        field = Model._meta.get_field(field_name)
        for row in Model._base_manager.exclude(**{field_name: ""}).iterator():
            name = getattr(row, field_name).name
            if not public.exists(name):
                continue  # already private, or lost before this migration
            with public.open(name, "rb") as source:
                new_name = private.save(field.upload_to(row, name), source)
            Model._base_manager.filter(pk=row.pk).update(**{field_name: new_name})
            moved.append(name)

    def delete_originals():
        for name in moved:
            public.delete(name)

    transaction.on_commit(delete_originals)
    return len(moved)
