"""Give the parties that exist a place in the verification workflow.

Outside parties that no artisan added (created by no one, by staff or by a verifier)
were recorded by Touchstone itself: they become verified. Those an artisan added were
offered to every artisan without anyone checking them: they go into the verifiers'
queue as submitted claims of that artisan, who alone may still name them. Each gets its
review case and a recorded event saying why. Workshop parties are their artisan's own:
they are never shared and their standing is the artisan profile's, so they stay as
they are (draft, outside the queue).
"""

from django.conf import settings
from django.db import migrations
from django.utils import timezone

VERIFIERS_GROUP = "Verifiers"
VERIFIED_REASON = (
    "Verified when parties began to need verification: it was recorded by "
    "Touchstone (by staff, a verifier or the system), not proposed by an artisan."
)
SUBMITTED_REASON = (
    "Sent for review when parties began to need verification: it was proposed by "
    "an artisan and had not been checked."
)


def _touchstone_user_ids(User) -> set[int]:
    return (
        set(User.objects.filter(is_staff=True).values_list("pk", flat=True))
        | set(User.objects.filter(is_superuser=True).values_list("pk", flat=True))
        | set(
            User.objects.filter(groups__name=VERIFIERS_GROUP).values_list(
                "pk", flat=True
            )
        )
    )


def forwards(apps, schema_editor):
    Party = apps.get_model("provenance", "Party")
    Review = apps.get_model("provenance", "Review")
    ReviewEvent = apps.get_model("provenance", "ReviewEvent")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Artisan = apps.get_model("artisans", "Artisan")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))

    outside = Party.objects.filter(artisan__isnull=True, verification_status="draft")
    if not outside.exists():
        return
    content_type, _created = ContentType.objects.get_or_create(
        app_label="provenance", model="party"
    )
    touchstone = _touchstone_user_ids(User)
    artisan_of = dict(Artisan.objects.values_list("user_id", "pk"))
    now = timezone.now()
    for party in outside.order_by("pk"):
        proposer = party.created_by_id
        if proposer is None or proposer in touchstone:
            party.verification_status = "verified"
            party.verified_at = now
            action, actor, reason, artisan_id = "verify", None, VERIFIED_REASON, None
            submitted_by, submitted_at = None, None
        else:
            party.verification_status = "submitted"
            action, actor, reason = "submit", proposer, SUBMITTED_REASON
            artisan_id = artisan_of.get(proposer)
            submitted_by, submitted_at = proposer, now
        party.save(update_fields=["verification_status", "verified_at"])
        review, _created = Review.objects.update_or_create(
            content_type=content_type,
            object_id=party.pk,
            defaults={
                "artisan_id": artisan_id,
                "status": party.verification_status,
                "submitted_by_id": submitted_by,
                "submitted_at": submitted_at,
                "last_message": reason,
            },
        )
        ReviewEvent.objects.create(
            review=review,
            actor_id=actor,
            action=action,
            from_status="draft",
            to_status=party.verification_status,
            reason=reason,
        )


def backwards(apps, schema_editor):
    # The fields go with the previous migration; their review cases go here.
    Review = apps.get_model("provenance", "Review")
    Review.objects.filter(
        content_type__app_label="provenance", content_type__model="party"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("artisans", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("provenance", "0011_party_verification"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
