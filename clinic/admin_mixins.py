class ReadOnlyAdminMixin:
    """For records nobody edits in the admin (the feed, the audit trail, write-once records
    shown inline): they can be read and searched, never added, changed or deleted."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
