#!/usr/bin/env python3
"""The ThreadingMixIn tutorial's client(): connect, sendall(message), one recv(1024), close.

Usage: threading_client.py HOST PORT  (sends "Hello World 1" to "Hello World 3", one connection each)
"""
import socket
import sys


def client(ip, port, message):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.connect((ip, port))
    try:
        sock.sendall(message)
        response = sock.recv(1024)
        print("Received: {}".format(response.decode()))
    finally:
        sock.close()


HOST, PORT = sys.argv[1], int(sys.argv[2])
for n in (1, 2, 3):
    client(HOST, PORT, f"Hello World {n}".encode())
