"""The artisan's workspace for pieces: /studio/pieces/.

One edit page holds the piece's details and its materials, gemstones, photos and
hallmark records; each section posts to its own small view, which calls one service
and comes back to the edit page. Another artisan's piece is a 404 everywhere.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from marketplace.accounts.mixins import (
    ArtisanRequiredMixin as BaseArtisanRequiredMixin,
)
from marketplace.catalogue.forms import (
    GemstoneForm,
    HallmarkRecordForm,
    ListingForm,
    ListingPhotoForm,
    MetalComponentForm,
)
from marketplace.catalogue.selectors import studio_listing_get, studio_listing_list
from marketplace.catalogue.services import listings as services
from provenance.services.verification import allowed_actions


def _add_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError next to the fields it names."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


class ArtisanRequiredMixin(BaseArtisanRequiredMixin):
    """The studio's gate, with the signed-in artisan at hand."""

    @property
    def artisan(self):
        return self.request.user.artisan_profile


class StudioListingListView(ArtisanRequiredMixin, TemplateView):
    template_name = "catalogue/listing_studio_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(studio_listing_list(user=self.request.user), 30).get_page(
            self.request.GET.get("page")
        )
        context["page_obj"] = page
        context["listings"] = list(page.object_list)
        return context


class StudioListingCreateView(ArtisanRequiredMixin, View):
    template_name = "catalogue/listing_form.html"

    def get(self, request):
        return render(request, self.template_name, {"form": ListingForm()})

    def post(self, request):
        form = ListingForm(request.POST)
        if form.is_valid():
            try:
                listing = services.listing_create(
                    artisan=self.artisan,
                    actor=request.user,
                    techniques=form.cleaned_data["techniques"],
                    **form.service_fields(),
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request,
                    "Draft saved. Now add its materials and photos, then publish it.",
                )
                return redirect("marketplace:studio-listing-update", slug=listing.slug)
        return render(request, self.template_name, {"form": form}, status=400)


class StudioListingUpdateView(ArtisanRequiredMixin, View):
    """The one page where a piece is edited, with all its sections."""

    template_name = "catalogue/listing_form.html"

    def context(self, listing, **forms):
        return {
            "listing": listing,
            "form": forms.get("form") or ListingForm(instance=listing),
            "metal_form": forms.get("metal_form") or MetalComponentForm(),
            "gemstone_form": forms.get("gemstone_form") or GemstoneForm(),
            "photo_form": forms.get("photo_form") or ListingPhotoForm(),
            "hallmark_form": forms.get("hallmark_form")
            or HallmarkRecordForm(artisan=listing.artisan),
            "actions": [
                (name, services.LISTING_TRANSITIONS[name].label)
                for name in services.listing_allowed_actions(listing)
            ],
            "publish_problems": services.publish_problems(listing)
            if listing.status == "draft"
            else {},
            "hallmark_actions": {
                record.pk: "submit" in allowed_actions(record, by="owner")
                for record in listing.hallmarks.all()
            },
        }

    def get(self, request, slug):
        listing = studio_listing_get(user=request.user, slug=slug)
        return render(request, self.template_name, self.context(listing))

    def post(self, request, slug):
        listing = studio_listing_get(user=request.user, slug=slug)
        form = ListingForm(request.POST, instance=listing)
        if form.is_valid():
            try:
                listing = services.listing_update(
                    listing=listing,
                    actor=request.user,
                    techniques=form.cleaned_data["techniques"],
                    **form.service_fields(),
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, "Details saved.")
                return redirect("marketplace:studio-listing-update", slug=listing.slug)
        listing = studio_listing_get(user=request.user, slug=slug)
        return render(
            request, self.template_name, self.context(listing, form=form), status=400
        )


class _SectionView(ArtisanRequiredMixin, View):
    """A POST that adds to one section of the edit page and returns to it."""

    http_method_names = ["post"]
    form_class = None
    form_key = ""
    anchor = ""

    def make_form(self, request, listing):
        return self.form_class(request.POST, request.FILES)

    def save(self, form, listing):
        raise NotImplementedError

    def post(self, request, slug):
        listing = studio_listing_get(user=request.user, slug=slug)
        form = self.make_form(request, listing)
        if form.is_valid():
            try:
                self.save(form, listing)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, self.success_message)
                url = reverse("marketplace:studio-listing-update", args=[listing.slug])
                return redirect(f"{url}#{self.anchor}")
        view = StudioListingUpdateView()
        view.request = request
        listing = studio_listing_get(user=request.user, slug=slug)
        return render(
            request,
            StudioListingUpdateView.template_name,
            view.context(listing, **{self.form_key: form}),
            status=400,
        )


class StudioMetalAddView(_SectionView):
    form_class = MetalComponentForm
    form_key = "metal_form"
    anchor = "metals"
    success_message = "Metal added."

    def save(self, form, listing):
        data = form.cleaned_data
        services.metal_component_add(
            listing=listing,
            actor=self.request.user,
            metal=data["metal"],
            fineness=data["fineness"],
            construction=data["construction"],
            weight_grams=data["weight_grams"],
            plating_metal=data["plating_metal"],
            plating_thickness_microns=data["plating_thickness_microns"],
        )


class StudioGemstoneAddView(_SectionView):
    form_class = GemstoneForm
    form_key = "gemstone_form"
    anchor = "gemstones"
    success_message = "Gemstone added."

    def save(self, form, listing):
        services.gemstone_add(
            listing=listing, actor=self.request.user, **form.cleaned_data
        )


class StudioPhotoAddView(_SectionView):
    form_class = ListingPhotoForm
    form_key = "photo_form"
    anchor = "photos"
    success_message = "Photo added."

    def save(self, form, listing):
        services.listing_photo_add(
            listing=listing,
            actor=self.request.user,
            image=form.cleaned_data["image"],
            alt_text=form.cleaned_data["alt_text"],
            role=form.cleaned_data["role"],
        )


class StudioHallmarkAddView(_SectionView):
    form_key = "hallmark_form"
    anchor = "hallmarks"
    success_message = "Hallmark recorded. Submit it for review when it is complete."

    def make_form(self, request, listing):
        return HallmarkRecordForm(request.POST, request.FILES, artisan=listing.artisan)

    def save(self, form, listing):
        services.hallmark_record_add(
            listing=listing,
            actor=self.request.user,
            photo=form.cleaned_data.get("photo"),
            **form.service_fields(),
        )


class _ItemActionView(ArtisanRequiredMixin, View):
    """A POST on one item of a section (remove, submit), back to the edit page."""

    http_method_names = ["post"]
    related = ""
    anchor = ""

    def act(self, item):
        raise NotImplementedError

    def post(self, request, slug, pk):
        listing = studio_listing_get(user=request.user, slug=slug)
        item = get_object_or_404(getattr(listing, self.related).all(), pk=pk)
        try:
            message = self.act(item)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, message)
        url = reverse("marketplace:studio-listing-update", args=[listing.slug])
        return redirect(f"{url}#{self.anchor}")


class StudioMetalRemoveView(_ItemActionView):
    related, anchor = "metals", "metals"

    def act(self, item):
        services.metal_component_remove(component=item, actor=self.request.user)
        return "Metal removed."


class StudioGemstoneRemoveView(_ItemActionView):
    related, anchor = "gemstones", "gemstones"

    def act(self, item):
        services.gemstone_remove(gemstone=item, actor=self.request.user)
        return "Gemstone removed."


class StudioPhotoRemoveView(_ItemActionView):
    related, anchor = "photos", "photos"

    def act(self, item):
        services.listing_photo_remove(photo=item, actor=self.request.user)
        return "Photo removed."


class StudioHallmarkRemoveView(_ItemActionView):
    related, anchor = "hallmarks", "hallmarks"

    def act(self, item):
        services.hallmark_record_remove(record=item, actor=self.request.user)
        return "Hallmark record removed."


class StudioHallmarkSubmitView(_ItemActionView):
    related, anchor = "hallmarks", "hallmarks"

    def act(self, item):
        services.hallmark_record_submit(record=item, actor=self.request.user)
        return "Hallmark record sent to the verifiers."


class StudioListingTransitionView(ArtisanRequiredMixin, View):
    """POST /studio/pieces/<slug>/<action>/: publish, unpublish, archive, mark sold."""

    http_method_names = ["post"]

    def post(self, request, slug, action):
        listing = studio_listing_get(user=request.user, slug=slug)
        service = services.LISTING_ACTIONS.get(action.replace("-", "_"))
        if service is None:
            raise Http404("No such action.")
        try:
            listing = service(listing=listing, actor=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                f"“{listing.title}” is now {listing.get_status_display().lower()}.",
            )
        return redirect("marketplace:studio-listing-update", slug=listing.slug)
