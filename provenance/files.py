"""Private files of the origin chain (see ``config.private_files``)."""

from config.private_files import register
from provenance.models import Evidence
from provenance.permissions import can_view_evidence

register(
    Evidence,
    "file",
    can_view=can_view_evidence,
    related=("content_type",),
    download_name=lambda evidence: evidence.original_name,
)
