"""Admin pieces shared by every context."""

from django.contrib import admin


class ReadOnlyInline(admin.TabularInline):
    """Rows shown under their parent, never added, changed or deleted there
    (append-only logs, snapshots)."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
