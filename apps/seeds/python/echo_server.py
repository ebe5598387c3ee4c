#!/usr/bin/env python3
"""The first tutorial's echo server: one client at a time, each recv(1024) answered with 'echo ' + data.

Listens on 127.0.0.1 and an ephemeral port, prints "listening <port>", and
serves until it is terminated.
"""
import socket

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(5)
print(f"listening {s.getsockname()[1]}", flush=True)
while True:
    conn, addr = s.accept()
    while True:
        indata = conn.recv(1024)
        if len(indata) == 0:
            conn.close()
            break
        outdata = "echo " + indata.decode()
        conn.send(outdata.encode())
