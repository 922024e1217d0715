"""Domain error types (pure Python): services raise them, the HTTP edge maps them to 4xx.

An error may name a machine ``code`` (``"partner.fiscal_code_taken"``) and its ``params``: they travel in the
problem body as ``extra.code`` and ``extra.params``, and the web UI shows the code's text in the user's
language (its catalogue, context ``error``), falling back to ``message`` (English, for API callers).
"""

from collections.abc import Mapping


class DomainError(Exception):
    """A request that breaks a rule; the message is shown to the user as is unless a ``code`` names it."""

    status_code = 409

    def __init__(
        self, message: str, *, code: str | None = None, params: Mapping[str, object] | None = None, **extra: object
    ) -> None:
        """A broken rule, with its English text and, optionally, the code and params the UI translates.

        Args:
            message: what went wrong, in English, for API callers and logs.
            code: a stable machine code the UI translates (``<area>.<what>``); None keeps the text only.
            params: the values the code's text names (``{"owner": "Alfa SRL"}``), JSON-serialisable.
            **extra: further details carried in the problem body's ``extra`` as before.
        """
        super().__init__(message)
        self.message = message
        self.code = code
        self.params = dict(params or {})
        self.extra: dict[str, object] = dict(extra)
        if code is not None:
            self.extra["code"] = code
            self.extra["params"] = self.params


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
