"""The catalogue admin: pages load, and writes go through the services."""

import pytest
from django.contrib.auth import get_user_model

from marketplace.catalogue.models import ListingEvent, MetalPrice
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = get_user_model().objects.create_superuser(
        "boss", "boss@example.com", "pw-Strong-123"
    )
    client.force_login(admin)
    return client


def test_listing_changelist_and_change_page_load(admin_client):
    listing = f.catalogue_listing()
    assert admin_client.get("/admin/marketplace/listing/").status_code == 200
    assert (
        admin_client.get(f"/admin/marketplace/listing/{listing.pk}/change/").status_code
        == 200
    )


def test_unpublish_action_uses_the_service_and_records_an_event(admin_client):
    listing = f.catalogue_listing()
    admin_client.post(
        "/admin/marketplace/listing/",
        {"action": "unpublish", "_selected_action": [listing.pk]},
    )
    listing.refresh_from_db()
    assert listing.status == "draft"
    assert ListingEvent.objects.filter(listing=listing, action="unpublish").exists()


def test_metal_price_added_in_the_admin_records_who_set_it(admin_client):
    response = admin_client.post(
        "/admin/marketplace/metalprice/add/",
        {
            "metal": "gold",
            "price_per_gram": "60.5",
            "currency": "GBP",
            "as_of": "2026-11-01",
        },
    )
    assert response.status_code == 302
    price = MetalPrice.objects.get()
    assert price.set_by.username == "boss"


def test_rebuilding_the_whole_search_index_is_queued_for_the_worker(
    admin_client, settings, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    from marketplace.catalogue.tasks import catalogue_search_rebuild

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    listing = f.catalogue_listing()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/marketplace/listing/",
            {"action": "rebuild_search_everywhere", "_selected_action": [listing.pk]},
        )
    assert response.status_code == 302
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "marketplace.catalogue.tasks.catalogue_search_rebuild"
    assert queued.status == "READY"
    assert catalogue_search_rebuild.call() == 1
