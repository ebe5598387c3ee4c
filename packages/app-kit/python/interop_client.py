#!/usr/bin/env python3
"""A client as a reader of the Python socket tutorials would write it.

Only the socket module talks to the server: connect, sendall() each chunk,
recv() until the expected number of lines arrived. The sockspec tests run it
against the sockspec servers to prove they speak the tutorials' protocol
byte for byte.

Usage: interop_client.py '{"host": "127.0.0.1", "port": 5678,
  "sends": ["hello\\n"], "lines": 1}'
(or "unix": "/path/to.sock", optionally "family": "inet6", "timeout": 5).
Prints JSON: {"received": repr(bytes), "text": ..., "ctimes": [...], "closed": bool}.
"""
import json
import socket
import sys
import time

# Long enough for the server to read the first chunk on its own, so a line
# split across two sends really reaches it in two reads.
PAUSE_BETWEEN_SENDS = 0.05


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
