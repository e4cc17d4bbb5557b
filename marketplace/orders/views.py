"""The purchase pages: basket, checkout, address book, My orders, an order with its
timeline and receipt, and the studio's orders inbox and shipping rates."""

from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from config.forms import apply_errors
from marketplace.accounts.mixins import ArtisanRequiredMixin
from marketplace.catalogue.selectors import listing_get
from marketplace.orders import selectors, services
from marketplace.orders.forms import (
    AddressForm,
    BasketAddForm,
    BasketLineForm,
    CheckoutForm,
    OrderMoveForm,
    ShippingProfileForm,
)
from marketplace.orders.models import Order, ShippingProfile
from marketplace.orders.moves import MOVES, moves_for

STUDIO_NEEDS_ACTION = (
    Order.Status.PENDING_PAYMENT,
    Order.Status.PAID,
    Order.Status.RETURN_REQUESTED,
    Order.Status.RETURN_ACCEPTED,
)


def _groups(lines, country=None):
    """Basket lines grouped as checkout will split them: per artisan and currency,
    with the subtotal and (given a country) the shipping quote."""
    grouped = defaultdict(list)
    for line in lines:
        grouped[(line.listing.artisan, line.listing.currency)].append(line)
    groups = []
    for (artisan, currency), group in grouped.items():
        subtotal = sum(
            (line.listing.price * line.quantity for line in group), Decimal("0.00")
        )
        shipping = None
        if country:
            _region, shipping, _insured = services.shipping_quote(
                artisan=artisan, country=country, subtotal=subtotal, currency=currency
            )
        groups.append(
            {
                "artisan": artisan,
                "currency": currency,
                "lines": group,
                "subtotal": subtotal,
                "shipping": shipping,
                "total": subtotal + shipping if shipping is not None else None,
            }
        )
    return groups


class BasketView(LoginRequiredMixin, TemplateView):
    template_name = "orders/basket.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        lines = selectors.basket_lines(user=self.request.user)
        context["groups"] = _groups(lines)
        return context


class BasketAddView(LoginRequiredMixin, View):
    """POST from a piece page: add it to the basket, or buy it now."""

    http_method_names = ["post"]

    def post(self, request, slug):
        listing = listing_get(user=request.user, slug=slug)
        form = BasketAddForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose how many you would like.")
            return redirect(listing)
        try:
            services.basket_add(
                user=request.user,
                listing=listing,
                quantity=form.cleaned_data["quantity"],
            )
        except (ValidationError, PermissionDenied) as error:
            for message in getattr(error, "messages", [str(error)]):
                messages.error(request, message)
            return redirect(listing)
        if form.cleaned_data["buy_now"]:
            return redirect("marketplace:checkout")
        messages.success(request, f"“{listing.title}” is in your basket.")
        return redirect("marketplace:basket")


class _BasketLineMixin(LoginRequiredMixin):
    http_method_names = ["post"]

    def line(self, pk):
        line = next(
            (
                line
                for line in selectors.basket_lines(user=self.request.user)
                if line.pk == pk
            ),
            None,
        )
        if line is None:
            raise Http404("No such line in your basket.")
        return line


class BasketLineView(_BasketLineMixin, View):
    def post(self, request, pk):
        line = self.line(pk)
        form = BasketLineForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError({"quantity": "Give a quantity from 1."})
            services.basket_update(
                user=request.user, line=line, quantity=form.cleaned_data["quantity"]
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return redirect("marketplace:basket")


class BasketLineRemoveView(_BasketLineMixin, View):
    def post(self, request, pk):
        line = self.line(pk)
        services.basket_remove(user=request.user, line=line)
        messages.success(request, f"“{line.listing.title}” left your basket.")
        return redirect("marketplace:basket")


class CheckoutView(LoginRequiredMixin, TemplateView):
    template_name = "orders/checkout.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        addresses = list(selectors.address_list(user=user))
        form = kwargs.get("form") or CheckoutForm(
            addresses=selectors.address_list(user=user)
        )
        chosen = form.fields["address"].initial
        country = next((a.country for a in addresses if a.pk == chosen), None)
        lines = selectors.basket_lines(user=user)
        context.update(
            {
                "form": form,
                "addresses": addresses,
                "groups": _groups(lines, country),
                "hold_minutes": settings.ORDER_HOLD_MINUTES,
            }
        )
        return context

    def post(self, request):
        form = CheckoutForm(
            request.POST, addresses=selectors.address_list(user=request.user)
        )
        if form.is_valid():
            try:
                orders = services.checkout_place(
                    user=request.user, address=form.cleaned_data["address"]
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                if len(orders) == 1:
                    messages.success(
                        request,
                        f"Order {orders[0].number} placed: pay within "
                        f"{settings.ORDER_HOLD_MINUTES} minutes to keep "
                        "the piece.",
                    )
                    return redirect(orders[0])
                messages.success(
                    request,
                    f"{len(orders)} orders placed, one per artisan: pay each within "
                    f"{settings.ORDER_HOLD_MINUTES} minutes.",
                )
                return redirect("marketplace:order-list")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class AddressListView(LoginRequiredMixin, TemplateView):
    template_name = "orders/address_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["addresses"] = selectors.address_list(user=self.request.user)
        context["next"] = self.request.GET.get("next", "")
        return context


class AddressFormView(LoginRequiredMixin, TemplateView):
    template_name = "orders/address_form.html"

    def address(self):
        pk = self.kwargs.get("pk")
        return selectors.address_get(user=self.request.user, pk=pk) if pk else None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = kwargs.get("form") or AddressForm(instance=self.address())
        context["address"] = self.address()
        return context

    def post(self, request, pk=None):
        address = self.address()
        form = AddressForm(request.POST, instance=address)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in form.fields}
            try:
                services.address_save(user=request.user, address=address, **data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, "Address saved.")
                if request.GET.get("next") == "checkout":
                    return redirect("marketplace:checkout")
                return redirect("marketplace:address-list")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class AddressDeleteView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        address = selectors.address_get(user=request.user, pk=pk)
        services.address_delete(user=request.user, address=address)
        messages.success(request, "Address removed.")
        return redirect("marketplace:address-list")


class OrderListView(LoginRequiredMixin, TemplateView):
    """The buyer's "My orders"."""

    template_name = "orders/order_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        status = self.request.GET.get("status") or None
        if status not in Order.Status.values:
            status = None
        page = Paginator(
            selectors.order_list(user=self.request.user, status=status), 20
        ).get_page(self.request.GET.get("page"))
        context.update(
            {
                "page_obj": page,
                "orders": page.object_list,
                "statuses": Order.Status.choices,
                "current_status": status or "",
            }
        )
        return context


class StudioOrderListView(ArtisanRequiredMixin, TemplateView):
    """The artisan's orders inbox: what needs action first."""

    template_name = "orders/order_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        status = self.request.GET.get("status") or None
        if status not in Order.Status.values:
            status = None
        queryset = selectors.order_inbox(user=self.request.user, status=status)
        page = Paginator(queryset, 20).get_page(self.request.GET.get("page"))
        context.update(
            {
                "inbox": True,
                "page_obj": page,
                "orders": page.object_list,
                "statuses": Order.Status.choices,
                "current_status": status or "",
                "needs_action": selectors.order_inbox(user=self.request.user)
                .filter(status__in=STUDIO_NEEDS_ACTION)
                .count(),
            }
        )
        return context


class _OrderMixin(LoginRequiredMixin):
    def order(self):
        return selectors.order_get(user=self.request.user, number=self.kwargs["number"])


class OrderDetailView(_OrderMixin, TemplateView):
    template_name = "orders/order_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        order = kwargs.get("order") or self.order()
        user = self.request.user
        charge = selectors.order_charge(order=order)
        seconds_left = None
        if order.status == Order.Status.PENDING_PAYMENT and order.hold_expires_at:
            seconds_left = max(
                0, int((order.hold_expires_at - timezone.now()).total_seconds())
            )
        context.update(
            {
                "order": order,
                "lines": list(order.lines.all()),
                "events": selectors.order_events(order=order),
                "charge": charge,
                "moves": moves_for(user, order),
                "move_form": kwargs.get("move_form") or OrderMoveForm(),
                "failed_move": kwargs.get("failed_move", ""),
                "is_buyer": order.buyer_id == user.pk,
                "seconds_left": seconds_left,
                "minutes_left": (seconds_left + 59) // 60
                if seconds_left is not None
                else None,
            }
        )
        return context


class OrderReceiptView(_OrderMixin, TemplateView):
    template_name = "orders/order_receipt.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        order = self.order()
        context.update(
            {
                "order": order,
                "lines": list(order.lines.all()),
                "charge": selectors.order_charge(order=order),
            }
        )
        return context


class OrderMoveView(_OrderMixin, View):
    """POST /orders/<number>/<move>/: one move from the registry."""

    http_method_names = ["post"]

    def post(self, request, number, move):
        order = self.order()
        chosen = MOVES.get(move)
        if chosen is None:
            raise Http404("No such move.")
        form = OrderMoveForm(request.POST)
        form.is_valid()
        try:
            chosen.run(actor=request.user, order=order, data=form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            if isinstance(error, PermissionDenied):
                error = ValidationError(str(error) or "You cannot do that.")
            apply_errors(form, error)
            view = OrderDetailView(request=request, kwargs={"number": number})
            context = view.get_context_data(
                order=order, move_form=form, failed_move=chosen.slug
            )
            return view.render_to_response(context, status=400)
        messages.success(request, f"Done: {chosen.button.lower()}.")
        return redirect("marketplace:order-detail", number=number)


class StudioShippingView(ArtisanRequiredMixin, TemplateView):
    template_name = "orders/shipping_form.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        artisan = self.request.user.artisan_profile
        currency = (self.request.GET.get("currency") or "GBP").upper()[:3]
        profile = ShippingProfile.objects.filter(
            artisan=artisan, currency=currency
        ).first() or ShippingProfile(artisan=artisan, currency=currency)
        context["form"] = kwargs.get("form") or ShippingProfileForm(instance=profile)
        context["artisan"] = artisan
        context["profiles"] = ShippingProfile.objects.filter(artisan=artisan)
        return context

    def post(self, request):
        artisan = request.user.artisan_profile
        form = ShippingProfileForm(request.POST)
        if form.is_valid():
            try:
                services.shipping_profile_set(
                    actor=request.user, artisan=artisan, **form.cleaned_data
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, "Shipping rates saved.")
                return redirect(
                    f"{reverse('marketplace:studio-shipping')}"
                    f"?currency={form.cleaned_data['currency'].upper()}"
                )
        return self.render_to_response(self.get_context_data(form=form), status=400)
