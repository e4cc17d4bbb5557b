"""Payment providers behind one interface.

- ``manual`` (the default, needs no account anywhere): the buyer pays by bank transfer
  quoting the charge's reference; the artisan (or an admin) confirms receipt.
- ``stripe`` (switched on by ``STRIPE_SECRET_KEY`` and ``STRIPE_WEBHOOK_SECRET``): a
  Stripe Checkout Session per charge; Stripe's signed webhook marks it paid.

Amounts cross the provider boundary in the currency's minor units.
"""

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError

# ISO 4217 currencies without minor units (Stripe's list of zero-decimal currencies).
ZERO_DECIMAL = {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF"}
ZERO_DECIMAL |= {"UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
SIGNATURE_TOLERANCE_SECONDS = 300


def to_minor_units(amount: Decimal, currency: str) -> int:
    """12.34 GBP -> 1234; 1200 JPY -> 1200."""
    exponent = Decimal("1") if currency.upper() in ZERO_DECIMAL else Decimal("0.01")
    quantized = Decimal(amount).quantize(exponent, rounding=ROUND_HALF_UP)
    return int(quantized / exponent)


@dataclass(frozen=True)
class Started:
    """What the buyer needs to pay: a provider id and, for hosted pages, a URL."""

    provider_id: str = ""
    checkout_url: str = ""


@dataclass(frozen=True)
class Notification:
    """A provider's verified notification about one of our charges."""

    event_id: str
    kind: str  # "paid", or the provider's own event type when it is not about payment
    reference: str
    amount_minor: int | None
    currency: str
    data: dict


class ManualProvider:
    """Bank transfer: nothing to call; the receiver confirms the money arrived."""

    name = "manual"
    confirms_by_hand = True

    def start(self, charge, *, success_url: str, cancel_url: str) -> Started:
        return Started()

    def refund(self, refund) -> str:
        """Manual refunds are sent by the artisan; recorded as sent on request."""
        return ""


class StripeProvider:
    """Stripe Checkout Sessions, and webhooks checked against ``Stripe-Signature``."""

    name = "stripe"
    confirms_by_hand = False

    def __init__(self, secret_key: str, webhook_secret: str):
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret

    def start(self, charge, *, success_url: str, cancel_url: str) -> Started:
        import stripe  # imported here: only needed where Stripe is configured

        try:
            session = stripe.checkout.Session.create(
                api_key=self.secret_key,
                mode="payment",
                client_reference_id=charge.reference,
                success_url=success_url,
                cancel_url=cancel_url,
                line_items=[
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": charge.currency.lower(),
                            "unit_amount": to_minor_units(
                                charge.amount, charge.currency
                            ),
                            "product_data": {"name": f"Touchstone {charge.reference}"},
                        },
                    }
                ],
                metadata={"reference": charge.reference},
                idempotency_key=f"charge-{charge.pk}",
            )
        except stripe.StripeError as error:
            raise ValidationError(
                "Card payments are unavailable right now; try again in a moment."
            ) from error
        return Started(provider_id=session.id, checkout_url=session.url)

    def refund(self, refund) -> str:
        import stripe

        try:
            result = stripe.Refund.create(
                api_key=self.secret_key,
                payment_intent=refund.charge.provider_id,
                amount=to_minor_units(refund.amount, refund.charge.currency),
                idempotency_key=f"refund-{refund.pk}",
            )
        except stripe.StripeError as error:
            raise ValidationError(
                "The refund could not be sent to the card provider; try again."
            ) from error
        return result.id

    def verify(self, payload: bytes, signature_header: str, *, now=None) -> dict:
        """The event in ``payload`` if ``signature_header`` signs it with our webhook
        secret within the tolerance; otherwise a ValidationError."""
        parts = {}
        for item in (signature_header or "").split(","):
            key, _, value = item.strip().partition("=")
            parts.setdefault(key, []).append(value)
        try:
            timestamp = int(parts["t"][0])
        except (KeyError, ValueError):
            raise ValidationError(
                "The webhook signature is missing or malformed."
            ) from None
        now = time.time() if now is None else now
        if abs(now - timestamp) > SIGNATURE_TOLERANCE_SECONDS:
            raise ValidationError("The webhook signature is too old.")
        signed = f"{timestamp}.".encode() + payload
        expected = hmac.new(
            self.webhook_secret.encode(), signed, hashlib.sha256
        ).hexdigest()
        # compare_digest refuses non-ASCII text: such a signature is simply not ours.
        if not any(
            v.isascii() and hmac.compare_digest(expected, v)
            for v in parts.get("v1", [])
        ):
            raise ValidationError("The webhook signature does not match.")
        try:
            event = json.loads(payload)
        except ValueError:
            raise ValidationError("The webhook body is not JSON.") from None
        if not isinstance(event, dict):
            raise ValidationError("The webhook body is not a JSON object.")
        return event

    def notification(self, event: dict) -> Notification:
        """Our view of a verified Stripe event."""
        data = event.get("data")
        obj = data.get("object") if isinstance(data, dict) else None
        obj = obj if isinstance(obj, dict) else {}
        metadata = obj.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        paid = (
            event.get("type") == "checkout.session.completed"
            and obj.get("payment_status") == "paid"
        )
        return Notification(
            event_id=str(event.get("id", "")),
            kind="paid" if paid else str(event.get("type", "")),
            reference=str(
                metadata.get("reference") or obj.get("client_reference_id") or ""
            ),
            amount_minor=obj.get("amount_total"),
            currency=str(obj.get("currency", "")).upper(),
            data={"payment_intent": obj.get("payment_intent") or ""},
        )


def stripe_provider() -> StripeProvider | None:
    """The Stripe provider when both of its settings are present."""
    if settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET:
        return StripeProvider(
            settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET
        )
    return None


def get_provider(name: str | None = None):
    """The named provider, or the site's default: Stripe when configured, else manual."""
    stripe = stripe_provider()
    if name == "manual" or (name is None and stripe is None):
        return ManualProvider()
    if stripe is None:
        raise ValidationError(
            {"provider": "Card payments are not set up on this site."}
        )
    return stripe
