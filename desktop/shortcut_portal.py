"""A global hotkey through the XDG desktop portal (org.freedesktop.portal.GlobalShortcuts).

KDE Plasma (5.27+) and GNOME (48+) let a sandboxed or ordinary app register a system-wide
shortcut through the portal: ``CreateSession``, then ``BindShortcuts`` (the desktop may ask
the user to confirm or change the key), then an ``Activated`` signal whenever it is pressed.
Each call answers with a Request object whose ``Response`` signal carries the result, so the
client subscribes to that signal *before* calling, at the path the portal spec predicts.

Everything runs on one worker thread with its own D-Bus connection (jeepney is pure Python
and not thread-safe per connection); the owner hears ``on_ready``, ``on_unavailable`` and
``on_activated`` from that thread. Where there is no portal (X11 window managers, XFCE,
GNOME before 48), :func:`manual_binding_hint` says how to bind ``kenning show`` instead.
No Qt here.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

PORTAL_BUS = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
SHORTCUTS_IFACE = "org.freedesktop.portal.GlobalShortcuts"
REQUEST_IFACE = "org.freedesktop.portal.Request"
SESSION_IFACE = "org.freedesktop.portal.Session"
SHORTCUT_ID = "show-search-window"
DESCRIPTION = "Show the Kenning search window"
DEFAULT_TRIGGER = "CTRL+ALT+space"
# The XDG shortcuts spec: modifiers joined by "+", then one key name (xkb keysym).
_TRIGGER_RE = re.compile(r"^((CTRL|ALT|SHIFT|NUM|LOGO)\+)*[A-Za-z0-9_]+$")
RESPONSE_TIMEOUT_S = 120.0  # the desktop may show a dialog; the user takes their time
_POLL_S = 0.25  # how often the listening thread looks at its stop flag


class PortalUnavailable(Exception):
    """No GlobalShortcuts portal on this session bus (or it refused); str() says why."""


def valid_trigger(trigger: str) -> bool:
    return bool(_TRIGGER_RE.match(trigger))


def readable_trigger(trigger: str) -> str:
    """``CTRL+ALT+space`` -> ``Ctrl+Alt+Space``, as keyboard settings show keys."""
    names = {"CTRL": "Ctrl", "ALT": "Alt", "SHIFT": "Shift", "LOGO": "Super", "NUM": "NumLock"}
    return "+".join(names.get(part, part[:1].upper() + part[1:]) for part in trigger.split("+"))


def manual_binding_hint(trigger: str, desktop: str | None = None) -> str:
    """One message: how to bind ``kenning show`` to ``trigger`` in this desktop's settings."""
    desktop = desktop if desktop is not None else os.environ.get("XDG_CURRENT_DESKTOP", "")
    key = readable_trigger(trigger)
    name = desktop.upper()
    if "KDE" in name:
        where = "System Settings > Shortcuts > Add New > Command"
    elif "GNOME" in name or "UNITY" in name or "BUDGIE" in name:
        where = "Settings > Keyboard > Custom Shortcuts"
    elif "XFCE" in name:
        where = "Settings > Keyboard > Application Shortcuts > Add"
    elif "CINNAMON" in name:
        where = "System Settings > Keyboard > Shortcuts > Custom Shortcuts"
    elif "MATE" in name:
        where = "Control Center > Keyboard Shortcuts > Add"
    elif "LXQT" in name:
        where = "LXQt Settings > Shortcut Keys > Add"
    else:
        where = "your desktop's keyboard shortcut settings (or your window manager's config)"
    # Short: it has to fit a status bar.
    return f"No global shortcut service on this desktop: bind `kenning show` to {key} in {where}."


class ShortcutPortal:
    """Registers one global shortcut with the portal and reports its presses.

    ``start()`` returns at once; the worker thread then calls exactly one of
    ``on_ready(trigger_description)`` or ``on_unavailable(reason)``, and after ``on_ready``
    ``on_activated()`` for every press, until :meth:`stop`.
    """

    def __init__(
        self,
        trigger: str,
        *,
        on_ready: Callable[[str], None],
        on_unavailable: Callable[[str], None],
        on_activated: Callable[[], None],
        response_timeout_s: float = RESPONSE_TIMEOUT_S,
    ) -> None:
        self.trigger = trigger
        self._on_ready = on_ready
        self._on_unavailable = on_unavailable
        self._on_activated = on_activated
        self._timeout = response_timeout_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kenning-hotkey", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Close the portal session and end the thread; True when it ended in time."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    # ------------------------------------------------------------------ worker thread
    def _run(self) -> None:
        try:
            from jeepney.io.blocking import open_dbus_connection
        except ImportError:
            self._on_unavailable("the jeepney D-Bus library is not installed")
            return
        if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") and not _default_bus_exists():
            self._on_unavailable("there is no D-Bus session bus")
            return
        try:
            conn = open_dbus_connection(bus="SESSION")
        except Exception as exc:  # no bus, refused authentication...: no portal either
            self._on_unavailable(f"cannot reach the session bus: {exc}")
            return
        from jeepney import MatchRule
        from jeepney.bus_messages import message_bus

        session: str | None = None
        # Subscribed before binding, so a press right after on_ready is never missed.
        rule = MatchRule(
            type="signal", interface=SHORTCUTS_IFACE, member="Activated", path=PORTAL_PATH
        )
        try:
            conn.send_and_get_reply(message_bus.AddMatch(rule), timeout=10)
            with conn.filter(rule, bufsize=64) as presses:
                try:
                    session, description = self._register(conn)
                except PortalUnavailable as exc:
                    if not self._stop.is_set():  # nobody waits for the answer any more
                        self._on_unavailable(str(exc))
                    return
                self._on_ready(description)
                self._listen(conn, presses, session)
        except Exception:
            log.exception("the global shortcut stopped working")
        finally:
            if session is not None:
                with contextlib.suppress(Exception):  # the portal may be gone already
                    conn.send_and_get_reply(
                        _call(session, SESSION_IFACE, "Close", "", ()), timeout=2
                    )
            conn.close()

    def _register(self, conn: Any) -> tuple[str, str]:
        _check_portal(conn)
        token = "kenning" + secrets.token_hex(6)
        results = self._request(
            conn,
            token,
            _call(
                PORTAL_PATH,
                SHORTCUTS_IFACE,
                "CreateSession",
                "a{sv}",
                ({"handle_token": ("s", token), "session_handle_token": ("s", token)},),
            ),
        )
        session = str(results.get("session_handle", ("o", ""))[1])
        if not session:
            raise PortalUnavailable("the portal did not create a shortcut session")
        token = "kenning" + secrets.token_hex(6)
        shortcut = (
            SHORTCUT_ID,
            {"description": ("s", DESCRIPTION), "preferred_trigger": ("s", self.trigger)},
        )
        results = self._request(
            conn,
            token,
            _call(
                PORTAL_PATH,
                SHORTCUTS_IFACE,
                "BindShortcuts",
                "oa(sa{sv})sa{sv}",
                (session, [shortcut], "", {"handle_token": ("s", token)}),
            ),
        )
        description = self.trigger
        for shortcut_id, props in results.get("shortcuts", ("a(sa{sv})", []))[1]:
            if shortcut_id == SHORTCUT_ID and "trigger_description" in props:
                description = str(props["trigger_description"][1]) or description
        return session, description

    def _request(self, conn: Any, token: str, call: Any) -> dict[str, Any]:
        """Make a portal call and wait for its Request's Response; the results dict."""
        from jeepney import MatchRule, MessageType
        from jeepney.bus_messages import message_bus

        sender = conn.unique_name[1:].replace(".", "_")
        path = f"{PORTAL_PATH}/request/{sender}/{token}"
        rule = MatchRule(type="signal", interface=REQUEST_IFACE, member="Response", path=path)
        conn.send_and_get_reply(message_bus.AddMatch(rule))
        with conn.filter(rule) as responses:
            reply = conn.send_and_get_reply(call, timeout=10)
            if reply.header.message_type == MessageType.error:
                raise PortalUnavailable(f"the portal refused the shortcut: {_error_name(reply)}")
            signal = self._wait_for(conn, responses)
        code, results = signal.body
        if code != 0:
            raise PortalUnavailable(
                "the shortcut was not allowed (cancelled in the desktop's dialog)"
                if code == 1
                else f"the portal could not bind the shortcut (response {code})"
            )
        return dict(results)

    def _wait_for(self, conn: Any, responses: Any) -> Any:
        """The Response signal; in slices, so stop() need not wait for the user's dialog."""
        deadline = time.monotonic() + self._timeout
        while not self._stop.is_set():
            try:
                return conn.recv_until_filtered(responses, timeout=_POLL_S)
            except TimeoutError:
                if time.monotonic() > deadline:
                    break
        if self._stop.is_set():
            raise PortalUnavailable("stopped before the desktop answered")
        raise PortalUnavailable("the desktop did not answer the shortcut request")

    def _listen(self, conn: Any, presses: Any, session: str) -> None:
        while not self._stop.is_set():
            try:
                signal = conn.recv_until_filtered(presses, timeout=_POLL_S)
            except TimeoutError:
                continue
            pressed_session, shortcut_id = signal.body[0], signal.body[1]
            if pressed_session == session and shortcut_id == SHORTCUT_ID:
                self._on_activated()


def _call(path: str, interface: str, member: str, signature: str, body: tuple) -> Any:
    from jeepney import DBusAddress, new_method_call

    address = DBusAddress(path, bus_name=PORTAL_BUS, interface=interface)
    return new_method_call(address, member, signature or None, body)


def _check_portal(conn: Any) -> None:
    """Raise PortalUnavailable unless the portal answers for GlobalShortcuts."""
    from jeepney import MessageType, Properties

    address = _address(PORTAL_PATH, SHORTCUTS_IFACE)
    try:
        reply = conn.send_and_get_reply(Properties(address).get("version"), timeout=10)
    except TimeoutError:
        raise PortalUnavailable("the desktop portal does not answer") from None
    if reply.header.message_type == MessageType.error:
        if _error_name(reply).endswith(("ServiceUnknown", "NameHasNoOwner")):
            raise PortalUnavailable("no desktop portal is running")
        raise PortalUnavailable("this desktop's portal offers no global shortcuts")


def _error_name(reply: Any) -> str:
    from jeepney import HeaderFields

    return str(reply.header.fields.get(HeaderFields.error_name, "unknown error"))


def _address(path: str, interface: str) -> Any:
    from jeepney import DBusAddress

    return DBusAddress(path, bus_name=PORTAL_BUS, interface=interface)


def _default_bus_exists() -> bool:
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return bool(runtime) and os.path.exists(os.path.join(runtime, "bus"))
