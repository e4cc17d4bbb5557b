"""Commission forms: they validate shape; the services hold the rules."""

from decimal import Decimal

from django import forms
from django.utils import timezone

from marketplace.catalogue.models import Listing, MetalComponent
from marketplace.commissions.models import (
    Commission,
    CommissionPayment,
    ProgressUpdate,
    Quote,
)
from marketplace.materials import Metal
from provenance.models import MaterialLot
from provenance.selectors.chain import lot_list


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by the service that stores it."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class DateInput(forms.DateInput):
    input_type = "date"


# Beyond this many pieces the "piece to modify" list shows only the newest.
MAX_PIECE_CHOICES = 100


class CommissionRequestForm(forms.ModelForm):
    reference_images = MultipleFileField(
        label="Reference images",
        help_text="Up to 8 JPEG, PNG or WebP images (sketches, inspiration).",
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    class Meta:
        model = Commission
        fields = [
            "kind",
            "base_listing",
            "title",
            "category",
            "brief",
            "budget_min",
            "budget_max",
            "currency",
            "desired_date",
            "ring_size",
            "measurements",
            "engraving_text",
            "material_preferences",
        ]
        widgets = {
            "kind": forms.RadioSelect,
            "desired_date": DateInput,
            "brief": forms.Textarea(attrs={"rows": 6}),
            "material_preferences": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"budget_min": "Budget from", "budget_max": "Budget up to"}

    def __init__(self, *args, artisan, **kwargs):
        super().__init__(*args, **kwargs)
        self.artisan = artisan
        field = self.fields["base_listing"]
        pieces = Listing.objects.public().filter(artisan=artisan)
        field.queryset = pieces.order_by("title")  # what the choice is checked against
        field.label = "Piece to modify"
        field.required = False
        field.empty_label = "— none (bespoke piece) —"
        if pieces.order_by().values("pk")[MAX_PIECE_CHOICES : MAX_PIECE_CHOICES + 1]:
            self._limit_piece_choices(field, pieces)

    def _limit_piece_choices(self, field, pieces):
        """A large shop lists only its newest pieces (and the one already chosen), so
        the page stays small; any of the artisan's pieces is still accepted."""
        shown = dict(
            pieces.order_by("-published_at", "-id").values_list("pk", "title")[
                :MAX_PIECE_CHOICES
            ]
        )
        chosen = self.data.get(self.add_prefix("base_listing")) or self.initial.get(
            "base_listing"
        )
        chosen = getattr(chosen, "pk", chosen)
        if chosen and str(chosen).isdigit() and int(chosen) not in shown:
            shown.update(pieces.filter(pk=int(chosen)).values_list("pk", "title"))
        by_title = sorted(shown.items(), key=lambda item: (item[1].lower(), item[0]))
        field.widget.choices = [("", field.empty_label), *by_title]
        field.help_text = (
            f"The {MAX_PIECE_CHOICES} newest pieces. For an older one, open it and "
            "choose “Commission something similar”."
        )

    def clean(self):
        data = super().clean()
        low, high = data.get("budget_min"), data.get("budget_max")
        if low is not None and high is not None and low > high:
            self.add_error("budget_max", "The maximum must not be below the minimum.")
        kind, base = data.get("kind"), data.get("base_listing")
        if kind == Commission.Kind.MODIFICATION and base is None:
            self.add_error("base_listing", "Choose the piece you would like modified.")
        if kind == Commission.Kind.BESPOKE and base is not None:
            self.add_error(
                "base_listing", "Only a modification starts from an existing piece."
            )
        return data

    def validate_constraints(self):
        """The service re-checks every rule; errors are attached to fields in clean()."""


class QuoteForm(forms.ModelForm):
    class Meta:
        model = Quote
        fields = [
            "price",
            "deposit",
            "currency",
            "estimated_completion_date",
            "valid_until",
            "materials_commitments",
            "note",
        ]
        widgets = {
            "estimated_completion_date": DateInput,
            "valid_until": DateInput,
            "materials_commitments": forms.Textarea(attrs={"rows": 3}),
            "note": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["valid_until"].initial = timezone.localdate() + timezone.timedelta(
            days=14
        )

    def validate_constraints(self):
        """The service checks the quote's constraints; the view shows its errors."""


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class DeclineQuoteForm(VersionForm, OptionalReasonForm):
    pass


class ProgressUpdateForm(forms.ModelForm):
    photos = MultipleFileField(
        label="Photos",
        help_text="Up to 8 JPEG, PNG or WebP images.",
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    use_as_evidence = forms.BooleanField(
        label="Use these photos as provenance evidence",
        required=False,
        help_text="They will join the finished piece's provenance chain.",
    )

    class Meta:
        model = ProgressUpdate
        fields = ["stage", "note", "needs_approval"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}
        labels = {"needs_approval": "Ask the buyer to approve this update"}


class UpdateDecisionForm(forms.Form):
    update = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    note = forms.CharField(
        label="Note", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class RequestChangesForm(UpdateDecisionForm):
    note = forms.CharField(
        label="What should change?", widget=forms.Textarea(attrs={"rows": 2})
    )


class PaymentForm(forms.Form):
    kind = forms.ChoiceField(choices=CommissionPayment.Kind.choices)
    amount = forms.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )
    reference = forms.CharField(
        max_length=120, help_text="The bank transfer reference or receipt number."
    )


class PaymentConfirmForm(forms.Form):
    payment = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class LotChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        remaining = getattr(obj, "remaining_grams", None)
        left = f" ({remaining} g left)" if remaining is not None else ""
        return f"{obj}{left}"


class CompleteForm(forms.Form):
    """The finished piece and the lots it was made from (the artisan's own lots)."""

    needs_user = True  # its lot choices are the user's lots

    title = forms.CharField(
        label="Name of the finished piece", max_length=140, required=False
    )
    description = forms.CharField(
        label="Description", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    metal = forms.ChoiceField(
        label="Metal",
        choices=[("", "— as the base piece —"), *Metal.choices],
        required=False,
    )
    fineness = forms.IntegerField(
        label="Fineness (‰)", min_value=1, max_value=999, required=False
    )
    construction = forms.ChoiceField(
        choices=MetalComponent.Construction.choices,
        initial=MetalComponent.Construction.SOLID,
        required=False,
    )
    weight_grams = forms.DecimalField(
        label="Metal weight (g)",
        max_digits=10,
        decimal_places=3,
        min_value=Decimal("0.001"),
        required=False,
    )
    plating_metal = forms.ChoiceField(
        label="Plating metal",
        choices=[("", "— none —"), *Metal.choices],
        required=False,
        help_text="For plated, gold-filled or vermeil pieces.",
    )
    plating_thickness_microns = forms.DecimalField(
        label="Plating thickness (microns)",
        max_digits=6,
        decimal_places=2,
        required=False,
    )

    loss_grams = forms.DecimalField(
        label="Lost at the bench (g)",
        max_digits=10,
        decimal_places=3,
        min_value=Decimal("0"),
        initial=Decimal("0"),
        help_text="Filings and casting loss: the lots' grams = the piece + the loss.",
    )

    LOT_ROWS = 3

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        lots = lot_list(user=user) if user is not None else MaterialLot.objects.none()
        for n in range(1, self.LOT_ROWS + 1):
            self.fields[f"lot_{n}"] = LotChoiceField(
                queryset=lots,
                required=n == 1,
                label=f"Lot {n}" + (" (optional)" if n > 1 else ""),
                empty_label="— choose a lot —",
            )
            self.fields[f"grams_{n}"] = forms.DecimalField(
                label=f"Grams from lot {n}",
                max_digits=10,
                decimal_places=3,
                min_value=Decimal("0.001"),
                required=n == 1,
            )

    def inputs(self) -> list[tuple]:
        data = self.cleaned_data
        return [
            (data[f"lot_{n}"], data[f"grams_{n}"])
            for n in range(1, self.LOT_ROWS + 1)
            if data.get(f"lot_{n}") is not None and data.get(f"grams_{n}") is not None
        ]

    def clean(self):
        data = super().clean()
        for n in range(2, self.LOT_ROWS + 1):
            if (data.get(f"lot_{n}") is None) != (data.get(f"grams_{n}") is None):
                self.add_error(f"grams_{n}", "Give both the lot and its grams.")
        if data.get("metal") and data.get("weight_grams") is None:
            self.add_error("weight_grams", "Give the weight of the metal.")
        if data.get("weight_grams") is not None and not data.get("metal"):
            self.add_error("metal", "Choose the metal.")
        # What the service takes: the metals and (lot, grams) pairs.
        data["metals"] = self.metals()
        data["inputs"] = self.inputs()
        return data

    def metals(self) -> list[dict]:
        data = self.cleaned_data
        if not data.get("metal") or data.get("weight_grams") is None:
            return []
        return [
            {
                "metal": data["metal"],
                "fineness": data.get("fineness"),
                "construction": data.get("construction") or "solid",
                "weight_grams": data["weight_grams"],
                "plating_metal": data.get("plating_metal") or "",
                "plating_thickness_microns": data.get("plating_thickness_microns"),
            }
        ]


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Message", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    attachments = MultipleFileField(
        label="Attachments",
        help_text="Up to 5 images (JPEG, PNG, WebP) or PDF documents.",
        widget=MultipleFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}
        ),
    )


class EmptyForm(forms.Form):
    """Actions that need nothing but the button (start, approve, submit for review)."""


# The page's form for each move of ``moves.MOVES``, prefixed with the move's slug.
MOVE_FORMS: dict[str, type[forms.Form]] = {
    "admit": EmptyForm,
    "decline": ReasonForm,
    "quote": QuoteForm,
    "accept_quote": VersionForm,
    "decline_quote": DeclineQuoteForm,
    "start": EmptyForm,
    "post_update": ProgressUpdateForm,
    "approve_update": UpdateDecisionForm,
    "request_changes": RequestChangesForm,
    "submit_for_review": EmptyForm,
    "approve": EmptyForm,
    "send_back": ReasonForm,
    "complete": CompleteForm,
    "cancel": ReasonForm,
    "record_payment": PaymentForm,
    "confirm_payment": PaymentConfirmForm,
}
