"""Who may talk to ``kenning serve``: the token, and no browser page from elsewhere.

A server on 127.0.0.1 is still reachable from every web page the user opens: a page can
send requests to loopback, and with DNS rebinding (a name that first points at the page's
host, then at 127.0.0.1) it can even read the answers. So besides the bearer token every
request must name this server in its ``Host`` header, and a browser ``Origin`` must be this
server's own.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from engine.serve.api_errors import ApiError

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


@dataclass(frozen=True, slots=True)
class RequestGuard:
    """Checks the headers of one request; every method raises :class:`ApiError` or returns."""

    token: str
    allowed_hosts: frozenset[str]  # "name:port" as a client writes it in Host

    @classmethod
    def for_server(
        cls, token: str, host: str, port: int, extra_hosts: tuple[str, ...] = ()
    ) -> RequestGuard:
        names = set(LOOPBACK_NAMES)
        if host not in ("0.0.0.0", "::", ""):
            names.add(f"[{host}]" if ":" in host else host)
        names.update(extra_hosts)
        return cls(token, frozenset(f"{name.lower()}:{port}" for name in names))

    def check_host(self, host: str | None) -> None:
        if not host:
            raise ApiError(400, "the request has no Host header", code="missing_host")
        if host.strip().lower() not in self.allowed_hosts:
            raise ApiError(
                403,
                f"Host {host!r} is not this server; use http://127.0.0.1 or http://localhost "
                "(or start it with --allow-host)",
                type="permission_error",
                code="foreign_host",
            )

    def check_origin(self, origin: str | None) -> None:
        """Browsers send Origin on cross-site requests; only this server's own is accepted."""
        if origin is None:
            return
        origin = origin.strip().lower()
        if origin not in {f"http://{host}" for host in self.allowed_hosts}:
            raise ApiError(
                403,
                f"requests from web pages ({origin}) are not allowed",
                type="permission_error",
                code="foreign_origin",
            )

    def check_token(self, authorization: str | None) -> None:
        scheme, _, value = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise ApiError(
                401,
                "missing API key: send 'Authorization: Bearer <token>' "
                "(the token `kenning serve` printed at start)",
                type="authentication_error",
                code="invalid_api_key",
            )
        # Constant time: the comparison must not tell an attacker how much of a guess was right.
        if not hmac.compare_digest(value.strip().encode(), self.token.encode()):
            raise ApiError(
                401,
                "invalid API key",
                type="authentication_error",
                code="invalid_api_key",
            )
