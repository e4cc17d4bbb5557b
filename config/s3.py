"""S3-compatible object storage for uploads (django-storages), chosen by settings:

    DJANGO_MEDIA_STORAGE=config.s3.PublicS3Storage      public bucket (listing photos…)
    DJANGO_PRIVATE_STORAGE=config.s3.PrivateS3Storage   private bucket

Public files are read straight from the bucket (or its CDN). Private files keep their
URL on this site (``/files/<name>``): the checked view in ``config.private_files``
answers an entitled reader with a redirect to a signed URL that expires in
``PRIVATE_SIGNED_URL_SECONDS``; nobody else ever sees a bucket address.
"""

from django.conf import settings
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage

from config.storage import PRIVATE_URL


class PublicS3Storage(S3Storage):
    """The public bucket: plain URLs, objects readable by anyone."""

    def get_default_settings(self):
        return {
            **super().get_default_settings(),
            "bucket_name": settings.AWS_STORAGE_BUCKET_NAME,
            "querystring_auth": False,
        }


class PrivateS3Storage(S3Storage):
    """The private bucket: URLs are the checked view's; reads are short signed URLs."""

    def get_default_settings(self):
        return {
            **super().get_default_settings(),
            "bucket_name": settings.AWS_PRIVATE_STORAGE_BUCKET_NAME,
            "querystring_auth": True,
            "querystring_expire": settings.PRIVATE_SIGNED_URL_SECONDS,
            "signature_version": "s3v4",
            "default_acl": "private",
        }

    def url(self, name, parameters=None, expire=None, http_method=None):
        return PRIVATE_URL + filepath_to_uri(name)

    def signed_url(self, name: str) -> str:
        """A URL of the object itself, valid for ``PRIVATE_SIGNED_URL_SECONDS``."""
        return super().url(name, expire=self.querystring_expire)
