#!/usr/bin/env python3
"""An independent peer for the test-only `tagged` protocol, written from its byte table alone.

Every frame: magic u16 0xCAFE, one byte of bits (version 3 bits = 1, urgent 1 bit, type 4 bits, from the
most significant bit down), hops u8, id u32, length u32 (bytes after it), all little-endian.
  Ping   (type 1): b"SS\\x01\\x02", text as u16 length + UTF-8, CRC-32 (zlib) of every byte before it, u32
  Pong   (type 2): ok u8 1, kind u8 1 (loud), text as u16 length + UTF-8, b"PK\\x03\\x04\\x14\\x00\\x00\\x00\\x08",
                   then the XOR of the body's bytes before it, u8
  Failed (type 3): reason u8 (1 badRequest, 2 internal, 3 refused), text as u16 length + UTF-8

  tagged_peer.py client PORT   sends a Ping, then a Ping with the wrong magic; prints one JSON line
  tagged_peer.py server        listens on 127.0.0.1:0, prints its port, answers one Ping with a Pong
"""
import json
import socket
import struct
import sys
import zlib
from functools import reduce

HEADER = struct.Struct("<HBBII")  # magic, version|urgent|type, hops, id, length
MAGIC, VERSION = 0xCAFE, 1
TRAILER = b"PK\x03\x04\x14\x00\x00\x00\x08"


def frame(kind, ident, body, magic=MAGIC, urgent=0):
    return HEADER.pack(magic, VERSION << 5 | urgent << 4 | kind, 0, ident, len(body)) + body


def ping(ident, text, magic=MAGIC, urgent=0):
    """A Ping: the CRC-32 covers the header (its length counts the CRC too) and the body before it."""
    body = b"SS\x01\x02" + text_field(text)
    head = HEADER.pack(magic, VERSION << 5 | urgent << 4 | 1, 0, ident, len(body) + 4)
    return head + body + struct.pack("<I", zlib.crc32(head + body))


def xor(data):
    return reduce(lambda acc, byte: acc ^ byte, data, 0)


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
    magic, bits, hops, ident, length = HEADER.unpack(head)
    header = {"magic": magic, "version": bits >> 5, "urgent": bits >> 4 & 1, "type": bits & 0x0F, "hops": hops, "id": ident}
    return header, read_exact(sock, length)


def read_text(body, at):
    (length,) = struct.unpack_from("<H", body, at)
    return body[at + 2 : at + 2 + length].decode("utf-8"), at + 2 + length


def client(port):
    result = {}
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(ping(7, "hello from struct", urgent=1))
        header, body = read_frame(sock)
        ok, kind = body[0], body[1]
        text, at = read_text(body, 2)
        trailer, check = body[at:-1], body[-1]
        result["pong"] = {**header, "ok": ok, "kind": kind, "text": text, "trailer": trailer.hex(), "bodyBytes": len(body),
                          "checkOk": check == xor(body[:-1])}
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(ping(8, "wrong magic", magic=0xBEEF))
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
            text, at = read_text(body, 4)
            whole = HEADER.pack(header["magic"], header["version"] << 5 | header["urgent"] << 4 | header["type"],
                                header["hops"], header["id"], len(body)) + body[:at]
            crc_ok = struct.unpack_from("<I", body, at)[0] == zlib.crc32(whole)
            if header["magic"] != MAGIC or header["version"] != VERSION or signature != b"SS\x01\x02" or not crc_ok:
                reply = frame(3, header["id"], b"\x01" + text_field("bad header"))
            else:
                pong = b"\x01\x01" + text_field("python heard: " + text) + TRAILER
                reply = frame(2, header["id"], pong + bytes([xor(pong)]))
            conn.sendall(reply)
            print(json.dumps({"received": header, "signature": signature.hex(), "text": text, "crcOk": crc_ok}), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "client":
        client(int(sys.argv[2]))
    else:
        server()
