"""HTML forms of reviews: shape only; the services hold the rules."""

from django import forms

from marketplace.reviews.models import (
    MAX_PHOTOS,
    REASON_MAX,
    REPLY_MAX,
    TEXT_MAX,
    TITLE_MAX,
)

STAR_CHOICES = [(n, f"{n} star{'s' if n > 1 else ''}") for n in (5, 4, 3, 2, 1)]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several files from one input; each is checked and re-encoded by the service."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        files = [super(MultipleImageField, self).clean(item, initial) for item in files]
        files = [item for item in files if item]
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(f"A review has at most {MAX_PHOTOS} photos.")
        return files


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        choices=STAR_CHOICES, coerce=int, widget=forms.RadioSelect, label="Your rating"
    )
    title = forms.CharField(max_length=TITLE_MAX, label="Title")
    text = forms.CharField(
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        label="Your review",
        help_text="The piece, how it was made and sent, and how the artisan worked with you.",
    )
    photos = MultipleImageField(
        required=False,
        label="Photos",
        help_text=f"Up to {MAX_PHOTOS} JPEG, PNG or WebP photos of the piece; "
        "location and camera details are removed.",
    )
    photo_alt = forms.CharField(
        max_length=200,
        required=False,
        label="Describe the photos",
        help_text="For people who cannot see them.",
    )

    def __init__(self, *args, photos=(), **kwargs):
        super().__init__(*args, **kwargs)
        if photos:
            self.fields["remove_photos"] = forms.MultipleChoiceField(
                choices=[(photo.pk, photo.alt_text) for photo in photos],
                required=False,
                widget=forms.CheckboxSelectMultiple,
                label="Remove photos",
            )


class ReplyForm(forms.Form):
    text = forms.CharField(
        max_length=REPLY_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Your reply",
    )


class ReportForm(forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What is wrong with this review?",
    )


class ModerationForm(forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Reason (required; the author sees it)",
    )
