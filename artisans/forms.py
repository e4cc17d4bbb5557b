"""HTML forms for onboarding, the profile and maker's marks: they check shape only."""

from django import forms

from artisans.models import Artisan, MakerMark, Technique, Tradition
from config.images import MAX_UPLOAD_BYTES

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp"


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    widget = MultipleImageInput

    def clean(self, data, initial=None):
        if not data:
            return []
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class ArtisanProfileForm(forms.ModelForm):
    traditions = forms.ModelMultipleChoiceField(
        queryset=Tradition.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    techniques = forms.ModelMultipleChoiceField(
        queryset=Technique.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    portrait = forms.FileField(
        required=False,
        help_text=(
            f"JPEG, PNG or WebP, up to {MAX_UPLOAD_BYTES // 1_048_576} MB. "
            "Location and camera data are removed."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    workshop_photos = MultipleImageField(
        required=False,
        label="Workshop photos",
        help_text="Add one or more photos of your bench and workshop.",
        widget=MultipleImageInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    workshop_photo_alt = forms.CharField(
        required=False,
        max_length=200,
        label="Describe the workshop photos",
        help_text="For people using screen readers, e.g. “My bench in Celuk”.",
    )

    class Meta:
        model = Artisan
        fields = [
            "public_name",
            "story",
            "traditions",
            "techniques",
            "workshop_name",
            "city",
            "region",
            "country",
            "years_of_practice",
            "workshop_visits",
            "commission_status",
            "commission_lead_time_weeks",
        ]
        widgets = {"story": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            photos = list(self.instance.photos.all())
            if photos:
                self.fields["remove_photos"] = forms.ModelMultipleChoiceField(
                    queryset=self.instance.photos.all(),
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                    label="Remove workshop photos",
                )

    def _post_clean(self):
        # The service applies the data; skip ModelForm's instance construction so that
        # nothing touches the instance before the service runs.
        pass

    def profile_data(self) -> dict:
        return {
            field: self.cleaned_data[field]
            for field in self.Meta.fields
            if field not in ("traditions", "techniques")
        }

    def workshop_uploads(self):
        alt = self.cleaned_data.get("workshop_photo_alt", "")
        return [(f, alt) for f in self.cleaned_data.get("workshop_photos") or []]


class MakerMarkForm(forms.ModelForm):
    image = forms.FileField(
        required=False,
        label="Image of the mark",
        help_text="A clear close-up of the mark as struck (JPEG, PNG or WebP).",
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    evidence = forms.FileField(
        required=False,
        label="Evidence",
        help_text=(
            "Registration certificate or registry extract (PDF, JPEG, PNG or WebP). "
            "Stored with its SHA-256 fingerprint."
        ),
    )

    class Meta:
        model = MakerMark
        fields = [
            "text",
            "registration_system",
            "registry_reference",
            "registered_on",
            "expires_on",
        ]
        widgets = {
            "registered_on": forms.DateInput(attrs={"type": "date"}),
            "expires_on": forms.DateInput(attrs={"type": "date"}),
        }

    def _post_clean(self):
        pass

    def mark_data(self) -> dict:
        return {field: self.cleaned_data[field] for field in self.Meta.fields}


class EvidenceForm(forms.Form):
    file = forms.FileField(
        label="Evidence file",
        help_text="PDF, JPEG, PNG or WebP. Stored with its SHA-256 fingerprint.",
    )
    description = forms.CharField(max_length=255, required=False)


class ResubmitForm(forms.Form):
    message = forms.CharField(
        label="Your answer to the verifier",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    files = MultipleImageField(
        required=False,
        label="New evidence",
        help_text="PDF, JPEG, PNG or WebP; you can attach several files.",
    )

    def clean(self):
        data = super().clean()
        if not (data.get("message") or "").strip() and not data.get("files"):
            raise forms.ValidationError("Write an answer or attach new evidence.")
        return data


class ArtisanLinkForm(forms.Form):
    label = forms.CharField(max_length=60, help_text="e.g. “Instagram” or “My shop”.")
    url = forms.URLField(label="Address", max_length=300, assume_scheme="https")
