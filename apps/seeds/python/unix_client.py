#!/usr/bin/env python3
"""A Unix-socket client (socket.AF_UNIX): connect to a path, send, one recv(1024) per message.

Usage: unix_client.py PATH MESSAGE...  (prints repr() of each reply)
"""
import socket
import sys

sk = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sk.settimeout(5)
sk.connect(sys.argv[1])
for message in sys.argv[2:]:
    sk.send(message.encode())
    print(repr(sk.recv(1024)))
sk.close()
