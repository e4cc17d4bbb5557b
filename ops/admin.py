"""Admin for staff: the email outbox, background processes, and the task queue's
failed tasks with an action that runs them again."""

from django.contrib import admin, messages
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from ops import services
from ops.models import OutboundEmail, ScheduledJob, WorkerHeartbeat


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["subject", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status"]
    search_fields = ["key", "subject", "to"]
    readonly_fields = [
        "key",
        "to",
        "from_email",
        "subject",
        "body",
        "html_body",
        "status",
        "attempts",
        "claimed_by",
        "claimed_at",
        "sent_at",
        "last_error",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["worker_id", "role", "hostname", "pid", "started_at", "seen_at"]
    list_filter = ["role"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ScheduledJob)
class ScheduledJobAdmin(admin.ModelAdmin):
    list_display = ["name", "last_enqueued_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    """django-tasks-db's read-only task list, filtered by status (failed tasks keep
    their traceback), with an action that runs failed ones again."""

    list_display = [*DBTaskResultAdmin.list_display, "attempts"]
    list_filter = ["status", "queue_name", "task_path"]
    search_fields = ["id", "task_path"]
    actions = ["retry"]

    @admin.display(description="attempts")
    def attempts(self, obj):
        return len(obj.worker_ids)

    @admin.action(description="Run the selected failed tasks again")
    def retry(self, request, queryset):
        count = sum(
            services.task_result_retry(result=result)
            for result in queryset.filter(status="FAILED")
        )
        self.message_user(
            request, f"{count} task(s) will run again.", level=messages.SUCCESS
        )
