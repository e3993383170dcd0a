"""A small fake of the XDG desktop portal's GlobalShortcuts interface, for a private bus.

Run as ``python -m tests.desktop.fake_portal RECORD_FILE`` with DBUS_SESSION_BUS_ADDRESS set.
It owns org.freedesktop.portal.Desktop and answers like the real portal: each call returns a
Request path and then emits that Request's ``Response`` signal. Every call it gets is
appended to RECORD_FILE as a JSON line. Extra method ``org.kenning.Test.Press(s id)`` makes it
emit ``Activated`` for the last session, as a key press would. ``--cancel`` answers
BindShortcuts with response 1 (the user cancelled the desktop's dialog); ``--silent`` never
answers it (the dialog is still open).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from jeepney import DBusAddress, HeaderFields, MessageType, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection
from jeepney.low_level import Message

BUS_NAME = "org.freedesktop.portal.Desktop"
PATH = "/org/freedesktop/portal/desktop"
SHORTCUTS = "org.freedesktop.portal.GlobalShortcuts"


def _plain(value: object) -> object:
    """Variants (signature, value) as lists, so the record is JSON."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class FakePortal:
    def __init__(self, record: Path, *, cancel: bool, silent: bool) -> None:
        self.record = record
        self.cancel = cancel
        self.silent = silent
        self.conn = open_dbus_connection(bus="SESSION")
        self.session = ""

    def run(self) -> None:
        self.conn.send_and_get_reply(message_bus.RequestName(BUS_NAME))
        print("ready", flush=True)
        while True:
            msg = self.conn.receive()
            if msg.header.message_type == MessageType.method_call:
                self.handle(msg)

    def log(self, member: str, body: object) -> None:
        with self.record.open("a") as fh:
            fh.write(json.dumps({"member": member, "body": _plain(body)}) + "\n")

    def handle(self, msg: Message) -> None:
        fields = msg.header.fields
        member, interface = fields[HeaderFields.member], fields.get(HeaderFields.interface)
        sender = fields[HeaderFields.sender]
        self.log(member, msg.body)
        if interface == "org.freedesktop.DBus.Properties" and member == "Get":
            self.conn.send(new_method_return(msg, "v", (("u", 1),)))
        elif member == "CreateSession":
            options = msg.body[0]
            token = options["handle_token"][1]
            self.session = (
                f"{PATH}/session/{sender[1:].replace('.', '_')}/"
                + (options["session_handle_token"][1])
            )
            request = self.answer(msg, sender, token)
            self.respond(request, 0, {"session_handle": ("s", self.session)})
        elif member == "BindShortcuts":
            _session, shortcuts, _parent, options = msg.body
            request = self.answer(msg, sender, options["handle_token"][1])
            if self.silent:
                return  # like a desktop whose confirmation dialog the user leaves open
            if self.cancel:
                self.respond(request, 1, {})
                return
            bound = [
                (
                    sid,
                    {
                        "description": props["description"],
                        "trigger_description": ("s", "Ctrl+Alt+K"),
                    },
                )
                for sid, props in shortcuts
            ]
            self.respond(request, 0, {"shortcuts": ("a(sa{sv})", bound)})
        elif member == "Press":
            self.conn.send(new_method_return(msg))
            address = DBusAddress(PATH, interface=SHORTCUTS)
            self.conn.send(
                new_signal(address, "Activated", "osta{sv}", (self.session, msg.body[0], 1, {}))
            )
        elif member == "Close":
            self.conn.send(new_method_return(msg))
        else:
            self.conn.send(new_method_return(msg))

    def answer(self, msg: Message, sender: str, token: str) -> str:
        request = f"{PATH}/request/{sender[1:].replace('.', '_')}/{token}"
        self.conn.send(new_method_return(msg, "o", (request,)))
        return request

    def respond(self, request: str, code: int, results: dict) -> None:
        address = DBusAddress(request, interface="org.freedesktop.portal.Request")
        self.conn.send(new_signal(address, "Response", "ua{sv}", (code, results)))


if __name__ == "__main__":
    FakePortal(
        Path(sys.argv[1]), cancel="--cancel" in sys.argv, silent="--silent" in sys.argv
    ).run()
