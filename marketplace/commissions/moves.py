"""The moves people make on a commission, each written once.

A move has one name (its key in ``services.TRANSITIONS``, which says who may make it
and from which states), one URL slug, the service it calls and the input that service
takes. The HTML page posts a move to ``/commissions/<pk>/<slug>/`` and the API takes it
at ``POST /api/commissions/<pk>/<slug>/``; both dispatch through ``MOVES``. The ids a
move needs (a quote's version, a progress update's or a payment's id) travel in the
request body, never in the path.

Each layer gives the input its shape, keyed by the move's name: ``forms.MOVE_FORMS``
for the page, ``api.serializers.MOVE_INPUTS`` for the API.
"""

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.urls import reverse

from marketplace.commissions import services
from marketplace.commissions.models import (
    Commission,
    CommissionPayment,
    ProgressUpdate,
    Quote,
)


def _same(*names: str) -> dict[str, str]:
    return {name: name for name in names}


@dataclass(frozen=True)
class CommissionMove:
    name: str  # the move's key in services.TRANSITIONS
    service: Callable[..., Any]  # called as service(actor=, commission=, **input)
    takes: dict[str, str] = field(default_factory=dict)  # input field -> keyword
    done: str = ""  # what the page says once the move is made
    # The row the move makes or changes, which the API answers with (None: the
    # commission), and whether the move creates it.
    result: type[models.Model] | None = None
    creates: bool = False

    @property
    def slug(self) -> str:
        return self.name.replace("_", "-")

    @property
    def transition(self) -> services.Move:
        return services.TRANSITIONS[self.name]

    @property
    def description(self) -> str:
        """The service's summary (the API schema shows it)."""
        return " ".join(inspect.getdoc(self.service).split("\n\n")[0].split())

    def url(self, commission: Commission) -> str:
        return reverse(
            "marketplace:commission-move",
            kwargs={"pk": commission.pk, "slug": self.slug},
        )

    def run(self, *, user, commission: Commission, data: Mapping[str, Any]):
        """Call the service with the validated input; absent fields keep its defaults."""
        kwargs = {
            keyword: data[name] for name, keyword in self.takes.items() if name in data
        }
        return self.service(actor=user, commission=commission, **kwargs)


_MOVES = (
    CommissionMove(
        "admit",
        services.commission_admit,
        done="Request admitted from the waitlist.",
    ),
    CommissionMove(
        "decline",
        services.commission_decline,
        takes=_same("reason"),
        done="Request declined.",
    ),
    CommissionMove(
        "quote",
        services.commission_quote,
        takes=_same(
            "price",
            "deposit",
            "currency",
            "estimated_completion_date",
            "valid_until",
            "materials_commitments",
            "note",
        ),
        done="Quote sent.",
        result=Quote,
        creates=True,
    ),
    CommissionMove(
        "accept_quote",
        services.commission_accept_quote,
        takes=_same("version"),
        done="Quote accepted.",
    ),
    CommissionMove(
        "decline_quote",
        services.commission_decline_quote,
        takes=_same("version", "reason"),
        done="Quote declined.",
    ),
    CommissionMove(
        "start",
        services.commission_start,
        done="Work started.",
    ),
    CommissionMove(
        "post_update",
        services.commission_post_update,
        takes=_same("stage", "note", "needs_approval", "photos", "use_as_evidence"),
        done="Progress update posted.",
        result=ProgressUpdate,
        creates=True,
    ),
    CommissionMove(
        "approve_update",
        services.commission_approve_update,
        takes={"update": "update_id", "note": "note"},
        done="Update approved.",
    ),
    CommissionMove(
        "request_changes",
        services.commission_request_changes,
        takes={"update": "update_id", "note": "note"},
        done="Changes requested.",
    ),
    CommissionMove(
        "submit_for_review",
        services.commission_submit_for_review,
        done="Piece submitted for review.",
    ),
    CommissionMove(
        "approve",
        services.commission_approve,
        done="Piece approved.",
    ),
    CommissionMove(
        "send_back",
        services.commission_send_back,
        takes=_same("reason"),
        done="Piece sent back.",
    ),
    CommissionMove(
        "complete",
        services.commission_complete,
        takes=_same("title", "description", "metals", "inputs", "loss_grams"),
        done="Commission completed: the piece now belongs to the buyer.",
    ),
    CommissionMove(
        "cancel",
        services.commission_cancel,
        takes=_same("reason"),
        done="Commission cancelled.",
    ),
    CommissionMove(
        "record_payment",
        services.payment_record,
        takes=_same("kind", "amount", "reference", "method"),
        done="Payment recorded.",
        result=CommissionPayment,
        creates=True,
    ),
    CommissionMove(
        "confirm_payment",
        services.payment_confirm,
        takes={"payment": "payment_id"},
        done="Payment confirmed.",
        result=CommissionPayment,
    ),
)

MOVES: dict[str, CommissionMove] = {move.name: move for move in _MOVES}
MOVES_BY_SLUG: dict[str, CommissionMove] = {move.slug: move for move in _MOVES}
