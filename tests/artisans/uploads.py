"""Bad and tricky uploads shared by the artisans tests."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from config.images import MAX_UPLOAD_BYTES


def not_an_image(name="portrait.jpg"):
    return SimpleUploadedFile(name, b"GIF89a? no, just text pretending", "image/jpeg")


def decompression_bomb(name="bomb.png"):
    """A tiny PNG that decodes to 100 megapixels."""
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, "PNG", optimize=True)
    return SimpleUploadedFile(name, buffer.getvalue(), "image/png")


def oversized(name="huge.jpg"):
    return SimpleUploadedFile(
        name, b"\xff\xd8\xff" + b"0" * MAX_UPLOAD_BYTES, "image/jpeg"
    )


def with_metadata(name="gps.jpg"):
    """A JPEG carrying a camera make, GPS coordinates and a comment."""
    image = Image.new("RGB", (80, 60), (120, 90, 60))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Secret"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 12.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, comment=b"secret comment here")
    data = buffer.getvalue()
    assert b"SpyCam Secret" in data and b"secret comment here" in data
    return SimpleUploadedFile(name, data, "image/jpeg")


BAD_UPLOADS = {
    "not an image": (not_an_image, "not one"),
    "decompression bomb": (decompression_bomb, "decompression bomb"),
    "oversized": (oversized, "the limit is"),
}


def assert_clean_image(field_file):
    field_file.open("rb")
    data = field_file.read()
    field_file.seek(0)
    for secret in (b"SpyCam", b"secret comment", b"Exif"):
        assert secret not in data
    image = Image.open(io.BytesIO(data))
    assert not image.getexif()
    assert "comment" not in image.info and "exif" not in image.info
