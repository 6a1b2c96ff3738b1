"""Domain errors. Services raise these; the API and the pages turn them into a message a
user can act on (an error code, the field at fault when there is one, and the reason)."""


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None, details=None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.details = details or []

    def as_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body


class NotFound(DomainError):
    """Missing or outside the user's scope: the two must look identical to the caller."""

    status = 404
    code = "not_found"


class Forbidden(DomainError):
    """The object is in scope but the user's role may not do this to it."""

    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


def validation_error_to_domain(exc) -> DomainError:
    """Turn a Django ValidationError from full_clean() into one DomainError naming every field."""
    details = []
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                message = error.message % error.params if error.params else error.message
                details.append({"field": None if field == "__all__" else field, "message": str(message)})
    else:
        for message in exc.messages:
            details.append({"field": None, "message": str(message)})
    first = details[0] if details else {"field": None, "message": str(exc)}
    return DomainError(first["message"], field=first["field"], details=details)
