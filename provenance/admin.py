"""Admin for staff. Review decisions call the same workflow service as the queue."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse

from marketplace.accounts.roles import is_verifier
from provenance.models import Evidence, Review, ReviewEvent
from provenance.services.verification import (
    TRANSITIONS,
    VERIFIER_ACTIONS,
    claim_transition,
)


class TransitionReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        required=False,
        label="Reason (the artisan will see it)",
    )


def _record(obj):
    """A Review acts on its claim; a claim acts on itself."""
    return obj.content_object if isinstance(obj, Review) else obj


def transition_action(name: str):
    """An admin action that moves each selected claim through ``claim_transition``.

    When the move needs a reason, an intermediate page asks for it first.
    """
    transition = TRANSITIONS[name]

    def run(modeladmin, request, queryset):
        form = TransitionReasonForm(request.POST if "apply" in request.POST else None)
        if transition.reason_required and not (form.is_bound and form.is_valid()):
            return TemplateResponse(
                request,
                "provenance/review/admin_reason.html",
                {
                    **modeladmin.admin_site.each_context(request),
                    "title": f"{transition.label}: give a reason",
                    "form": form,
                    "objects": queryset,
                    "action": f"claim_{name}",
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                    "opts": modeladmin.model._meta,
                },
            )
        reason = (
            form.cleaned_data["reason"] if form.is_bound and form.is_valid() else ""
        )
        done = 0
        for obj in queryset:
            record = _record(obj)
            if record is None:
                continue
            try:
                claim_transition(
                    record=record, actor=request.user, action=name, reason=reason
                )
            except (ValidationError, PermissionDenied) as error:
                text = " ".join(getattr(error, "messages", [str(error)]))
                modeladmin.message_user(request, f"{record}: {text}", messages.ERROR)
            else:
                done += 1
        if done:
            modeladmin.message_user(
                request,
                f"{transition.label}: {done} record(s) updated.",
                messages.SUCCESS,
            )
        return None

    run.__name__ = f"claim_{name}"
    run.short_description = f"{transition.label} (workflow)"
    run.allowed_permissions = ("review",)
    return run


class ReviewPermissionMixin:
    def has_review_permission(self, request):
        return is_verifier(request.user)


VERIFIER_ADMIN_ACTIONS = [transition_action(name) for name in VERIFIER_ACTIONS]


class ReviewEventInline(admin.TabularInline):
    model = ReviewEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "action", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Review)
class ReviewAdmin(ReviewPermissionMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "kind",
        "artisan",
        "status",
        "submitted_by",
        "submitted_at",
        "reviewer",
    ]
    list_filter = ["status", "content_type"]
    search_fields = ["artisan__public_name", "submitted_by__username", "last_message"]
    list_select_related = ["content_type", "artisan", "submitted_by", "reviewer"]
    readonly_fields = [
        "content_type",
        "object_id",
        "artisan",
        "status",
        "submitted_by",
        "submitted_at",
        "reviewer",
        "last_message",
        "created_at",
        "updated_at",
    ]
    inlines = [ReviewEventInline]
    actions = VERIFIER_ADMIN_ACTIONS
    date_hierarchy = "submitted_at"

    def has_add_permission(self, request):
        return False


@admin.register(ReviewEvent)
class ReviewEventAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "review",
        "action",
        "from_status",
        "to_status",
        "actor",
    ]
    list_filter = ["action", "to_status"]
    search_fields = ["reason", "actor__username"]
    list_select_related = ["review__content_type", "actor"]
    readonly_fields = [
        "review",
        "actor",
        "action",
        "from_status",
        "to_status",
        "reason",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "content_type",
        "object_id",
        "content_type_label",
        "size",
        "sha256",
    ]
    list_filter = ["content_type", "content_type_label"]
    search_fields = ["sha256", "original_name", "description"]
    list_select_related = ["content_type", "uploaded_by"]
    readonly_fields = [
        "content_type",
        "object_id",
        "file",
        "sha256",
        "original_name",
        "content_type_label",
        "size",
        "uploaded_by",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request):
        return False


from provenance import admin_chain  # noqa: E402, F401  (the origin chain's admin)
