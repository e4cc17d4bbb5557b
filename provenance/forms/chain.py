"""Forms of the artisan's provenance workspace: quick to fill, errors next to fields."""

from datetime import UTC, datetime, time
from decimal import Decimal

from django import forms
from django.utils import timezone
from django_countries.fields import CountryField

from marketplace.catalogue.models import HallmarkRecord
from marketplace.materials import Metal
from provenance.models import Certification, MaterialLot, OriginType, Party
from provenance.selectors.chain import (
    certification_list,
    lot_list,
    party_list,
    piece_choices,
)

PROCESS_CHOICES = [
    ("casting", "Lost-wax casting"),
    ("fabrication", "Fabrication (sheet and wire)"),
    ("forging", "Hand forging"),
    ("melting", "Melting and alloying"),
    ("setting", "Stone setting"),
]


def moment_of(day) -> datetime:
    """A day from a form as a moment: now for today, noon UTC for an earlier day."""
    if day is None:
        return timezone.now()
    if day == timezone.now().date():
        return timezone.now()
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


class DateInput(forms.DateInput):
    input_type = "date"


class PartyChoiceField(forms.ModelChoiceField):
    """Parties from ``party_list``: each with its kind, and whether it is verified."""

    def label_from_instance(self, party):
        label = f"{party.name} ({party.get_kind_display().lower()})"
        if not party.is_workshop and not party.is_verified:
            label += " · yours, not yet verified"
        return label


class LotChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, lot):
        return f"{lot.reference}: {lot.describe()} ({lot.remaining_grams.quantize(Decimal('0.001'))} g left)"


class PurchaseForm(forms.Form):
    supplier = PartyChoiceField(
        queryset=Party.objects.none(),
        required=False,
        help_text="Who sold you the material.",
    )
    new_supplier_name = forms.CharField(
        label="…or a new supplier", max_length=160, required=False
    )
    new_supplier_country = CountryField(blank=True).formfield(
        label="New supplier's country", required=False
    )
    reference = forms.CharField(
        max_length=80, help_text="The supplier's batch or bar number, or your own."
    )
    material = forms.ChoiceField(choices=MaterialLot.Material.choices)
    metal = forms.ChoiceField(choices=[("", "—"), *Metal.choices], required=False)
    fineness = forms.IntegerField(
        required=False, min_value=1, max_value=999, help_text="Parts per thousand."
    )
    stone_species = forms.CharField(max_length=20, required=False, label="Stones")
    mass_grams = forms.DecimalField(
        label="Mass (g)", max_digits=12, decimal_places=3, min_value=Decimal("0.001")
    )
    origin_type = forms.ChoiceField(choices=OriginType.choices)
    origin_party = PartyChoiceField(
        queryset=Party.objects.none(),
        required=False,
        label="Origin (mine, recycler or refiner)",
        help_text="Leave empty if the supplier is the origin.",
    )
    origin_country = CountryField(blank=True).formfield(required=False)
    origin_place = forms.CharField(max_length=160, required=False)
    purchased_on = forms.DateField(widget=DateInput, required=False)
    certification = forms.ModelChoiceField(
        queryset=Certification.objects.none(),
        required=False,
        help_text="A certificate that covers this material on the purchase date.",
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        parties = party_list(user=user).exclude(kind=Party.Kind.WORKSHOP)
        self.fields["supplier"].queryset = parties
        self.fields["origin_party"].queryset = parties
        self.fields["certification"].queryset = certification_list(user=user)

    def clean(self):
        data = super().clean()
        if not data.get("supplier") and not data.get("new_supplier_name"):
            self.add_error("supplier", "Choose the supplier or name a new one.")
        return data


class FabricateForm(forms.Form):
    """A piece's making; what it needs is checked by ``event_record``, like the API's."""

    listing = forms.ModelChoiceField(queryset=None, label="Piece", required=False)
    process = forms.ChoiceField(choices=PROCESS_CHOICES)
    lot_1 = LotChoiceField(queryset=None, label="First lot", required=False)
    grams_1 = forms.DecimalField(
        label="Grams used", max_digits=12, decimal_places=3, required=False
    )
    lot_2 = LotChoiceField(queryset=None, label="Second lot", required=False)
    grams_2 = forms.DecimalField(
        label="Grams used", max_digits=12, decimal_places=3, required=False
    )
    lot_3 = LotChoiceField(queryset=None, label="Third lot", required=False)
    grams_3 = forms.DecimalField(
        label="Grams used", max_digits=12, decimal_places=3, required=False
    )
    loss_grams = forms.DecimalField(
        label="Loss (g)",
        max_digits=12,
        decimal_places=3,
        min_value=Decimal("0"),
        required=False,
        help_text="Sprue, filings and melt loss.",
    )
    made_on = forms.DateField(widget=DateInput, required=False)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["listing"].queryset = piece_choices(user=user)
        lots = lot_list(user=user)
        for n in (1, 2, 3):
            self.fields[f"lot_{n}"].queryset = lots

    def clean(self):
        data = super().clean()
        for n in (1, 2, 3):
            if data.get(f"lot_{n}") and data.get(f"grams_{n}") is None:
                self.add_error(f"grams_{n}", "Say how many grams of this lot you used.")
        return data

    def inputs(self):
        return [
            (self.cleaned_data[f"lot_{n}"], self.cleaned_data[f"grams_{n}"])
            for n in (1, 2, 3)
            if self.cleaned_data.get(f"lot_{n}")
        ]


class HallmarkingForm(forms.Form):
    """An assay and hallmarking; what it needs is checked by ``event_record``."""

    listing = forms.ModelChoiceField(queryset=None, label="Piece", required=False)
    assay_office = PartyChoiceField(queryset=Party.objects.none(), required=False)
    new_assay_office_name = forms.CharField(
        label="…or another assay office", max_length=160, required=False
    )
    hallmark = forms.ModelChoiceField(
        queryset=HallmarkRecord.objects.none(),
        required=False,
        help_text="The hallmark record of the piece, if you have added it.",
    )
    hallmarked_on = forms.DateField(widget=DateInput, required=False)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        pieces = piece_choices(user=user)
        self.fields["listing"].queryset = pieces
        self.fields["assay_office"].queryset = party_list(user=user).filter(
            kind=Party.Kind.ASSAY_OFFICE
        )
        self.fields["hallmark"].queryset = HallmarkRecord.objects.filter(
            listing__in=pieces
        ).select_related("listing")


class CertificationForm(forms.Form):
    scheme = forms.ChoiceField(choices=Certification.Scheme.choices)
    issuer = forms.CharField(max_length=160)
    number = forms.CharField(max_length=80)
    issued_on = forms.DateField(widget=DateInput)
    valid_until = forms.DateField(widget=DateInput, required=False)
    evidence = forms.FileField(
        required=False,
        help_text="The certificate as a PDF or a photo; its SHA-256 is kept.",
    )
    lot = LotChoiceField(
        queryset=None, required=False, label="Covers lot", help_text="Optional."
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lot"].queryset = lot_list(user=user)


class PartyForm(forms.ModelForm):
    class Meta:
        model = Party
        fields = ["kind", "name", "country", "place", "registry_identifier"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            c for c in Party.Kind.choices if c[0] != Party.Kind.WORKSHOP
        ]


class EvidenceForm(forms.Form):
    file = forms.FileField(help_text="A PDF or a JPEG, PNG or WebP image.")
    description = forms.CharField(max_length=255, required=False)


class CorrectionForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What was wrong, and what is right",
        required=False,
    )


class ClaimCodeForm(forms.Form):
    code = forms.CharField(max_length=40, label="Claim code")
