"""Forms of the purchase pages: they check shape; the services check the rules."""

from django import forms

from marketplace.accounts.models import Address
from marketplace.orders.models import ShippingProfile
from marketplace.orders.services import ADDRESS_FIELDS


class BasketAddForm(forms.Form):
    quantity = forms.IntegerField(min_value=1, max_value=99, initial=1)
    buy_now = forms.BooleanField(required=False)


class BasketLineForm(forms.Form):
    quantity = forms.IntegerField(min_value=1, max_value=99)


class AddressForm(forms.ModelForm):
    class Meta:
        model = Address
        fields = list(ADDRESS_FIELDS)


class CheckoutForm(forms.Form):
    address = forms.ModelChoiceField(
        queryset=Address.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        label="Deliver to",
    )

    def __init__(self, *args, addresses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["address"].queryset = addresses
        default = next((a for a in addresses if a.is_default), None)
        if default is not None:
            self.fields["address"].initial = default.pk


class OrderMoveForm(forms.Form):
    """The inputs a move may take; the registry says which it uses."""

    reason = forms.CharField(required=False, max_length=1000, widget=forms.Textarea)
    carrier = forms.CharField(required=False, max_length=60)
    tracking_number = forms.CharField(required=False, max_length=60)


class ShippingProfileForm(forms.ModelForm):
    class Meta:
        model = ShippingProfile
        fields = [
            "currency",
            "domestic_price",
            "europe_price",
            "world_price",
            "free_over",
            "insured",
        ]
