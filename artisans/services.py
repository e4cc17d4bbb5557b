"""Writes for artisans' profiles and maker's marks."""

from django.db import transaction

from artisans.models import Artisan, ArtisanPhoto
from config.images import make_thumbnail, process_image_upload


@transaction.atomic
def artisan_set_images(
    *, artisan: Artisan, portrait=None, workshop_photos=()
) -> Artisan:
    """Store a portrait and workshop photos as metadata-free re-encodes with thumbnails.

    ``workshop_photos`` is a sequence of (uploaded file, alt text).
    """
    if portrait is not None:
        processed = process_image_upload(portrait)
        artisan.portrait.save(processed.content.name, processed.content, save=False)
        thumb = make_thumbnail(artisan.portrait.file, 480)
        artisan.portrait_thumbnail.save(thumb.name, thumb, save=False)
        artisan.save(update_fields=["portrait", "portrait_thumbnail", "updated_at"])
    start = artisan.photos.count()
    for offset, (uploaded, alt_text) in enumerate(workshop_photos):
        processed = process_image_upload(uploaded)
        photo = ArtisanPhoto(
            artisan=artisan, alt_text=alt_text, position=start + offset
        )
        photo.image.save(processed.content.name, processed.content, save=False)
        thumb = make_thumbnail(photo.image.file, 640)
        photo.thumbnail.save(thumb.name, thumb, save=False)
        photo.save()
    return artisan
