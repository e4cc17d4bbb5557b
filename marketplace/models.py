"""The marketplace app's model registry: Django loads this module, and it gathers the
models that each context package defines. Code imports models from their context
(``marketplace.catalogue.models``, ``marketplace.commissions.models``), not from here."""

from marketplace.accounts.models import Address, Notification  # noqa: F401
from marketplace.catalogue.models import (  # noqa: F401
    CatalogueChange,
    Favourite,
    Gemstone,
    HallmarkRecord,
    Listing,
    ListingEvent,
    ListingPhoto,
    MetalComponent,
    MetalPrice,
)
from marketplace.commissions.models import (  # noqa: F401
    Commission,
    CommissionEvent,
    CommissionPayment,
    CommissionReferenceImage,
    Message,
    MessageAttachment,
    ProgressPhoto,
    ProgressUpdate,
    Quote,
)
from marketplace.orders.models import (  # noqa: F401
    Basket,
    BasketLine,
    Order,
    OrderEvent,
    OrderLine,
    ShippingProfile,
)
from marketplace.payments.models import Charge, PaymentEvent, Refund  # noqa: F401
from marketplace.reviews.models import (  # noqa: F401
    Review,
    ReviewEvent,
    ReviewPhoto,
    ReviewReport,
    ReviewRevision,
)
