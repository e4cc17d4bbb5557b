"""Helpers shared by the orders tests: addresses, placed and paid orders."""

from marketplace.orders import services
from tests import factories as f


def address_for(user, **fields):
    values = {
        "name": "Ada Buyer",
        "line1": "1 Test Street",
        "city": "Bristol",
        "postcode": "bs1 4dj",
        "country": "GB",
    }
    values.update(fields)
    return services.address_save(user=user, **values)


def placed(buyer=None, listings=None, **address):
    buyer = buyer or f.UserFactory()
    listings = listings or [f.catalogue_listing()]
    for listing in listings:
        services.basket_add(user=buyer, listing=listing)
    return services.checkout_place(user=buyer, address=address_for(buyer, **address))


def paid(order):
    return services.order_confirm_payment(actor=order.artisan.user, order=order)
