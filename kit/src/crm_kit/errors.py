"""Domain error types (pure Python): services raise them, the HTTP edge maps them to 4xx."""


class DomainError(Exception):
    """A request that breaks a rule; the message is shown to the user as is."""

    status_code = 409

    def __init__(self, message: str, **extra: object) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class NotFound(DomainError):
    """An id that names nothing (404)."""

    status_code = 404


class Conflict(DomainError):
    """A request that conflicts with the current state (409)."""

    status_code = 409


class Invalid(DomainError):
    """A value that breaks a rule of the domain (422)."""

    status_code = 422


class TooLarge(DomainError):
    """A request or file over a size limit (413); refused before anything is stored."""

    status_code = 413


class Forbidden(DomainError):
    """The caller may not do or see this (403)."""

    status_code = 403
