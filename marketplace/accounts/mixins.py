"""View gates shared by every context's pages."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404

from marketplace.accounts.roles import is_artisan


class ArtisanRequiredMixin(LoginRequiredMixin):
    """The artisan's workspace, every page under /studio/, gated one way: an
    anonymous visitor is sent to log in; a signed-in user without an artisan
    profile gets a 404, as for anything that is not theirs."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not is_artisan(request.user):
            raise Http404("You do not have a workshop on Touchstone.")
        return super().dispatch(request, *args, **kwargs)
