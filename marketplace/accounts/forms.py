import uuid

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.template.loader import render_to_string

from ops.services import email_queue

User = get_user_model()


class SignUpForm(UserCreationForm):
    email = forms.EmailField(
        required=True,
        help_text="We send order, commission and password-reset messages here.",
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email address already exists."
            )
        return email


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's password-reset form whose email goes through the outbox: written now,
    sent by a task after the request commits, never twice for one request."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        subject = render_to_string(subject_template_name, context)
        body = render_to_string(email_template_name, context)
        html_body = (
            render_to_string(html_email_template_name, context)
            if html_email_template_name
            else ""
        )
        email_queue(
            key=f"password-reset:{uuid.uuid4().hex}",
            to=[to_email],
            subject=subject,
            body=body,
            html_body=html_body,
            from_email=from_email,
        )
