"""Forms of the verifiers' review queue."""

from django import forms

from provenance import queue
from provenance.models import VerificationStatus
from provenance.selectors.review import WAITING, review_kinds


class ReviewFilterForm(forms.Form):
    kind = forms.ChoiceField(required=False, label="Kind of record")
    status = forms.ChoiceField(required=False, label="State")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            ("", "All kinds"),
            *sorted(
                [*review_kinds(), *((k.name, k.label) for k in queue.KINDS.values())]
            ),
        ]
        self.fields["status"].choices = [
            (WAITING, "Waiting (submitted, in review, needs information)"),
            ("", "Any state"),
            *[
                choice
                for choice in VerificationStatus.choices
                if choice[0] != VerificationStatus.DRAFT
            ],
        ]

    def filters(self) -> dict:
        if not self.is_valid():
            return {"kind": None, "status": WAITING}
        return {
            "kind": self.cleaned_data["kind"] or None,
            "status": self.cleaned_data["status"],
        }


class ReviewActionForm(forms.Form):
    """The reason for a decision; the service says when one is required."""

    reason = forms.CharField(
        label="Note for the artisan (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, reason_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if reason_required:
            self.fields["reason"].label = "Reason (required; the artisan will see it)"
