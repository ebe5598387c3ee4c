#!/usr/bin/env python3
"""A chat peer written from the byte layout in specs/chat.protocol.yaml alone.

Only `socket` and `struct` speak the protocol, to show a peer in another
language needs nothing from sockspec. The layout, as the spec declares it:

  frame   = u32 length (big-endian; counts the bytes after it, at most 16384)
            u8 type, u32 id (big-endian), then the message's fields in order
  Nick    = u8 length + UTF-8 (at most 32 bytes)
  Room    = u8 length + UTF-8 (at most 64 bytes)
  Text    = u16 length + UTF-8 (at most 4000 bytes); Failed.text likewise
  at      = u64 big-endian unix milliseconds
  Reason  = u8 enum; arrays = u16 count, then the items
  Rooms   = u32 total, then the rooms of this page (Room + u32 members each)
  Members = Room, u32 total, then the nicks of this page

Usage: chat_client.py '{"host": "127.0.0.1", "port": 5680, "nick": "py",
  "room": "general", "says": ["hello"], "said": 1}'
(or "unix": "/path/to.sock"; optionally "family": "inet6", "timeout": 5).
It joins `room` as `nick`, says each of `says`, and reads until `said`
Said messages arrived (its own count too, since Say reaches the sender).
Every message received is printed at once as one JSON line, e.g.
{"type": "Said", "id": 0, "room": "general", "nick": "py", "text": "hello", "at": 1767344700000},
so a test can act on the Joined reply while the client keeps listening.
Exit status: 0 done, 3 socket error or timeout, 4 the join was refused,
5 the server sent bytes that break the layout.
"""
import json
import socket
import struct
import sys

MAX_FRAME_BYTES = 16384
HEADER = struct.Struct(">BI")  # type, id
LENGTH = struct.Struct(">I")

CODES = {
    "Join": 1, "Joined": 2, "Say": 3, "Said": 4, "Whisper": 5, "Whispered": 6, "Leave": 7, "Left": 8,
    "ListRooms": 9, "Rooms": 10, "ListMembers": 11, "Members": 12, "Ok": 13, "Failed": 14,
}
NAMES = {code: name for name, code in CODES.items()}
REASONS = {1: "badRequest", 2: "internal", 3: "nickTaken", 4: "notJoined", 5: "noSuchNick", 6: "noSuchRoom"}


class LayoutError(Exception):
    """The server's bytes do not follow the spec's layout."""


def short_string(text, max_bytes):
    data = text.encode("utf-8")
    if len(data) > max_bytes:
        raise ValueError(f"{text!r} is {len(data)} bytes; the spec allows {max_bytes}")
    return struct.pack(">B", len(data)) + data


def long_string(text, max_bytes):
    data = text.encode("utf-8")
    if len(data) > max_bytes:
        raise ValueError(f"{text!r} is {len(data)} bytes; the spec allows {max_bytes}")
    return struct.pack(">H", len(data)) + data


def frame(name, message_id, body=b""):
    payload = HEADER.pack(CODES[name], message_id) + body
    return LENGTH.pack(len(payload)) + payload


class Reader:
    """Reads the fields of one frame's body in order, refusing to run past its end."""

    def __init__(self, data):
        self.data = data
        self.offset = 0

    def take(self, count):
        if self.offset + count > len(self.data):
            raise LayoutError(f"field needs {count} bytes at offset {self.offset}, frame has {len(self.data)}")
        chunk = self.data[self.offset:self.offset + count]
        self.offset += count
        return chunk

    def unpack(self, fmt):
        layout = struct.Struct(fmt)
        return layout.unpack(self.take(layout.size))

    def string(self, length_fmt):
        (length,) = self.unpack(length_fmt)
        raw = self.take(length)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise LayoutError(f"string at offset {self.offset - length} is not UTF-8: {error}") from None

    def end(self):
        if self.offset != len(self.data):
            raise LayoutError(f"{len(self.data) - self.offset} bytes after the last field")


def decode(payload):
    """One frame's payload (after the length) as a dict named as in the spec."""
    reader = Reader(payload)
    code, message_id = reader.unpack(">BI")
    name = NAMES.get(code)
    if name is None:
        raise LayoutError(f"unknown message code {code}")
    message = {"type": name, "id": message_id}
    if name in ("Joined", "Left"):
        message["room"] = reader.string(">B")
        message["nick"] = reader.string(">B")
    elif name == "Said":
        message["room"] = reader.string(">B")
        message["nick"] = reader.string(">B")
        message["text"] = reader.string(">H")
        (message["at"],) = reader.unpack(">Q")
    elif name == "Whispered":
        message["from"] = reader.string(">B")
        message["text"] = reader.string(">H")
        (message["at"],) = reader.unpack(">Q")
    elif name == "Rooms":
        (message["total"],) = reader.unpack(">I")
        (count,) = reader.unpack(">H")
        rooms = []
        for _ in range(count):
            room = reader.string(">B")
            (members,) = reader.unpack(">I")
            rooms.append({"name": room, "members": members})
        message["rooms"] = rooms
    elif name == "Members":
        message["room"] = reader.string(">B")
        (message["total"],) = reader.unpack(">I")
        (count,) = reader.unpack(">H")
        message["nicks"] = [reader.string(">B") for _ in range(count)]
    elif name == "Failed":
        (reason,) = reader.unpack(">B")
        message["reason"] = REASONS.get(reason, reason)
        message["text"] = reader.string(">H")
    elif name != "Ok":
        raise LayoutError(f"{name} is sent by clients, not servers")
    reader.end()
    return message


def recv_exact(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError(f"server closed the connection after {len(data)} of {count} bytes")
        data += chunk
    return data


def read_message(sock):
    (length,) = LENGTH.unpack(recv_exact(sock, LENGTH.size))
    # The length is checked before anything is read into memory, as the spec's maxFrameBytes asks.
    if length < HEADER.size or length > MAX_FRAME_BYTES:
        raise LayoutError(f"frame length {length} is outside {HEADER.size}..{MAX_FRAME_BYTES}")
    message = decode(recv_exact(sock, length))
    print(json.dumps(message), flush=True)
    return message


def main():
    request = json.loads(sys.argv[1])
    if request.get("unix"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        address = request["unix"]
    else:
        family = socket.AF_INET6 if request.get("family") == "inet6" else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        address = (request["host"], request["port"])
    sock.settimeout(request.get("timeout", 5))
    sock.connect(address)

    sock.sendall(frame("Join", 1, short_string(request["nick"], 32) + short_string(request["room"], 64)))
    while True:
        reply = read_message(sock)
        if reply["id"] == 1:
            break
    if reply["type"] != "Joined":
        print(f"chat_client.py: join refused: {reply.get('reason')}: {reply.get('text')}", file=sys.stderr)
        return 4

    for index, text in enumerate(request.get("says", [])):
        sock.sendall(frame("Say", 2 + index, short_string(request["room"], 64) + long_string(text, 4000)))
    said = 0
    while said < request.get("said", 0):
        if read_message(sock)["type"] == "Said":
            said += 1
    sock.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except LayoutError as error:
        print(f"chat_client.py: bad bytes from the server: {error}", file=sys.stderr)
        sys.exit(5)
    except (OSError, socket.timeout) as error:
        print(f"chat_client.py: {error}", file=sys.stderr)
        sys.exit(3)
