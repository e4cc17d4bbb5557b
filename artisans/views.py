"""HTML views: the public directory and artisan pages, onboarding and the /studio/."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView, FormView, ListView, TemplateView

from artisans import selectors, services
from artisans.filters import ArtisanFilter
from artisans.forms import (
    ArtisanLinkForm,
    ArtisanProfileForm,
    EvidenceForm,
    MakerMarkForm,
    ResubmitForm,
)
from artisans.permissions import can_edit_maker_mark
from marketplace.accounts.mixins import ArtisanRequiredMixin
from marketplace.accounts.roles import is_artisan
from provenance.selectors.review import attach_claims
from provenance.services.verification import (
    allowed_actions,
    claim_resubmit,
    claim_submit,
    evidence_add,
)


def add_service_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError next to the fields it names (else on top)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


class ArtisanListView(ListView):
    template_name = "artisans/artisan_list.html"
    context_object_name = "artisans"
    paginate_by = 24

    def get_queryset(self):
        self.filterset = ArtisanFilter(
            self.request.GET or None,
            queryset=selectors.artisan_list(user=self.request.user),
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["filter"] = self.filterset
        context["querystring_base"] = query.urlencode()
        return context


class ArtisanDetailView(DetailView):
    template_name = "artisans/artisan_detail.html"
    context_object_name = "artisan"

    def get_object(self, queryset=None):
        return selectors.artisan_get(slug=self.kwargs["slug"], user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["pieces"] = selectors.artisan_pieces(artisan=self.object)
        return context


class ArtisanOnboardView(LoginRequiredMixin, FormView):
    template_name = "artisans/artisan_onboard.html"
    form_class = ArtisanProfileForm

    def dispatch(self, request, *args, **kwargs):
        if is_artisan(request.user):
            messages.info(request, "You already have an artisan profile.")
            return redirect("artisans:studio")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            artisan = services.artisan_create(
                user=self.request.user,
                data=form.profile_data(),
                traditions=form.cleaned_data["traditions"],
                techniques=form.cleaned_data["techniques"],
                portrait=form.cleaned_data.get("portrait"),
                workshop_photos=form.workshop_uploads(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"Welcome, {artisan.public_name}. Your page is public with an “unverified” "
            "badge; submit it for verification when you are ready.",
        )
        return redirect("artisans:studio")


class StudioMixin(ArtisanRequiredMixin):
    """Pages of the artisan's own workspace, with the artisan's profile at hand."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.artisan = selectors.artisan_for_user(user=request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["artisan"] = self.artisan
        return context


class StudioView(StudioMixin, TemplateView):
    template_name = "artisans/studio.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["marks"] = selectors.maker_mark_list(user=self.request.user)
        context["awaiting"] = attach_claims(
            selectors.records_awaiting_review(artisan=self.artisan)
        )
        context["profile_actions"] = allowed_actions(self.artisan, by="owner")
        return context


class StudioProfileView(StudioMixin, FormView):
    template_name = "artisans/artisan_form.html"
    form_class = ArtisanProfileForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.artisan
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["review"] = selectors.claim_review(record=self.artisan)
        context["owner_actions"] = allowed_actions(self.artisan, by="owner")
        context["record"] = self.artisan
        context["submit_url"] = reverse("artisans:studio-profile-submit")
        context["resubmit_url"] = reverse("artisans:studio-profile-resubmit")
        context["resubmit_form"] = ResubmitForm()
        context["link_form"] = kwargs.get("link_form") or ArtisanLinkForm()
        return context

    def form_valid(self, form):
        try:
            services.artisan_update(
                artisan=self.artisan,
                actor=self.request.user,
                data=form.profile_data(),
                traditions=form.cleaned_data["traditions"],
                techniques=form.cleaned_data["techniques"],
                portrait=form.cleaned_data.get("portrait"),
                workshop_photos=form.workshop_uploads(),
                remove_photo_ids=[
                    p.pk for p in form.cleaned_data.get("remove_photos") or []
                ],
            )
        except ValidationError as error:
            # Reload so the page shows what is stored, not the rejected input.
            self.artisan.refresh_from_db()
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Your profile is saved.")
        return redirect("artisans:studio-profile")


class StudioLinkAddView(StudioMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        form = ArtisanLinkForm(request.POST)
        if form.is_valid():
            try:
                services.artisan_link_add(
                    artisan=self.artisan, actor=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
        if form.errors:
            view = StudioProfileView(request=request, kwargs={})
            view.artisan = self.artisan
            return view.render_to_response(
                view.get_context_data(
                    link_form=form, form=ArtisanProfileForm(instance=self.artisan)
                ),
                status=400,
            )
        messages.success(request, "The link is added.")
        return redirect("artisans:studio-profile")


class StudioLinkRemoveView(StudioMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        try:
            services.artisan_link_remove(
                artisan=self.artisan, actor=request.user, link_id=pk
            )
        except ValidationError as error:
            raise Http404("No such link.") from error
        messages.success(request, "The link is removed.")
        return redirect("artisans:studio-profile")


class StudioProfileSubmitView(StudioMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        try:
            claim_submit(record=self.artisan, actor=request.user)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(_messages(error)))
        else:
            messages.success(request, "Your profile is submitted for verification.")
        return redirect("artisans:studio-profile")


class StudioProfileResubmitView(StudioMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        form = ResubmitForm(request.POST, request.FILES)
        return _resubmit(request, form, self.artisan, "artisans:studio-profile")


def _messages(error) -> list[str]:
    return list(getattr(error, "messages", None) or [str(error)])


def _resubmit(request, form, record, success_url, **url_kwargs):
    if not form.is_valid():
        for error in form.errors.values():
            messages.error(request, " ".join(error))
        return redirect(success_url, **url_kwargs)
    try:
        claim_resubmit(
            record=record,
            actor=request.user,
            message=form.cleaned_data["message"],
            files=form.cleaned_data["files"],
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(_messages(error)))
    else:
        messages.success(request, "Your answer is sent; the review continues.")
    return redirect(success_url, **url_kwargs)


class MakerMarkListView(StudioMixin, ListView):
    template_name = "artisans/makermark_list.html"
    context_object_name = "marks"
    paginate_by = 24

    def get_queryset(self):
        return selectors.maker_mark_list(user=self.request.user)


class MakerMarkCreateView(StudioMixin, FormView):
    template_name = "artisans/makermark_form.html"
    form_class = MakerMarkForm

    def form_valid(self, form):
        try:
            mark = services.maker_mark_create(
                artisan=self.artisan,
                actor=self.request.user,
                data=form.mark_data(),
                image=form.cleaned_data.get("image"),
                evidence=form.cleaned_data.get("evidence"),
            )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "file" in error.error_dict:
                error = ValidationError({"evidence": error.error_dict["file"]})
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"Mark “{mark.text}” is declared. Submit it for verification when its "
            "evidence is attached.",
        )
        return redirect("artisans:studio-mark-detail", pk=mark.pk)


class MarkMixin(StudioMixin):
    """One of the artisan's own marks: anyone else's is a 404."""

    def get_mark(self):
        if not hasattr(self, "_mark"):
            self._mark = selectors.maker_mark_get(
                user=self.request.user, pk=self.kwargs["pk"]
            )
        return self._mark


def mark_detail_context(request, artisan, mark, **overrides) -> dict:
    """What the mark page shows: status, the verifier's messages, history and evidence."""
    context = {
        "artisan": artisan,
        "mark": mark,
        "record": mark,
        "review": selectors.claim_review(record=mark),
        "evidence": list(mark.evidence.all()),
        "owner_actions": allowed_actions(mark, by="owner"),
        "can_edit": can_edit_maker_mark(request.user, mark),
        "evidence_form": EvidenceForm(),
        "resubmit_form": ResubmitForm(),
        "submit_url": reverse("artisans:studio-mark-submit", args=[mark.pk]),
        "resubmit_url": reverse("artisans:studio-mark-resubmit", args=[mark.pk]),
    }
    context.update(overrides)
    return context


class MakerMarkDetailView(MarkMixin, TemplateView):
    template_name = "artisans/makermark_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(mark_detail_context(self.request, self.artisan, self.get_mark()))
        return context


class MakerMarkUpdateView(MarkMixin, FormView):
    template_name = "artisans/makermark_form.html"
    form_class = MakerMarkForm

    def get(self, request, *args, **kwargs):
        if not self.get_mark().is_editable:
            messages.error(request, "A verified mark can no longer be edited.")
            return redirect("artisans:studio-mark-detail", pk=self.get_mark().pk)
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.get_mark()
        return kwargs

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields.pop("evidence")
        return form

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["mark"] = self.get_mark()
        return context

    def form_valid(self, form):
        mark = self.get_mark()
        try:
            services.maker_mark_update(
                mark=mark,
                actor=self.request.user,
                data=form.mark_data(),
                image=form.cleaned_data.get("image"),
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "The mark is saved.")
        return redirect("artisans:studio-mark-detail", pk=mark.pk)


class MakerMarkSubmitView(MarkMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        mark = self.get_mark()
        try:
            claim_submit(record=mark, actor=request.user)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(_messages(error)))
        else:
            messages.success(request, f"Mark “{mark.text}” is submitted for review.")
        return redirect("artisans:studio-mark-detail", pk=mark.pk)


class MakerMarkEvidenceView(MarkMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        mark = self.get_mark()
        form = EvidenceForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                evidence_add(
                    record=mark,
                    actor=request.user,
                    uploaded=form.cleaned_data["file"],
                    description=form.cleaned_data["description"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
        if form.errors:
            return TemplateResponse(
                request,
                MakerMarkDetailView.template_name,
                mark_detail_context(request, self.artisan, mark, evidence_form=form),
                status=400,
            )
        messages.success(request, "The evidence is attached.")
        return redirect("artisans:studio-mark-detail", pk=mark.pk)


class MakerMarkResubmitView(MarkMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        mark = self.get_mark()
        form = ResubmitForm(request.POST, request.FILES)
        return _resubmit(request, form, mark, "artisans:studio-mark-detail", pk=mark.pk)
