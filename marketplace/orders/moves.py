"""The one registry of order moves that the HTML views and the API dispatch through.

Each move has one spelling (its slug, used in both URLs), the service it calls, the
inputs it takes, and the label a button shows. Who may make it comes from the
service's transition table (``services.allowed_moves``).
"""

from dataclasses import dataclass
from typing import Any

from marketplace.orders import services


@dataclass(frozen=True)
class OrderMove:
    name: str  # the transition's name in services.TRANSITIONS
    service: Any
    inputs: tuple[str, ...] = ()
    button: str = ""
    danger: bool = False

    @property
    def slug(self) -> str:
        return self.name.replace("_", "-")

    def run(self, *, actor, order, data: dict):
        """Call the service with the move's inputs taken from ``data``."""
        values = {name: (data.get(name) or "") for name in self.inputs}
        return self.service(actor=actor, order=order, **values)


MOVES: dict[str, OrderMove] = {
    move.slug: move
    for move in (
        OrderMove(
            "confirm_payment",
            services.order_confirm_payment,
            button="Confirm the payment arrived",
        ),
        OrderMove(
            "ship",
            services.order_ship,
            inputs=("carrier", "tracking_number"),
            button="Mark as shipped",
        ),
        OrderMove(
            "confirm_delivery",
            services.order_confirm_delivery,
            button="I have received it",
        ),
        OrderMove(
            "cancel",
            services.order_cancel,
            inputs=("reason",),
            button="Cancel the order",
            danger=True,
        ),
        OrderMove(
            "request_return",
            services.order_request_return,
            inputs=("reason",),
            button="Ask to return it",
        ),
        OrderMove(
            "accept_return",
            services.order_accept_return,
            button="Accept the return",
        ),
        OrderMove(
            "refuse_return",
            services.order_refuse_return,
            inputs=("reason",),
            button="Refuse the return",
            danger=True,
        ),
        OrderMove(
            "receive_return",
            services.order_receive_return,
            button="Returned piece received: refund",
        ),
    )
}


def moves_for(user, order) -> list[OrderMove]:
    """The moves this user may make on the order now, in the registry's order."""
    allowed = set(services.allowed_moves(user, order))
    return [move for move in MOVES.values() if move.name in allowed]
