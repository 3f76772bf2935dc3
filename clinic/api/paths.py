"""What an id in a path may look like. A route only matches a well-formed id, so a malformed
one (a NUL, a surrogate, a slash-free blob) is a 404 before any view, query or audit record
sees it: such values cannot be stored, and must never reach the database."""

# Django's own `<uuid:...>` converter pattern (lower case, as the API writes ids).
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# A reception key's prefix (rest_framework_api_key: letters and digits).
KEY_PREFIX = "[A-Za-z0-9]{1,64}"
WHOLE_NUMBER = "[0-9]{1,18}"
