"""Private files of the marketplace's contexts (see ``config.private_files``)."""

from config.private_files import register
from marketplace.catalogue.models import HallmarkRecord
from marketplace.commissions.models import (
    CommissionReferenceImage,
    MessageAttachment,
    ProgressPhoto,
)
from marketplace.commissions.permissions import can_view_commission
from provenance.permissions import can_view_claim_photo

register(
    CommissionReferenceImage,
    "image",
    "thumbnail",
    can_view=lambda user, image: can_view_commission(user, image.commission),
    related=("commission__artisan",),
)
register(
    ProgressPhoto,
    "image",
    "thumbnail",
    can_view=lambda user, photo: can_view_commission(user, photo.update.commission),
    related=("update__commission__artisan",),
)
register(
    MessageAttachment,
    "file",
    "thumbnail",
    can_view=lambda user, attachment: can_view_commission(
        user, attachment.message.commission
    ),
    related=("message__commission__artisan",),
    download_name=lambda attachment: attachment.original_name,
)
register(
    HallmarkRecord,
    "photo",
    can_view=can_view_claim_photo,
    related=("listing__artisan__user",),
)
