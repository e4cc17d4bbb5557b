"""Commission pages: the buyer's list, the studio inbox, one shared commission page,
one POST endpoint per move (dispatched through ``moves.MOVES``), and notifications."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from artisans.models import Artisan
from config.forms import apply_errors
from marketplace.accounts.mixins import ArtisanRequiredMixin
from marketplace.accounts.models import Notification
from marketplace.catalogue.models import Listing
from marketplace.commissions import forms, selectors, services
from marketplace.commissions.models import Commission, Quote
from marketplace.commissions.moves import MOVES, MOVES_BY_SLUG, CommissionMove
from marketplace.commissions.notifications import notification_mark_read
from marketplace.commissions.permissions import (
    can_request_commission,
)

PAGE_SIZE = 20


class CommissionListView(LoginRequiredMixin, ListView):
    """The buyer's "My commissions"."""

    template_name = "commissions/commission_list.html"
    context_object_name = "commissions"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        status = self.request.GET.get("status") or None
        if status not in Commission.Status.values:
            status = None
        return selectors.commission_list(user=self.request.user, status=status)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["inbox"] = False
        context["statuses"] = Commission.Status.choices
        context["current_status"] = self.request.GET.get("status", "")
        context["rows"] = [
            (c, selectors.commission_next_step(c)) for c in context["commissions"]
        ]
        return context


class StudioCommissionListView(ArtisanRequiredMixin, ListView):
    """The artisan's commission inbox in the studio."""

    template_name = "commissions/commission_list.html"
    context_object_name = "commissions"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        status = self.request.GET.get("status") or None
        if status not in (*Commission.Status.values, "open"):
            status = None
        return selectors.commission_inbox(user=self.request.user, status=status)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        artisan = self.request.user.artisan_profile
        context["inbox"] = True
        context["artisan"] = artisan
        context["statuses"] = [("open", "Open"), *Commission.Status.choices]
        context["current_status"] = self.request.GET.get("status", "")
        context["waiting"] = Commission.objects.filter(
            artisan=artisan, status=Commission.Status.WAITLISTED
        ).count()
        context["rows"] = [
            (c, selectors.commission_next_step(c)) for c in context["commissions"]
        ]
        return context


class StudioCommissionAdmitNextView(ArtisanRequiredMixin, View):
    """Admit the request that has waited longest on the artisan's waitlist."""

    def post(self, request):
        try:
            commission = services.commission_admit_next(
                actor=request.user, artisan=request.user.artisan_profile
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("marketplace:studio-commission-list")
        messages.success(request, f"Admitted #{commission.pk} “{commission.title}”.")
        return redirect(commission)


class CommissionCreateView(LoginRequiredMixin, FormView):
    """A request to one artisan: /commissions/new/?artisan=<slug>&base=<listing slug>."""

    template_name = "commissions/commission_form.html"
    form_class = forms.CommissionRequestForm

    def dispatch(self, request, *args, **kwargs):
        slug = request.GET.get("artisan") or request.POST.get("artisan")
        if not slug:
            raise Http404("Choose an artisan to commission.")
        self.artisan = get_object_or_404(
            Artisan.objects.select_related("user"), slug=slug
        )
        self.base = None
        base_slug = request.GET.get("base")
        if base_slug:
            self.base = get_object_or_404(
                Listing.objects.public().filter(artisan=self.artisan), slug=base_slug
            )
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["artisan"] = self.artisan
        return kwargs

    def get_initial(self):
        initial = {"currency": "GBP"}
        if self.base is not None:
            initial.update(
                kind=Commission.Kind.MODIFICATION,
                base_listing=self.base,
                category=self.base.category,
                title=f"My version of {self.base.title}"[:140],
                currency=self.base.currency,
            )
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["artisan"] = self.artisan
        context["base"] = self.base
        context["can_request"] = can_request_commission(self.request.user, self.artisan)
        context["is_self"] = self.artisan.user_id == self.request.user.pk
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            commission = services.commission_request(
                buyer=self.request.user,
                artisan=self.artisan,
                kind=data["kind"],
                base_listing=data.get("base_listing"),
                title=data["title"],
                category=data["category"],
                brief=data["brief"],
                budget_min=data.get("budget_min"),
                budget_max=data.get("budget_max"),
                currency=data["currency"],
                desired_date=data.get("desired_date"),
                ring_size=data.get("ring_size", ""),
                measurements=data.get("measurements", ""),
                engraving_text=data.get("engraving_text", ""),
                material_preferences=data.get("material_preferences", ""),
                reference_images=data.get("reference_images") or [],
            )
        except ValidationError as error:
            apply_errors(form, error)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        if commission.status == Commission.Status.WAITLISTED:
            position = services.waitlist_position(commission)
            messages.success(
                self.request,
                f"Your request joined {self.artisan.public_name}'s waitlist at "
                f"position {position}.",
            )
        else:
            messages.success(
                self.request, f"Your request was sent to {self.artisan.public_name}."
            )
        return redirect(commission)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- The commission page and its moves ---------------------------------------------------


def move_form(move: CommissionMove, user, **kwargs):
    """The form behind a move, prefixed with its slug; completion lists the user's lots."""
    form_class = forms.MOVE_FORMS[move.name]
    if getattr(form_class, "needs_user", False):
        kwargs["user"] = user
    return form_class(prefix=move.slug, **kwargs)


def message_form(**kwargs) -> forms.MessageForm:
    return forms.MessageForm(prefix="message", **kwargs)


def _commission_or_404(user, pk) -> Commission:
    try:
        return selectors.commission_get(user=user, pk=pk)
    except Commission.DoesNotExist:
        raise Http404("No such commission.") from None


class CommissionDetailMixin:
    template_name = "commissions/commission_detail.html"

    def detail_context(self, commission: Commission, bound: dict | None = None):
        """The page; ``bound`` holds a form that failed, by move name (or "message")."""
        user = self.request.user
        role = selectors.viewer_role(user, commission)
        allowed = set(services.allowed_moves(user, commission))
        bound = bound or {}
        moves = [move for move in MOVES.values() if move.name in allowed]
        forms_for = {
            move.name: bound.get(move.name) or move_form(move, user) for move in moves
        }
        forms_for["message"] = bound.get("message") or message_form()
        quotes = list(commission.quotes.all())
        updates = list(commission.progress_updates.all())
        payments = list(commission.payments.all())
        current_quote = next(
            (q for q in quotes if q.status == Quote.Status.CURRENT), None
        )
        accepted = next((q for q in quotes if q.status == Quote.Status.ACCEPTED), None)
        return {
            "commission": commission,
            "role": role,
            "moves": allowed,
            "forms": forms_for,
            "move_urls": {move.name: move.url(commission) for move in moves},
            "quotes": quotes,
            "current_quote": current_quote,
            "accepted_quote": accepted,
            "updates": updates,
            "pending_updates": [u for u in updates if u.awaits_approval],
            "payments": payments,
            "pending_payments": [p for p in payments if p.is_pending],
            "events": list(selectors.commission_events(commission=commission)),
            "thread": list(selectors.commission_messages(commission=commission)),
            "next_step": selectors.commission_next_step(commission),
            "back_url": reverse(
                "marketplace:studio-commission-list"
                if role == services.ARTISAN
                else "marketplace:commission-list"
            ),
        }

    def render_failed(self, request, pk, name: str, form):
        """The page again, with the form that failed open and its errors shown."""
        commission = _commission_or_404(request.user, pk)
        context = self.detail_context(commission, bound={name: form})
        context["failed_action"] = name
        context["failed_form"] = form
        return TemplateResponse(request, self.template_name, context, status=400)


class CommissionDetailView(LoginRequiredMixin, CommissionDetailMixin, TemplateView):
    """One commission as its buyer or its artisan sees it, with their actions."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        commission = _commission_or_404(self.request.user, kwargs["pk"])
        context.update(self.detail_context(commission))
        return context


class CommissionMoveView(LoginRequiredMixin, CommissionDetailMixin, View):
    """POST one move: validate its form, call its service, redirect to the page."""

    def post(self, request, pk, slug):
        commission = _commission_or_404(request.user, pk)
        move = MOVES_BY_SLUG.get(slug)
        if move is None:
            raise Http404("No such action.")
        form = move_form(move, request.user, data=request.POST, files=request.FILES)
        if form.is_valid():
            try:
                move.run(
                    user=request.user, commission=commission, data=form.cleaned_data
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, move.done)
                return redirect(commission)
        return self.render_failed(request, pk, move.name, form)


class CommissionMessageView(LoginRequiredMixin, CommissionDetailMixin, View):
    """POST a message, with any attachments, to the commission's thread."""

    def post(self, request, pk):
        commission = _commission_or_404(request.user, pk)
        form = message_form(data=request.POST, files=request.FILES)
        if form.is_valid():
            try:
                services.message_post(
                    actor=request.user,
                    commission=commission,
                    body=form.cleaned_data["body"],
                    attachments=form.cleaned_data["attachments"],
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, "Message sent.")
                return redirect(commission.get_absolute_url() + "#thread")
        return self.render_failed(request, pk, "message", form)


# --- Notifications ----------------------------------------------------------------------


class NotificationListView(LoginRequiredMixin, ListView):
    template_name = "commissions/notification_list.html"
    context_object_name = "notifications"
    paginate_by = 30

    def get_queryset(self):
        return selectors.notification_list(user=self.request.user)


class NotificationOpenView(LoginRequiredMixin, View):
    """Open a notification: it is marked read and leads to its commission."""

    def get(self, request, pk):
        notification = get_object_or_404(
            Notification.objects.filter(user=request.user), pk=pk
        )
        notification_mark_read(user=request.user, notification=notification)
        if notification.commission_id:
            return redirect(
                "marketplace:commission-detail", pk=notification.commission_id
            )
        if notification.link.startswith("/"):
            return redirect(notification.link)
        return redirect("marketplace:notification-list")


class NotificationMarkReadView(LoginRequiredMixin, View):
    """Mark one notification (``notification`` in the form) or all of them read."""

    def post(self, request):
        notification = None
        if request.POST.get("notification"):
            notification = get_object_or_404(
                Notification.objects.filter(user=request.user),
                pk=request.POST.get("notification")
                if str(request.POST.get("notification")).isdecimal()
                and str(request.POST.get("notification")).isascii()
                else 0,
            )
        count = notification_mark_read(user=request.user, notification=notification)
        messages.success(
            request, f"{count} notification{'s' if count != 1 else ''} marked read."
        )
        return redirect("marketplace:notification-list")
