"""The project's own exceptions: what services and the platform raise when a request cannot be
done, in the words of the domain and with no HTTP in them.

Services never raise the API framework's exceptions; the one exception handler
(clinic.api.errors.exception_handler) turns each of these into its status and the project's
error body. `errors` maps a field's dotted path (a body field, `body`, or a header such as
`If-Match`) to its messages.
"""

from collections.abc import Mapping, Sequence

Errors = Mapping[str, Sequence[str] | Mapping]


class Problem(str):
    """A message with a machine-readable code of its own, for an error whose fields can fail in
    several ways a client tells apart (an activation refused for a stale replay, or for a
    missing acknowledgement). A plain message takes its error's code."""

    code: str

    def __new__(cls, message: str, code: str) -> "Problem":
        problem = super().__new__(cls, message)
        problem.code = code
        return problem


class DomainError(Exception):
    """The base of every refusal a service makes."""

    code = "error"
    message = "The request cannot be done."

    def __init__(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message)


class NotFound(DomainError):
    """Nothing the caller may see is there (404): the same whether it does not exist or
    belongs to another branch."""

    code = "not_found"
    message = "Nothing was found at this address."


class PermissionDenied(DomainError):
    """The caller is known but may not do this (403)."""

    code = "permission_denied"
    message = "You do not have permission to perform this action."


class Invalid(DomainError):
    """Some fields are not valid (400). `errors` maps field paths to messages (nested
    mappings for nested fields); `code` is every message's code."""

    code = "invalid"
    message = "Some fields are not valid."

    def __init__(self, errors: Errors, code: str | None = None) -> None:
        super().__init__()
        self.errors = errors
        if code is not None:
            self.code = code


class Conflict(DomainError):
    """The request conflicts with what is stored (409). `extra` are top-level keys the
    error body carries (e.g. `current_status`), `headers` response headers (e.g.
    `Retry-After`)."""

    code = "conflict"
    message = "The request conflicts with what is already stored."

    def __init__(
        self,
        errors: Errors,
        *,
        code: str | None = None,
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extra,
    ) -> None:
        super().__init__(message)
        self.errors = errors
        if code is not None:
            self.code = code  # a more precise code for the same kind of conflict
        self.headers = dict(headers or {})
        self.extra = extra


class PreconditionFailed(Conflict):
    """The caller named a version of the record that is no longer current (412)."""

    code = "precondition_failed"
    message = "The record has changed since it was read."


class Unprocessable(Conflict):
    """The request is well formed but contradicts one already made (422)."""

    code = "unprocessable"
    message = "The request contradicts one already made."


class Gone(DomainError):
    """What was here is not any more, and will not be again (410): a used or expired link.
    The message names why."""

    code = "gone"
    message = "This link can no longer be used."


class Unavailable(DomainError):
    """The service cannot do this on this machine for now (503): something it needs, such as
    a system library, is missing. The message names what."""

    code = "unavailable"
    message = "This cannot be done on this server for now."
