#!/usr/bin/env python3
"""A client as a reader of the Python socket tutorials would write it.

Only the socket module talks to the server: connect, sendall() each chunk,
recv() until the expected number of lines arrived. The sockspec tests run it
against the sockspec servers to prove they speak the tutorials' protocol
byte for byte.

Usage: interop_client.py '{"host": "127.0.0.1", "port": 5678,
  "sends": ["hello\\n"], "lines": 1}'
(or "unix": "/path/to.sock", optionally "family": "inet6", "timeout": 5).
With "datagram": true it speaks SOCK_DGRAM instead, as the tutorials' UDP
client does: each send is one sendto(), and one recvfrom() per datagram
sent collects the replies ("lines" is then ignored); over a unix path the
client binds its own socket in a fresh temp dir, so the server can answer.
Prints JSON: {"received": repr(bytes), "text": ..., "ctimes": [...], "closed": bool}.
"""
import json
import os
import shutil
import socket
import sys
import tempfile
import time

# Long enough for the server to read the first chunk on its own, so a line
# split across two sends really reaches it in two reads.
PAUSE_BETWEEN_SENDS = 0.05


def exchange_datagrams(request):
    """sendto() each send and recvfrom() its reply; returns (received, started, finished)."""
    bound_dir = None
    if request.get("unix"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        bound_dir = tempfile.mkdtemp(prefix="sockspec-interop-")
        sock.bind(os.path.join(bound_dir, "client.sock"))
        address = request["unix"]
    else:
        family = socket.AF_INET6 if request.get("family") == "inet6" else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        address = (request["host"], request["port"])
    sock.settimeout(request.get("timeout", 5))
    try:
        started = time.time()
        received = b""
        for chunk in request["sends"]:
            sock.sendto(chunk.encode("utf-8"), address)
            data, _ = sock.recvfrom(65535)
            received += data
        return received, started, time.time()
    finally:
        sock.close()
        if bound_dir is not None:
            shutil.rmtree(bound_dir, ignore_errors=True)


def main():
    request = json.loads(sys.argv[1])
    if request.get("datagram"):
        received, started, finished = exchange_datagrams(request)
        print(json.dumps({
            "received": repr(received),
            "text": received.decode("utf-8", "replace"),
            "ctimes": [time.ctime(second) for second in range(int(started), int(finished) + 1)],
            "closed": False,
        }))
        return
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

    started = time.time()
    for index, chunk in enumerate(request["sends"]):
        if index > 0:
            time.sleep(PAUSE_BETWEEN_SENDS)
        sock.sendall(chunk.encode("utf-8"))

    received = b""
    closed = False
    while received.count(b"\n") < request["lines"]:
        data = sock.recv(4096)
        if not data:
            closed = True
            break
        received += data
    finished = time.time()
    sock.close()

    print(json.dumps({
        "received": repr(received),
        "text": received.decode("utf-8", "replace"),
        "ctimes": [time.ctime(second) for second in range(int(started), int(finished) + 1)],
        "closed": closed,
    }))


if __name__ == "__main__":
    try:
        main()
    except (OSError, socket.timeout) as error:
        print(f"interop_client.py: {error}", file=sys.stderr)
        sys.exit(3)
