"""The verifiers' queue: what waits, each claim with its evidence and history."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views import View
from django.views.generic import ListView

from marketplace.accounts.roles import is_verifier
from provenance import queue
from provenance.forms.review import ReviewActionForm, ReviewFilterForm
from provenance.selectors.review import WAITING, attach_claims, review_get, review_list
from provenance.services.verification import (
    TRANSITIONS,
    VERIFIER_ACTIONS,
    allowed_actions,
    claim_transition,
)


class VerifierRequiredMixin(LoginRequiredMixin):
    """Only verifiers know the queue exists: anyone else logged in gets a 404."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_verifier(request.user):
            raise Http404("No such page.")
        return super().dispatch(request, *args, **kwargs)


class ReviewListView(VerifierRequiredMixin, ListView):
    template_name = "provenance/review/review_list.html"
    context_object_name = "reviews"
    paginate_by = 30

    def get_queryset(self):
        data = self.request.GET.copy()
        data.setdefault("status", WAITING)
        self.filter_form = ReviewFilterForm(data)
        filters = self.filter_form.filters()
        self.other_kind = queue.KINDS.get(filters["kind"] or "")
        if self.other_kind is not None:
            return self.other_kind.rows(
                self.request.user, waiting=filters["status"] == WAITING
            )
        return review_list(user=self.request.user, **filters)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.other_kind is not None:
            context["queue_template"] = self.other_kind.template
        else:
            context["reviews"] = attach_claims(context["reviews"])
            context["other_kinds_waiting"] = [
                (kind, count)
                for kind, count in queue.waiting(self.request.user)
                if count
            ]
        query = self.request.GET.copy()
        query.pop("page", None)
        context["filter_form"] = self.filter_form
        context["querystring_base"] = query.urlencode()
        return context


def review_detail_context(request, review, **forms) -> dict:
    """The claim, its evidence, its history and the moves this verifier may make."""
    submitted_it = request.user.pk in (
        review.submitted_by_id,
        getattr(review.artisan, "user_id", None),
    )
    actions = [] if submitted_it else allowed_actions(review.claim, by="verifier")
    return {
        "review": review,
        "claim": review.claim,
        "submitted_it": submitted_it,
        "actions": [
            {
                "name": name,
                "slug": name.replace("_", "-"),
                "label": TRANSITIONS[name].label,
                "reason_required": TRANSITIONS[name].reason_required,
                "form": forms.get(name)
                or ReviewActionForm(
                    prefix=name, reason_required=TRANSITIONS[name].reason_required
                ),
                "danger": name in ("reject", "suspend", "revoke"),
            }
            for name in actions
        ],
    }


class ReviewDetailView(VerifierRequiredMixin, View):
    template_name = "provenance/review/review_detail.html"

    def get(self, request, pk):
        review = review_get(user=request.user, pk=pk)
        return TemplateResponse(
            request, self.template_name, review_detail_context(request, review)
        )


class ReviewActionView(VerifierRequiredMixin, View):
    """POST /verification/<pk>/<action>/: one transition through the workflow service."""

    http_method_names = ["post"]

    def post(self, request, pk, action):
        name = action.replace("-", "_")
        if name not in VERIFIER_ACTIONS:
            raise Http404("No such action.")
        review = review_get(user=request.user, pk=pk)
        form = ReviewActionForm(
            request.POST,
            prefix=name,
            reason_required=TRANSITIONS[name].reason_required,
        )
        if form.is_valid():
            try:
                claim_transition(
                    record=review.claim,
                    actor=request.user,
                    action=name,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, errors in error.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, error.messages)
            except PermissionDenied as error:
                form.add_error(None, str(error))
        if form.errors:
            context = review_detail_context(request, review, **{name: form})
            shown = {a["name"] for a in context["actions"]}
            if name not in shown:
                context["action_errors"] = [
                    message for errors in form.errors.values() for message in errors
                ]
            return TemplateResponse(
                request, ReviewDetailView.template_name, context, status=400
            )
        messages.success(
            request,
            f"{TRANSITIONS[name].label}: done for {review.kind} “{review.claim}”.",
        )
        return redirect("provenance:verification-detail", pk=review.pk)
