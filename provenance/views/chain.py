"""The artisan's provenance workspace under /studio/provenance/."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.generic import DetailView, FormView, ListView, View

from marketplace.accounts.mixins import ArtisanRequiredMixin
from provenance.forms.chain import (
    CertificationForm,
    CorrectionForm,
    EvidenceForm,
    FabricateForm,
    HallmarkingForm,
    PartyForm,
    PurchaseForm,
    moment_of,
)
from provenance.models import Party, TraceEvent
from provenance.selectors.chain import (
    certification_list,
    event_list,
    lot_list,
    party_proposed_list,
)
from provenance.services.chain import (
    certification_create,
    lot_purchase,
    party_create,
    workshop_party_for,
)
from provenance.services.events import event_record
from provenance.services.verification import claim_submit, evidence_add


def form_errors_from(form, error: ValidationError) -> None:
    """Put a service's ValidationError next to the form's fields (or on top)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else None
            for message in errors:
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


class ServiceFormView(ArtisanRequiredMixin, FormView):
    """Validate the form, call one service, redirect; service errors go to the form."""

    success_message = ""

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        try:
            with transaction.atomic():
                self.result = self.perform(form)
        except ValidationError as error:
            form_errors_from(form, error)
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message)
        return redirect(self.get_success_url())

    def get_success_url(self):
        return reverse("provenance:studio-lot-list")


class LotListView(ArtisanRequiredMixin, ListView):
    template_name = "provenance/materiallot_list.html"
    context_object_name = "lots"
    paginate_by = 25

    def get_queryset(self):
        return lot_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["certifications"] = certification_list(user=self.request.user)[:10]
        context["recent_events"] = event_list(user=self.request.user)[:8]
        context["proposed_parties"] = party_proposed_list(user=self.request.user)[:10]
        return context


class LotDetailView(ArtisanRequiredMixin, DetailView):
    template_name = "provenance/materiallot_detail.html"
    context_object_name = "lot"

    def get_queryset(self):
        return lot_list(user=self.request.user).prefetch_related("evidence")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["events"] = event_list(user=self.request.user).filter(
            items__lot=self.object
        )
        context["evidence_form"] = EvidenceForm()
        return context


class EventDetailView(ArtisanRequiredMixin, DetailView):
    template_name = "provenance/traceevent_detail.html"
    context_object_name = "event"

    def get_queryset(self):
        return event_list(user=self.request.user).prefetch_related("evidence")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("correction_form", CorrectionForm())
        context["evidence_form"] = EvidenceForm()
        return context


class EventCorrectView(ArtisanRequiredMixin, View):
    def post(self, request, pk):
        event = get_object_or_404(event_list(user=request.user), pk=pk)
        form = CorrectionForm(request.POST)
        if form.is_valid():
            try:
                correction = event_record(
                    actor=request.user,
                    kind=TraceEvent.Kind.CORRECTION,
                    corrects=event,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                messages.success(request, "The correction is recorded in the chain.")
                return redirect(correction)
        view = EventDetailView(request=request, kwargs={"pk": pk}, object=event)
        context = view.get_context_data(object=event, correction_form=form)
        return TemplateResponse(request, view.template_name, context, status=400)


CLAIM_SOURCES = {
    "lots": lot_list,
    "events": event_list,
    "certifications": certification_list,
}


def _claim(request, kind: str, pk: int):
    selector = CLAIM_SOURCES.get(kind)
    if selector is None:
        raise Http404
    return get_object_or_404(selector(user=request.user), pk=pk)


def _back(record, kind):
    if kind == "certifications":
        return reverse("provenance:studio-certification-list")
    return record.get_absolute_url()


class ClaimSubmitView(ArtisanRequiredMixin, View):
    """Send a lot, event or certification to the verifiers."""

    def post(self, request, kind, pk):
        record = _claim(request, kind, pk)
        try:
            claim_submit(record=record, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Sent for review by a Touchstone verifier.")
        return redirect(_back(record, kind))


class ClaimEvidenceView(ArtisanRequiredMixin, View):
    """Attach a document or photo to a lot, event or certification."""

    def post(self, request, kind, pk):
        record = _claim(request, kind, pk)
        form = EvidenceForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, "Choose a file to attach.")
            return redirect(_back(record, kind))
        try:
            evidence_add(
                record=record,
                actor=request.user,
                uploaded=form.cleaned_data["file"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Evidence attached; its SHA-256 is recorded.")
        return redirect(_back(record, kind))


class PurchaseCreateView(ServiceFormView):
    template_name = "provenance/purchase_form.html"
    form_class = PurchaseForm
    success_message = (
        "Purchase recorded: the lot's origin and its arrival in your workshop."
    )

    def perform(self, form):
        data = form.cleaned_data
        supplier = data["supplier"]
        if supplier is None:
            supplier = party_create(
                actor=self.request.user,
                kind=Party.Kind.SUPPLIER,
                name=data["new_supplier_name"],
                country=data["new_supplier_country"] or "",
            )
        return lot_purchase(
            actor=self.request.user,
            supplier=supplier,
            reference=data["reference"],
            material=data["material"],
            metal=data["metal"],
            fineness=data["fineness"],
            stone_species=data["stone_species"],
            mass_grams=data["mass_grams"],
            origin_type=data["origin_type"],
            origin_party=data["origin_party"],
            origin_country=data["origin_country"] or "",
            origin_place=data["origin_place"],
            purchased_at=moment_of(data["purchased_on"]),
            certification=data["certification"],
            note=data["note"],
        )

    def get_success_url(self):
        return self.result.get_absolute_url()


class FabricateView(ServiceFormView):
    template_name = "provenance/fabricate_form.html"
    form_class = FabricateForm
    success_message = "The piece's making is recorded; its certificate is ready."

    def get_initial(self):
        return {"listing": self.request.GET.get("piece")}

    def perform(self, form):
        data = form.cleaned_data
        return event_record(
            actor=self.request.user,
            kind=TraceEvent.Kind.TRANSFORMATION,
            listing=data["listing"],
            inputs=form.inputs(),
            loss_grams=data["loss_grams"],
            occurred_at=moment_of(data["made_on"]),
            process=data["process"],
            note=data["note"],
        )

    def get_success_url(self):
        return self.result.get_absolute_url()


class HallmarkingView(ServiceFormView):
    template_name = "provenance/hallmarking_form.html"
    form_class = HallmarkingForm
    success_message = "Hallmarking recorded in the piece's chain."

    def perform(self, form):
        data = form.cleaned_data
        office = data["assay_office"]
        if office is None and data["new_assay_office_name"]:
            office = party_create(
                actor=self.request.user,
                kind=Party.Kind.ASSAY_OFFICE,
                name=data["new_assay_office_name"],
            )
        return event_record(
            actor=self.request.user,
            kind=TraceEvent.Kind.ASSAY,
            listing=data["listing"],
            assay_office=office,
            hallmark=data["hallmark"],
            occurred_at=moment_of(data["hallmarked_on"]),
            note=data["note"],
        )

    def get_success_url(self):
        return self.result.get_absolute_url()


class CertificationListView(ArtisanRequiredMixin, ListView):
    template_name = "provenance/certification_list.html"
    context_object_name = "certifications"
    paginate_by = 25

    def get_queryset(self):
        return certification_list(user=self.request.user).prefetch_related("evidence")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "evidence_form": EvidenceForm()}


class CertificationCreateView(ServiceFormView):
    template_name = "provenance/certification_form.html"
    form_class = CertificationForm
    success_message = "Certification recorded."

    def perform(self, form):
        data = form.cleaned_data
        certification = certification_create(
            actor=self.request.user,
            scheme=data["scheme"],
            issuer=data["issuer"],
            number=data["number"],
            issued_on=data["issued_on"],
            valid_until=data["valid_until"],
            holder=workshop_party_for(self.request.user.artisan_profile),
            evidence_file=data["evidence"],
        )
        if data["lot"] is not None:
            event_record(
                actor=self.request.user,
                kind=TraceEvent.Kind.CERTIFICATION,
                certification=certification,
                lot=data["lot"],
            )
        return certification

    def get_success_url(self):
        return reverse("provenance:studio-certification-list")


class PartyCreateView(ArtisanRequiredMixin, FormView):
    template_name = "provenance/party_form.html"
    form_class = PartyForm

    def form_valid(self, form):
        try:
            party_create(actor=self.request.user, **form.cleaned_data)
        except ValidationError as error:
            form_errors_from(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            "Party added and sent to Touchstone's verifiers. You can name it in your "
            "own records now; other artisans are offered it once it is verified.",
        )
        return redirect("provenance:studio-lot-list")
