from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Background work (tasks, the worker, the schedule), the email outbox, health
    checks and request-scoped logging."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "ops"
    verbose_name = "Operations"

    def ready(self):
        from ops import logs

        logs.install_slow_query_log()
