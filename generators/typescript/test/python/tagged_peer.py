#!/usr/bin/env python3
"""An independent peer for the test-only `tagged` protocol, written from its byte table alone.

Every frame: magic u16 0xCAFE, version u8 1, type u8, id u32, length u32 (bytes after it), all little-endian.
  Ping   (type 1): b"SS\\x01\\x02", text as u16 length + UTF-8
  Pong   (type 2): ok u8 1, kind u8 1 (loud), text as u16 length + UTF-8, b"PK\\x03\\x04\\x14\\x00\\x00\\x00\\x08"
  Failed (type 3): reason u8 (1 badRequest, 2 internal, 3 refused), text as u16 length + UTF-8

  tagged_peer.py client PORT   sends a Ping, then a Ping with the wrong magic; prints one JSON line
  tagged_peer.py server        listens on 127.0.0.1:0, prints its port, answers one Ping with a Pong
"""
import json
import socket
import struct
import sys

HEADER = struct.Struct("<HBBII")  # magic, version, type, id, length
MAGIC, VERSION = 0xCAFE, 1
TRAILER = b"PK\x03\x04\x14\x00\x00\x00\x08"


def frame(kind, ident, body, magic=MAGIC):
    return HEADER.pack(magic, VERSION, kind, ident, len(body)) + body


def text_field(text):
    data = text.encode("utf-8")
    return struct.pack("<H", len(data)) + data


def read_exact(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise EOFError(f"connection closed after {len(data)} of {count} bytes")
        data += chunk
    return data


def read_frame(sock):
    head = read_exact(sock, HEADER.size)
    magic, version, kind, ident, length = HEADER.unpack(head)
    return {"magic": magic, "version": version, "type": kind, "id": ident}, read_exact(sock, length)


def read_text(body, at):
    (length,) = struct.unpack_from("<H", body, at)
    return body[at + 2 : at + 2 + length].decode("utf-8"), at + 2 + length


def client(port):
    result = {}
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(frame(1, 7, b"SS\x01\x02" + text_field("hello from struct")))
        header, body = read_frame(sock)
        ok, kind = body[0], body[1]
        text, at = read_text(body, 2)
        result["pong"] = {**header, "ok": ok, "kind": kind, "text": text, "trailer": body[at:].hex(), "bodyBytes": len(body)}
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(frame(1, 8, b"SS\x01\x02" + text_field("wrong magic"), magic=0xBEEF))
        header, body = read_frame(sock)
        text, _ = read_text(body, 1)
        result["failed"] = {**header, "reason": body[0], "text": text}
        result["closedAfter"] = sock.recv(1) == b""
    print(json.dumps(result), flush=True)


def server():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(10)
        print(listener.getsockname()[1], flush=True)
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(5)
            header, body = read_frame(conn)
            signature = body[:4]
            text, _ = read_text(body, 4)
            if header["magic"] != MAGIC or header["version"] != VERSION or signature != b"SS\x01\x02":
                reply = frame(3, header["id"], b"\x01" + text_field("bad header"))
            else:
                reply = frame(2, header["id"], b"\x01\x01" + text_field("python heard: " + text) + TRAILER)
            conn.sendall(reply)
            print(json.dumps({"received": header, "signature": signature.hex(), "text": text}), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "client":
        client(int(sys.argv[2]))
    else:
        server()
