"""HTML pages of reviews: write and edit one, the review's own page with the artisan's
reply and the report form, and the verifiers' moderation of a reported review. Each
view validates a form, calls one service and redirects; what is not yours is a 404."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views import View

from config.forms import apply_errors
from marketplace.accounts.roles import is_verifier
from marketplace.reviews import selectors, services
from marketplace.reviews.forms import ModerationForm, ReplyForm, ReportForm, ReviewForm
from marketplace.reviews.services import TRANSITIONS, VERIFIER_ACTIONS


def _service_errors(form, error) -> None:
    if isinstance(error, PermissionDenied):
        form.add_error(None, str(error))
    else:
        apply_errors(form, error)


class ReviewCreateView(LoginRequiredMixin, View):
    """/reviews/new/<line|commission>/<id>/: review one of your own purchases."""

    template_name = "reviews/review_form.html"

    def _purchase(self, request, kind, pk):
        if kind == "line":
            line = selectors.reviewable_line_get(user=request.user, pk=pk)
            return {"order_line": line}, line.title, line.order.artisan
        if kind == "commission":
            commission = selectors.reviewable_commission_get(user=request.user, pk=pk)
            return {"commission": commission}, commission.title, commission.artisan
        raise Http404("No such purchase.")

    def _render(self, request, form, subject, artisan, status=200):
        context = {
            "form": form,
            "subject": subject,
            "artisan": artisan,
            "edit_days": settings.REVIEW_EDIT_DAYS,
        }
        return TemplateResponse(request, self.template_name, context, status=status)

    def get(self, request, kind, pk):
        purchase, subject, artisan = self._purchase(request, kind, pk)
        review = getattr(next(iter(purchase.values())), "review", None)
        if review is not None:
            messages.info(request, "You have already reviewed this; here it is.")
            return redirect(review)
        return self._render(request, ReviewForm(), subject, artisan)

    def post(self, request, kind, pk):
        purchase, subject, artisan = self._purchase(request, kind, pk)
        form = ReviewForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                review = services.review_create(
                    author=request.user,
                    rating=data["rating"],
                    title=data["title"],
                    text=data["text"],
                    photos=data["photos"],
                    photo_alt=data["photo_alt"],
                    **purchase,
                )
            except (ValidationError, PermissionDenied) as error:
                _service_errors(form, error)
            else:
                messages.success(request, "Thank you: your review is published.")
                return redirect(review)
        return self._render(request, form, subject, artisan, status=400)


def review_page_context(request, review, **forms) -> dict:
    """The review with the forms this user may use on it."""
    user = request.user
    context = {
        "review": review,
        "can_edit": services.can_edit(review, user),
        "edit_deadline": services.edit_deadline(review),
        "reply_deadline": services.reply_deadline(review),
        "reply_edit_days": settings.REVIEW_REPLY_EDIT_DAYS,
        "reply_form": forms.get("reply_form"),
        "report_form": forms.get("report_form"),
    }
    if context["reply_form"] is None and (
        services.can_reply(review, user) or services.can_edit_reply(review, user)
    ):
        context["reply_form"] = ReplyForm(initial={"text": review.reply})
    if context["report_form"] is None and services.can_report(review, user):
        context["report_form"] = ReportForm()
    return context


class ReviewDetailView(View):
    """/reviews/<id>/: one review; a hidden one only for its author (who sees why)
    and the verifiers."""

    template_name = "reviews/review_detail.html"

    def get(self, request, pk):
        review = selectors.review_get(user=request.user, pk=pk)
        return TemplateResponse(
            request, self.template_name, review_page_context(request, review)
        )


class ReviewEditView(LoginRequiredMixin, View):
    """/reviews/<id>/edit/: the author edits within the edit window."""

    template_name = "reviews/review_form.html"

    def _render(self, request, review, form, status=200):
        context = {
            "form": form,
            "review": review,
            "subject": review.listing.title if review.listing else review.title,
            "artisan": review.artisan,
            "deadline": services.edit_deadline(review),
        }
        return TemplateResponse(request, self.template_name, context, status=status)

    def get(self, request, pk):
        review = selectors.review_for_author(user=request.user, pk=pk)
        form = ReviewForm(
            initial={
                "rating": review.rating,
                "title": review.title,
                "text": review.text,
            },
            photos=review.photos.all(),
        )
        return self._render(request, review, form)

    def post(self, request, pk):
        review = selectors.review_for_author(user=request.user, pk=pk)
        form = ReviewForm(request.POST, request.FILES, photos=review.photos.all())
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.review_update(
                    review=review,
                    actor=request.user,
                    rating=data["rating"],
                    title=data["title"],
                    text=data["text"],
                    photos=data["photos"],
                    photo_alt=data["photo_alt"],
                    remove_photos=data.get("remove_photos", ()),
                )
            except (ValidationError, PermissionDenied) as error:
                _service_errors(form, error)
            else:
                messages.success(request, "Your review is updated.")
                return redirect(review)
        return self._render(request, review, form, status=400)


class ReviewReplyView(LoginRequiredMixin, View):
    """POST /reviews/<id>/reply/: the reviewed artisan replies once, then edits."""

    http_method_names = ["post"]

    def post(self, request, pk):
        review = selectors.review_for_artisan(user=request.user, pk=pk)
        form = ReplyForm(request.POST)
        if form.is_valid():
            service = (
                services.review_reply
                if review.replied_at is None
                else services.review_reply_update
            )
            try:
                service(
                    review=review, actor=request.user, text=form.cleaned_data["text"]
                )
            except (ValidationError, PermissionDenied) as error:
                _service_errors(form, error)
            else:
                messages.success(request, "Your reply is published.")
                return redirect(review)
        review = selectors.review_get(user=request.user, pk=pk)
        context = review_page_context(request, review, reply_form=form)
        return TemplateResponse(
            request, ReviewDetailView.template_name, context, status=400
        )


class ReviewReportView(LoginRequiredMixin, View):
    """POST /reviews/<id>/report/: anyone signed in but the author reports it."""

    http_method_names = ["post"]

    def post(self, request, pk):
        review = selectors.review_for_reader(user=request.user, pk=pk)
        form = ReportForm(request.POST)
        if form.is_valid():
            try:
                services.review_report(
                    review=review,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except (ValidationError, PermissionDenied) as error:
                _service_errors(form, error)
            else:
                messages.success(request, TRANSITIONS["report"].done)
                return redirect(review)
        context = review_page_context(request, review, report_form=form)
        if context["report_form"] is None or form.errors:
            context["report_form"] = form
        return TemplateResponse(
            request, ReviewDetailView.template_name, context, status=400
        )


class VerifierRequiredMixin(LoginRequiredMixin):
    """Only verifiers know moderation exists: anyone else signed in gets a 404."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_verifier(request.user):
            raise Http404("No such page.")
        return super().dispatch(request, *args, **kwargs)


def moderation_context(review, **forms) -> dict:
    return {
        "review": review,
        "actions": [
            {
                "name": name,
                "label": TRANSITIONS[name].label,
                "form": forms.get(name) or ModerationForm(prefix=name),
                "danger": name == "hide",
            }
            for name in services.allowed_actions(review, by="verifier")
        ],
    }


class ReviewModerationView(VerifierRequiredMixin, View):
    """/verification/reviews/<id>/: a review with its reports and history."""

    template_name = "reviews/review_moderate.html"

    def get(self, request, pk):
        review = selectors.review_for_verifier(user=request.user, pk=pk)
        return TemplateResponse(request, self.template_name, moderation_context(review))


class ReviewModerationActionView(VerifierRequiredMixin, View):
    """POST /verification/reviews/<id>/<hide|dismiss|restore>/, with a reason."""

    http_method_names = ["post"]

    def post(self, request, pk, action):
        if action not in VERIFIER_ACTIONS:
            raise Http404("No such action.")
        review = selectors.review_for_verifier(user=request.user, pk=pk)
        form = ModerationForm(request.POST, prefix=action)
        if form.is_valid():
            try:
                services.review_moderate(
                    review=review,
                    actor=request.user,
                    action=action,
                    reason=form.cleaned_data["reason"],
                )
            except (ValidationError, PermissionDenied) as error:
                _service_errors(form, error)
            else:
                messages.success(request, TRANSITIONS[action].done)
                return redirect("marketplace:review-moderate", pk=review.pk)
        context = moderation_context(review, **{action: form})
        if action not in {item["name"] for item in context["actions"]}:
            context["action_errors"] = [
                message for errors in form.errors.values() for message in errors
            ]
        return TemplateResponse(
            request, ReviewModerationView.template_name, context, status=400
        )
