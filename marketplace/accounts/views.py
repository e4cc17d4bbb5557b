from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views.generic import FormView, TemplateView

from config import ratelimit
from config.client_ip import client_ip
from config.forms import apply_errors
from marketplace.accounts.forms import OutboxPasswordResetForm, SignUpForm
from marketplace.accounts.lockout import lockout_clear
from marketplace.accounts.roles import is_artisan, is_verifier
from marketplace.accounts.services import user_sign_up


class SignUpView(FormView):
    template_name = "registration/signup.html"
    form_class = SignUpForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("marketplace:account")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            user = user_sign_up(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                client_ip=client_ip(self.request),
            )
        except ValidationError as error:
            apply_errors(form, error)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(self.request, f"Welcome to Touchstone, {user.username}.")
        return redirect("marketplace:account")


class AccountView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/account.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        context = super().get_context_data(**kwargs)
        context["roles"] = {
            "buyer": True,
            "artisan": is_artisan(user),
            "verifier": is_verifier(user),
            "staff": user.is_staff,
        }
        return context


class LimitedPasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, limited per client address (a form error) and per
    email address (quietly: the page says the same, so it tells nobody whether the
    address has an account, and nobody can flood a mailbox)."""

    form_class = OutboxPasswordResetForm

    def form_valid(self, form):
        limit = settings.PASSWORD_RESET_LIMIT_PER_HOUR
        if not ratelimit.allow(
            "reset-ip", client_ip(self.request), limit=limit * 3, window=3600
        ):
            form.add_error(
                None, "Too many reset requests from your address: try again later."
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        email = form.cleaned_data["email"].strip().lower()
        if not ratelimit.allow("reset-email", email, limit=limit, window=3600):
            return redirect(self.get_success_url())
        return super().form_valid(form)


class UnlockingPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's password-reset confirmation, which also lifts the account's log-in
    lock-outs: whoever holds the emailed link owns the account, so a lock that
    strangers ran up from many addresses no longer keeps them out."""

    def form_valid(self, form):
        response = super().form_valid(form)
        lockout_clear(username=form.user.get_username())
        return response
