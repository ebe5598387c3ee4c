#!/usr/bin/env python3
"""A file-transfer client written from the protocol's byte layout alone.

Only `socket` and `struct` speak the protocol (specs/file-transfer.protocol.yaml):
every frame is a u32 big-endian length counting the bytes after it, then a u8
message type and a u32 correlation id, then the message's fields. Strings and
paths are a u16 big-endian byte count plus UTF-8; u64 is big-endian; a
timestamp is an i64 of milliseconds; a SHA-256 is 32 raw bytes; Data.bytes
runs to the end of its frame. Stream chunks (Data, End) carry the id of the
message that opened the stream.

Usage:
  ft_client.py [--host H --port P | --unix PATH] [--timeout S] put FILE REMOTE
  ft_client.py ... get REMOTE FILE
  ft_client.py ... list [DIR]
Prints one JSON object on stdout. A Failed reply prints
{"failed": {"reason": ..., "text": ...}} and exits 1; bad usage exits 2;
a broken connection or protocol error exits 3.
"""
import argparse
import hashlib
import json
import os
import socket
import struct
import sys

LIST, LISTING, OFFER, READY, UPLOAD, STORED, GET, SENDING, DATA, END, FAILED = range(1, 12)
NAMES = {
    LIST: "List", LISTING: "Listing", OFFER: "Offer", READY: "Ready", UPLOAD: "Upload", STORED: "Stored",
    GET: "Get", SENDING: "Sending", DATA: "Data", END: "End", FAILED: "Failed",
}
REASONS = {
    1: "bad-request", 2: "internal", 3: "not-found", 4: "outside-root", 5: "not-a-file",
    6: "not-a-directory", 7: "offset-mismatch", 8: "checksum-mismatch", 9: "size-mismatch", 10: "busy",
    11: "quota-exceeded",
}
KINDS = {1: "file", 2: "directory", 3: "other"}
MAX_FRAME_BYTES = 65600
CHUNK_BYTES = 65536


class Refused(Exception):
    """The server answered with Failed."""

    def __init__(self, reason, text):
        super().__init__(f"{reason}: {text}")
        self.reason = reason
        self.text = text


class ProtocolError(Exception):
    """The server sent something the protocol does not allow here."""


def pack_string(text):
    data = text.encode("utf-8")
    return struct.pack(">H", len(data)) + data


class Reader:
    """Walks the fields of one frame body."""

    def __init__(self, body, at):
        self.body = body
        self.at = at

    def take(self, count):
        if self.at + count > len(self.body):
            raise ProtocolError(f"frame ends after {len(self.body)} bytes, needed {self.at + count}")
        data = self.body[self.at:self.at + count]
        self.at += count
        return data

    def unpack(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))

    def string(self):
        (length,) = self.unpack(">H")
        return self.take(length).decode("utf-8")

    def rest(self):
        data = self.body[self.at:]
        self.at = len(self.body)
        return data


class Connection:
    def __init__(self, sock):
        self.sock = sock
        self.next_id = 1
        self.pending = b""

    def new_id(self):
        request_id = self.next_id
        self.next_id += 1
        return request_id

    def send(self, message_type, request_id, fields=b""):
        body = struct.pack(">BI", message_type, request_id) + fields
        self.sock.sendall(struct.pack(">I", len(body)) + body)

    def recv_exact(self, count):
        while len(self.pending) < count:
            data = self.sock.recv(max(65536, count - len(self.pending)))
            if not data:
                raise ProtocolError("the server closed the connection")
            self.pending += data
        data, self.pending = self.pending[:count], self.pending[count:]
        return data

    def receive(self, request_id):
        """Returns (type, Reader) of the next frame; a Failed reply raises Refused."""
        (length,) = struct.unpack(">I", self.recv_exact(4))
        if length < 5 or length > MAX_FRAME_BYTES:
            raise ProtocolError(f"frame length {length} outside 5..{MAX_FRAME_BYTES}")
        body = self.recv_exact(length)
        message_type, reply_id = struct.unpack(">BI", body[:5])
        if reply_id != request_id:
            raise ProtocolError(f"{NAMES.get(message_type, message_type)} for id {reply_id}, expected id {request_id}")
        reader = Reader(body, 5)
        if message_type == FAILED:
            (reason,) = reader.unpack(">B")
            raise Refused(REASONS.get(reason, f"reason {reason}"), reader.string())
        return message_type, reader

    def expect(self, request_id, wanted):
        message_type, reader = self.receive(request_id)
        if message_type != wanted:
            raise ProtocolError(f"expected {NAMES[wanted]}, got {NAMES.get(message_type, message_type)}")
        return reader


def file_sha256(path, end=None):
    """SHA-256 of the file's first `end` bytes (all of it when None)."""
    digest = hashlib.sha256()
    left = os.path.getsize(path) if end is None else end
    with open(path, "rb") as source:
        while left > 0:
            block = source.read(min(left, 1 << 20))
            if not block:
                break
            digest.update(block)
            left -= len(block)
    return digest.digest()


def put(conn, local, remote):
    size = os.path.getsize(local)
    sha = file_sha256(local)
    offer_id = conn.new_id()
    conn.send(OFFER, offer_id, pack_string(remote) + struct.pack(">Q", size) + sha)
    ready = conn.expect(offer_id, READY)
    (offset,) = ready.unpack(">Q")
    (held,) = ready.unpack(">32s")
    # Resume only onto bytes that are this file's own start; anyone who knows the SHA-256 can have sent them.
    if offset > 0 and file_sha256(local, offset) != held:
        offset = 0
    held = file_sha256(local, offset)
    upload_id = conn.new_id()
    conn.send(UPLOAD, upload_id, pack_string(remote) + struct.pack(">Q", size) + sha + struct.pack(">Q", offset) + held)
    sent = 0
    with open(local, "rb") as source:
        source.seek(offset)
        for chunk in iter(lambda: source.read(CHUNK_BYTES), b""):
            conn.send(DATA, upload_id, chunk)
            sent += len(chunk)
    conn.send(END, upload_id)
    reader = conn.expect(upload_id, STORED)
    stored_path = reader.string()
    (stored_size,) = reader.unpack(">Q")
    return {"command": "put", "path": stored_path, "bytes": stored_size, "sent": sent, "offset": offset,
            "sha256": sha.hex()}


def get(conn, remote, local):
    get_id = conn.new_id()
    conn.send(GET, get_id, pack_string(remote) + struct.pack(">Q", 0))
    reader = conn.expect(get_id, SENDING)
    (size,) = reader.unpack(">Q")
    expected = reader.take(32)
    (offset,) = reader.unpack(">Q")
    if offset != 0:
        raise ProtocolError(f"asked for offset 0, Sending says {offset}")
    partial = os.path.join(os.path.dirname(local) or ".", "." + os.path.basename(local) + ".part")
    digest = hashlib.sha256()
    received = 0
    with open(partial, "wb") as target:
        while True:
            message_type, chunk_reader = conn.receive(get_id)
            if message_type == END:
                break
            if message_type != DATA:
                raise ProtocolError(f"expected Data or End, got {NAMES.get(message_type, message_type)}")
            chunk = chunk_reader.rest()
            received += len(chunk)
            if received > size:
                raise ProtocolError(f"more than the announced {size} bytes arrived")
            digest.update(chunk)
            target.write(chunk)
    actual = digest.digest()
    if received != size or actual != expected:
        os.unlink(partial)
        raise ProtocolError(
            f"got {received} of {size} bytes, SHA-256 {actual.hex()}, expected {expected.hex()}")
    os.replace(partial, local)
    return {"command": "get", "path": remote, "bytes": received, "sha256": actual.hex(), "verified": True}


def list_dir(conn, path):
    list_id = conn.new_id()
    conn.send(LIST, list_id, pack_string(path))
    reader = conn.expect(list_id, LISTING)
    listed = reader.string()
    (count,) = reader.unpack(">H")
    entries = []
    for _ in range(count):
        name = reader.string()
        kind, size, modified = reader.unpack(">BQq")
        entries.append({"name": name, "kind": KINDS.get(kind, kind), "size": size, "modified": modified})
    return {"command": "list", "path": listed, "entries": entries}


def main():
    parser = argparse.ArgumentParser(description="file-transfer client from the byte layout")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int)
    parser.add_argument("--unix")
    parser.add_argument("--timeout", type=float, default=30)
    commands = parser.add_subparsers(dest="command", required=True)
    put_args = commands.add_parser("put")
    put_args.add_argument("file")
    put_args.add_argument("remote")
    get_args = commands.add_parser("get")
    get_args.add_argument("remote")
    get_args.add_argument("file")
    list_args = commands.add_parser("list")
    list_args.add_argument("dir", nargs="?", default="")
    args = parser.parse_args()
    if (args.unix is None) == (args.port is None):
        parser.error("give --port (with --host) or --unix")

    if args.unix is not None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        address = args.unix
    else:
        family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        address = (args.host, args.port)
    sock.settimeout(args.timeout)
    sock.connect(address)
    conn = Connection(sock)
    try:
        if args.command == "put":
            result = put(conn, args.file, args.remote)
        elif args.command == "get":
            result = get(conn, args.remote, args.file)
        else:
            result = list_dir(conn, args.dir)
    except Refused as refused:
        print(json.dumps({"command": args.command, "failed": {"reason": refused.reason, "text": refused.text}}))
        return 1
    finally:
        sock.close()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, ProtocolError, UnicodeDecodeError, struct.error) as error:
        print(f"ft_client.py: {error}", file=sys.stderr)
        sys.exit(3)
