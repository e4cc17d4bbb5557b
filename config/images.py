"""Safe image uploads: every stored image is a fresh re-encode of a checked upload.

Only JPEG, PNG and WebP are opened; size and pixel limits are checked before any pixel
is decoded, decompression bombs are refused, orientation is applied and every metadata
block (EXIF, GPS, XMP, ICC, comments) is dropped by re-encoding. The original upload is
never stored.
"""

import io
import uuid
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # 40 megapixels
MAX_STORED_SIDE = 2400  # longest side of the stored re-encode
THUMBNAIL_SIZES = {"small": 320, "medium": 640, "large": 1200}
# A public photo model's thumbnail fields, each with its longest side.
PHOTO_THUMBNAILS = {f"thumb_{name}": size for name, size in THUMBNAIL_SIZES.items()}

# Pillow's own guard, aligned with ours: anything over the limit raises instead of decoding.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


@dataclass(frozen=True)
class ProcessedImage:
    content: ContentFile
    width: int
    height: int


def _refuse(message: str, code: str):
    raise ValidationError(message, code=code)


def open_checked(
    uploaded, *, max_bytes: int = MAX_UPLOAD_BYTES, max_pixels: int = MAX_PIXELS
):
    """Open an upload as a JPEG, PNG or WebP within the size and pixel limits, fully decoded."""
    size = getattr(uploaded, "size", None)
    if size is not None and size > max_bytes:
        _refuse(
            f"The file is {size / 1_048_576:.1f} MB; the limit is {max_bytes // 1_048_576} MB.",
            "file_too_large",
        )
    if hasattr(uploaded, "seek"):
        uploaded.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(uploaded, formats=ALLOWED_FORMATS)
            width, height = image.size
            if width * height > max_pixels:
                _refuse(
                    f"The image is {width}×{height} pixels; the limit is "
                    f"{max_pixels // 1_000_000} megapixels.",
                    "too_many_pixels",
                )
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        _refuse(
            "This image decompresses to far more pixels than its file size suggests "
            "(a decompression bomb) and was refused.",
            "decompression_bomb",
        )
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        _refuse(
            "Upload a JPEG, PNG or WebP image; this file is not one.", "invalid_image"
        )
    return image


def _normalise(image: Image.Image) -> tuple[Image.Image, str]:
    """Apply EXIF orientation, then choose the output format by transparency."""
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        return image.convert("RGBA"), "PNG"
    return image.convert("RGB"), "JPEG"


def _encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    # Pillow writes some ``info`` entries (a JPEG comment, for one) back by default.
    image.info = {}
    if fmt == "JPEG":
        # No exif=, icc_profile= or comment=: nothing but pixels is written.
        image.save(buffer, "JPEG", quality=86, optimize=True, progressive=True)
    else:
        image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def process_image_upload(
    uploaded,
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_pixels: int = MAX_PIXELS,
    max_side: int = MAX_STORED_SIDE,
) -> ProcessedImage:
    """Validate an uploaded image and return a metadata-free re-encode to store instead."""
    image = open_checked(uploaded, max_bytes=max_bytes, max_pixels=max_pixels)
    image, fmt = _normalise(image)
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    extension = "jpg" if fmt == "JPEG" else "png"
    content = ContentFile(_encode(image, fmt), name=f"{uuid.uuid4().hex}.{extension}")
    return ProcessedImage(content=content, width=image.width, height=image.height)


def make_thumbnail(stored_file, size: int) -> ContentFile:
    """A JPEG thumbnail whose longest side is ``size``.

    ``draft`` lets the JPEG decoder scale by 1/2, 1/4 or 1/8 while decoding, so a
    12-megapixel photo costs a fraction of a full decode.
    """
    stored_file.seek(0)
    image = Image.open(stored_file, formats=ALLOWED_FORMATS)
    if image.format == "JPEG":
        image.draft("RGB", (size, size))
    image, fmt = _normalise(image)
    image.thumbnail((size, size), Image.Resampling.LANCZOS)
    if fmt == "PNG":
        background = Image.new("RGB", image.size, (250, 248, 244))
        background.paste(image, mask=image.getchannel("A"))
        image = background
    return ContentFile(_encode(image, "JPEG"), name=f"{uuid.uuid4().hex}-{size}.jpg")


def store_photo(photo, uploaded) -> None:
    """Store a checked, metadata-free re-encode of ``uploaded`` in ``photo.image``: the
    one upload path of every public photo model (a piece's photos, a review's photos).
    Its thumbnails (``PHOTO_THUMBNAILS``) are made by a task once the row is saved and
    committed. Raises ``ValidationError`` for an upload that is not a safe image; saves
    no row."""
    processed = process_image_upload(uploaded)
    photo.image.save(processed.content.name, processed.content, save=False)
