from django.apps import AppConfig


class ProvenanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "provenance"

    def ready(self):
        from provenance.services.events import on_piece_claims_changed
        from provenance.signals import piece_claims_changed

        piece_claims_changed.connect(on_piece_claims_changed, dispatch_uid="claims")
