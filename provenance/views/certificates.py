"""Public certificates (/certificates/<code>/), their QR code, and hand-over of ownership."""

import io
from itertools import groupby

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.generic import FormView, TemplateView, View

from config.client_ip import client_ip
from config.ratelimit import RateLimited
from provenance.forms.chain import ClaimCodeForm
from provenance.models import Certificate
from provenance.selectors.chain import certificate_get
from provenance.services.certificates import (
    can_hand_over,
    ownership_claim,
    ownership_handover_start,
)
from provenance.services.exports import certificate_view
from provenance.views.chain import form_errors_from


def _certificate_or_404(code: str) -> Certificate:
    try:
        return certificate_get(code=code)
    except Certificate.DoesNotExist as missing:
        raise Http404("No such certificate.") from missing


def _url_or_blank(obj) -> str:
    # The piece and artisan pages belong to other areas and may not be mounted.
    try:
        return obj.get_absolute_url()
    except NoReverseMatch:
        return ""


def _page_number(raw: str | None, num_pages: int) -> int:
    """The page asked for, or the nearest one there is: a value that is not a whole
    number is the first page, one below 1 the first, one past the end the last."""
    try:
        number = int(raw or "1")
    except ValueError:  # "abc", NUL, a number too long to parse
        return 1
    return min(max(number, 1), num_pages)


def _event_pages(events, first_broken, per_page: int, raw_page: str | None) -> dict:
    """One page of the chain's events, newest first, grouped by month; the page that
    holds the first broken event, wherever it is. All in memory: no query."""
    newest_first = sorted(events, key=lambda e: (e.occurred_at, e.pk), reverse=True)
    paginator = Paginator(newest_first, per_page, allow_empty_first_page=True)
    page = paginator.page(_page_number(raw_page, paginator.num_pages))
    broken_page = None
    if first_broken is not None:
        index = next(
            (i for i, e in enumerate(newest_first) if e.pk == first_broken.pk), None
        )
        if index is not None:
            broken_page = index // per_page + 1
    return {
        "page_obj": page,
        "paginator": paginator,
        "event_months": [
            (month, list(group))
            for month, group in groupby(
                page.object_list,
                key=lambda e: timezone.localdate(e.occurred_at).replace(day=1),
            )
        ],
        "page_range": list(
            paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
        ),
        "broken_page": broken_page,
    }


class CertificateDetailView(TemplateView):
    """Anyone can open a certificate; it says whether the stored chain still verifies."""

    template_name = "provenance/certificate_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        certificate = _certificate_or_404(kwargs["code"])
        view = certificate_view(certificate)
        listing = certificate.listing
        context.update(
            certificate=certificate,
            view=view,
            listing=listing,
            artisan=listing.artisan,
            verification=view.verification,
            shares=sorted(view.shares.values(), key=lambda s: s.metal),
            parties=view.parties,
            can_hand_over=can_hand_over(self.request.user, certificate),
            handover_code=self.request.session.pop(f"handover-{certificate.code}", ""),
            piece_url=_url_or_blank(listing),
            artisan_url=_url_or_blank(listing.artisan),
            export_url=reverse("api:certificate-detail", args=[certificate.code]),
            epcis_url=reverse("api:certificate-epcis", args=[certificate.code]),
            public_key_url=reverse("api:certificate-public-key"),
            **_event_pages(
                view.events,
                view.verification.first_broken,
                settings.CERTIFICATE_EVENTS_PER_PAGE,
                self.request.GET.get("page"),
            ),
        )
        return context


class CertificateQRView(View):
    """The certificate's address as an SVG QR code, for cards and packaging."""

    def get(self, request, code):
        certificate = _certificate_or_404(code)
        url = request.build_absolute_uri(certificate.get_absolute_url())
        buffer = io.BytesIO()
        segno.make(url, error="m").save(
            buffer,
            kind="svg",
            scale=4,
            border=2,
            title=f"Certificate {certificate.code}",
        )
        response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
        response["Cache-Control"] = "public, max-age=86400"
        return response


class OwnershipHandoverView(LoginRequiredMixin, View):
    """The owner asks for a one-time claim code to give the next owner."""

    def post(self, request, code):
        certificate = _certificate_or_404(code)
        if not can_hand_over(request.user, certificate):
            raise Http404("No such certificate.")
        try:
            claim_code = ownership_handover_start(
                actor=request.user, certificate=certificate
            )
        except PermissionDenied as denied:
            raise Http404("No such certificate.") from denied
        # Shown once on the next page, never stored in clear.
        request.session[f"handover-{certificate.code}"] = claim_code
        messages.success(
            request, "Give the claim code below to the new owner; it works once."
        )
        return redirect(certificate)


class OwnershipClaimView(LoginRequiredMixin, FormView):
    template_name = "provenance/ownership_claim_form.html"
    form_class = ClaimCodeForm

    def form_valid(self, form):
        try:
            certificate = ownership_claim(
                actor=self.request.user,
                code=form.cleaned_data["code"],
                client_ip=client_ip(self.request),
            )
        except ValidationError as error:
            form_errors_from(form, error)
            return self.form_invalid(form)
        except RateLimited as limited:
            form.add_error(None, limited.message)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        messages.success(self.request, "The piece is yours: the certificate shows it.")
        return redirect(
            reverse("provenance:certificate-detail", args=[certificate.code])
        )
