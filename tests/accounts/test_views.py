import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

User = get_user_model()
pytestmark = pytest.mark.django_db


def _signup(client, **overrides):
    data = {
        "username": "newbuyer",
        "email": "newbuyer@example.com",
        "password1": "Quiet-silver-ring-42",
        "password2": "Quiet-silver-ring-42",
        **overrides,
    }
    return client.post(reverse("signup"), data)


class TestSignUp:
    def test_creates_a_buyer_and_logs_them_in(self, client):
        response = _signup(client)
        assert response.status_code == 302
        assert response["Location"] == reverse("marketplace:account")
        user = User.objects.get(username="newbuyer")
        assert user.email == "newbuyer@example.com"
        assert user.check_password("Quiet-silver-ring-42")
        page = client.get(reverse("marketplace:account"))
        assert page.status_code == 200
        assert b"Hello, newbuyer" in page.content

    def test_mismatched_passwords_are_shown_next_to_the_field(self, client):
        response = _signup(client, password2="something-else-99")
        assert response.status_code == 200
        assert "password2" in response.context["form"].errors
        assert b"The two password fields" in response.content
        assert not User.objects.filter(username="newbuyer").exists()

    def test_weak_password_and_bad_email_are_rejected(self, client):
        response = _signup(
            client, email="not-an-email", password1="password", password2="password"
        )
        errors = response.context["form"].errors
        assert "email" in errors
        assert "password2" in errors
        assert not User.objects.filter(username="newbuyer").exists()

    def test_duplicate_email_is_rejected_case_insensitively(self, client):
        UserFactory(email="taken@example.com")
        response = _signup(client, email="TAKEN@example.com")
        assert "already exists" in str(response.context["form"].errors["email"])
        assert not User.objects.filter(username="newbuyer").exists()

    def test_duplicate_username_is_rejected(self, client):
        UserFactory(username="newbuyer")
        response = _signup(client)
        assert "username" in response.context["form"].errors
        assert User.objects.filter(username="newbuyer").count() == 1


class TestLogInAndOut:
    def test_log_in_and_out(self, client):
        user = UserFactory()
        response = client.post(
            reverse("login"), {"username": user.username, "password": PASSWORD}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("marketplace:account")
        assert client.get(reverse("marketplace:account")).status_code == 200
        client.post(reverse("logout"))
        response = client.get(reverse("marketplace:account"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_wrong_password_shows_a_clear_error(self, client):
        user = UserFactory()
        response = client.post(
            reverse("login"), {"username": user.username, "password": "nope"}
        )
        assert response.status_code == 200
        assert b"Please enter a correct username and password" in response.content

    def test_empty_form_shows_field_errors(self, client):
        response = client.post(reverse("login"), {})
        assert response.status_code == 200
        assert set(response.context["form"].errors) == {"username", "password"}

    def test_repeated_failures_lock_the_account_and_say_when_to_retry(
        self, client, settings
    ):
        user = UserFactory()
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            response = client.post(
                reverse("login"), {"username": user.username, "password": "x"}
            )
            assert response.status_code == 200
        response = client.post(
            reverse("login"), {"username": user.username, "password": "x"}
        )
        assert response.status_code == 429
        assert b"Log-in temporarily locked" in response.content
        assert b"try again in" in response.content
        # Even the right password is refused while locked.
        response = client.post(
            reverse("login"), {"username": user.username, "password": PASSWORD}
        )
        assert response.status_code == 429
        assert "_auth_user_id" not in client.session


class TestPasswordReset:
    # The email is written to the outbox and sent by a task once the request commits:
    # each request below commits, as it does outside the test's transaction.
    def test_reset_by_email_link(self, client, django_capture_on_commit_callbacks):
        user = UserFactory(email="reset@example.com")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("password_reset"), {"email": "reset@example.com"}
            )
        assert response.status_code == 302
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["reset@example.com"]
        link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", message.body).group(1)
        response = client.get(link, follow=True)
        assert response.status_code == 200
        form_url = response.redirect_chain[-1][0]
        response = client.post(
            form_url,
            {
                "new_password1": "Brand-new-bangle-77",
                "new_password2": "Brand-new-bangle-77",
            },
        )
        assert response.status_code == 302
        user.refresh_from_db()
        assert user.check_password("Brand-new-bangle-77")

    def test_unknown_email_sends_nothing_and_reveals_nothing(
        self, client, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("password_reset"), {"email": "nobody@example.com"}
            )
        assert response.status_code == 302
        assert response["Location"] == reverse("password_reset_done")
        assert mail.outbox == []

    def test_bad_email_is_a_form_error(self, client):
        response = client.post(reverse("password_reset"), {"email": "not an email"})
        assert response.status_code == 200
        assert "email" in response.context["form"].errors

    def test_mismatched_new_passwords(self, client, django_capture_on_commit_callbacks):
        UserFactory(email="reset2@example.com")
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("password_reset"), {"email": "reset2@example.com"})
        link = re.search(
            r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body
        ).group(1)
        form_url = client.get(link, follow=True).redirect_chain[-1][0]
        response = client.post(
            form_url,
            {"new_password1": "Aaa-bbb-ccc-1", "new_password2": "Aaa-bbb-ccc-2"},
        )
        assert response.status_code == 200
        assert "new_password2" in response.context["form"].errors


class TestPasswordChangeAndAccount:
    def test_password_change(self, client):
        user = UserFactory()
        client.force_login(user)
        response = client.post(
            reverse("password_change"),
            {
                "old_password": PASSWORD,
                "new_password1": "Another-ring-55",
                "new_password2": "Another-ring-55",
            },
        )
        assert response.status_code == 302
        user.refresh_from_db()
        assert user.check_password("Another-ring-55")

    def test_password_change_with_wrong_old_password(self, client):
        user = UserFactory()
        client.force_login(user)
        response = client.post(
            reverse("password_change"),
            {
                "old_password": "wrong",
                "new_password1": "Another-ring-55",
                "new_password2": "Another-ring-55",
            },
        )
        assert response.status_code == 200
        assert "old_password" in response.context["form"].errors
        user.refresh_from_db()
        assert user.check_password(PASSWORD)

    def test_account_page_needs_log_in(self, client):
        response = client.get(reverse("marketplace:account"))
        assert response.status_code == 302

    def test_account_page_shows_roles(self, client, verifier):
        client.force_login(verifier)
        response = client.get(reverse("marketplace:account"))
        assert response.context["roles"]["verifier"] is True
        assert response.context["roles"]["artisan"] is False
        assert b"Verifier" in response.content
