"""Private files of artisans' shops (see ``config.private_files``)."""

from artisans.models import MakerMark
from artisans.permissions import can_view_maker_mark
from config.private_files import register

register(MakerMark, "image", can_view=can_view_maker_mark, related=("artisan",))
