from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.views.generic import FormView, TemplateView

from marketplace.accounts.forms import SignUpForm
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
        user = user_sign_up(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
        )
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
