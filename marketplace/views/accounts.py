from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.views.generic import FormView, TemplateView

from artisans.permissions import is_artisan
from marketplace.forms.accounts import SignUpForm
from marketplace.services.accounts import user_sign_up
from provenance.permissions import is_verifier


class HomeView(TemplateView):
    template_name = "home.html"


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
    template_name = "marketplace/account.html"

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
