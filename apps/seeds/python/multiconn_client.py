#!/usr/bin/env python3
"""The first tutorial's multi-connection client: non-blocking connect_ex() and selectors.

Two connections each send "Message 1 from client" and "Message 2 from
client" as soon as they are writable and print what they receive; a
connection is closed on its first read after its last message went out, or
when the server closes. As the tutorial warns, the server may get both
messages in one read and echo them merged. Prints one JSON line per
connection at the end: {"connection": n, "received": "..."}.
Usage: multiconn_client.py HOST PORT
"""
import json
import selectors
import socket
import sys
import time

HOST, PORT = sys.argv[1], int(sys.argv[2])
sel = selectors.DefaultSelector()
messages = ["Message 1 from client", "Message 2 from client"]
received = {}


def start_connections(host, port, num_conns):
    for i in range(num_conns):
        connid = i + 1
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((host, port))
        received[connid] = b""
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, data={"connid": connid, "messages": messages.copy()})


def service_connection(key, mask):
    s = key.fileobj
    data = key.data
    if mask & selectors.EVENT_READ:
        indata = s.recv(1024)
        if indata:
            print(f"received {indata!r} from connection {data['connid']}", file=sys.stderr)
            received[data["connid"]] += indata
        if not indata or len(data["messages"]) == 0:
            sel.unregister(s)
            s.close()
            return
    if mask & selectors.EVENT_WRITE:
        if len(data["messages"]) > 0:
            outdata = data["messages"].pop(0)
            print(f"send {outdata!r} from connection {data['connid']}", file=sys.stderr)
            s.send(outdata.encode())


start_connections(HOST, PORT, 2)
deadline = time.time() + 10
try:
    while time.time() < deadline:
        events = sel.select(timeout=1)
        for key, mask in events:
            service_connection(key, mask)
        if not sel.get_map():
            break
finally:
    sel.close()
for connid, data in sorted(received.items()):
    print(json.dumps({"connection": connid, "received": data.decode()}))
