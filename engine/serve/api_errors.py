"""Errors answered in the OpenAI API's shape, so every OpenAI client shows their message."""

from __future__ import annotations

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    408: "invalid_request_error",
    409: "conflict_error",
    411: "invalid_request_error",
    413: "request_too_large",
    415: "invalid_request_error",
    500: "internal_error",
    502: "upstream_error",
    503: "service_unavailable",
}


class ApiError(Exception):
    """A request that gets an error answer: HTTP status and a one-line message."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str | None = None,
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type or _TYPES.get(status, "invalid_request_error")
        self.code = code
        self.param = param

    def body(self) -> dict[str, object]:
        """``{"error": {"message", "type", "param", "code"}}`` as OpenAI's API answers."""
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }
