"""Forms of the catalogue and the artisan's listing workspace; services do the rules."""

from decimal import Decimal
from functools import cache

from django import forms
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from artisans.models import MakerMark, Technique
from marketplace.catalogue.models import (
    Gemstone,
    HallmarkRecord,
    Listing,
    ListingPhoto,
    MetalComponent,
)
from marketplace.catalogue.services.listings import EDITABLE_FIELDS
from marketplace.materials import Metal


class ListingForm(forms.ModelForm):
    """A piece's details; status, ownership and verification are not here."""

    techniques = forms.ModelMultipleChoiceField(
        queryset=Technique.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Listing
        fields = [*EDITABLE_FIELDS, "techniques"]
        help_texts = {
            "edition_size": "Limited editions only: how many will ever be made.",
            "quantity_available": "Limited editions: how many are left to sell.",
            "lead_time_days": "Made to order only: days from order to dispatch.",
            "care_instructions": (
                "Leave empty for a sensible default for the main metal; edit it freely."
            ),
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "customisation_options": forms.Textarea(attrs={"rows": 3}),
            "care_instructions": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quantity_available"].required = False

    def _get_validation_exclusions(self):
        # The service checks the edition rules with field-level errors; excluding
        # these fields here keeps the model's constraints from answering first with
        # a message about a constraint name.
        return {
            *super()._get_validation_exclusions(),
            "kind",
            "edition_size",
            "quantity_available",
        }

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("techniques", None)
        return data


class MetalComponentForm(forms.ModelForm):
    class Meta:
        model = MetalComponent
        fields = [
            "metal",
            "fineness",
            "construction",
            "weight_grams",
            "plating_metal",
            "plating_thickness_microns",
        ]
        labels = {
            "weight_grams": "Weight (grams)",
            "plating_thickness_microns": "Plating thickness (microns)",
        }
        help_texts = {
            "plating_metal": "Plated, gold-filled and vermeil only: the surface metal.",
        }


class GemstoneForm(forms.ModelForm):
    class Meta:
        model = Gemstone
        fields = [
            "species",
            "nature",
            "treatment",
            "carat",
            "count",
            "origin_country",
            "lab_report_issuer",
            "lab_report_number",
        ]
        labels = {"count": "Number of stones"}


class ListingPhotoForm(forms.Form):
    image = forms.ImageField(
        help_text="JPEG, PNG or WebP, up to 10 MB. Metadata (including location) is removed."
    )
    alt_text = forms.CharField(
        max_length=200,
        label="Describe the photo",
        help_text="For people using screen readers, e.g. “Ring seen from above”.",
    )
    role = forms.ChoiceField(
        choices=ListingPhoto.Role.choices, initial=ListingPhoto.Role.DETAIL
    )


class HallmarkRecordForm(forms.ModelForm):
    photo = forms.ImageField(required=False)

    class Meta:
        model = HallmarkRecord
        fields = [
            "system",
            "metal",
            "fineness_mark",
            "maker_mark",
            "assay_office",
            "date_letter",
            "huid",
        ]
        help_texts = {
            "maker_mark": "Only your verified maker's marks can stand on a hallmark.",
            "huid": "BIS hallmarks only: the 6-character code, e.g. AB12CD.",
        }

    def __init__(self, *args, artisan=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["maker_mark"].queryset = MakerMark.objects.filter(artisan=artisan)
        self.fields["metal"].choices = [
            (value, label)
            for value, label in Metal.choices
            if value in ("gold", "silver", "platinum", "palladium")
        ]

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("photo", None)
        return data


class CostPerWearForm(forms.Form):
    """Price divided by the number of times the piece will be worn (a GET form)."""

    DEFAULT = {"wears_per_week": 3, "years": 10}

    wears_per_week = forms.IntegerField(
        min_value=1, max_value=14, initial=3, label="Times worn a week"
    )
    years = forms.IntegerField(min_value=1, max_value=60, initial=10, label="For years")

    @classmethod
    def from_query(cls, query) -> "CostPerWearForm":
        """The visitor's figures if the query has them, else the default ones."""
        return cls(query) if "wears_per_week" in query else cls(cls.DEFAULT)

    def as_html(self) -> SafeString:
        """The fields as ``includes/form.html`` renders them: the default form's, the
        same on every page, once per process."""
        if self.data is self.DEFAULT:
            return _default_cost_per_wear_html()
        return _form_html(self)

    def cost_per_wear(self, price: Decimal | None) -> Decimal | None:
        if price is None or not self.is_valid():
            return None
        wears = self.cleaned_data["wears_per_week"] * 52 * self.cleaned_data["years"]
        return (price / wears).quantize(Decimal("0.01"))

    @property
    def wears(self) -> int | None:
        if not self.is_valid():
            return None
        return self.cleaned_data["wears_per_week"] * 52 * self.cleaned_data["years"]


def _form_html(form: forms.Form) -> SafeString:
    return render_to_string("includes/form.html", {"form": form})


@cache
def _default_cost_per_wear_html() -> SafeString:
    return _form_html(CostPerWearForm(CostPerWearForm.DEFAULT))
