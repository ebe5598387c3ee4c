#!/usr/bin/env python3
"""The select tutorial's test client: four sockets, three messages, each sent from every socket.

For each message every socket sends "<message> version <counter>", then
every socket does one recv(1024) and prints "received <data>".
Usage: select_client.py HOST PORT
"""
import socket
import sys

HOST, PORT = sys.argv[1], int(sys.argv[2])
messages = ["This is the message", "It will be sent", "in parts "]
socks = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(4)]
for s in socks:
    s.settimeout(5)
    s.connect((HOST, PORT))
counter = 0
for message in messages:
    for s in socks:
        counter += 1
        s.send(f"{message} version {counter}".encode())
    for s in socks:
        data = s.recv(1024)
        print(f"received {data.decode()}")
        if not data:
            print("closing socket")
            s.close()
for s in socks:
    s.close()
