#!/usr/bin/env python3
"""The first tutorial's interactive echo client (echo_client.py), in Python 3.

Each line typed (here: read from a pipe) goes out with s.send() and no line
ending; one s.recv(1024) brings the answer. An empty line or end of input
quits, as the tutorial's loop does when input() has nothing more.
Usage: echo_client.py HOST PORT
"""
import socket
import sys

HOST, PORT = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(5)
s.connect((HOST, PORT))
while True:
    try:
        outdata = input("message: ")
    except EOFError:
        break
    if outdata == "":
        break
    print(f"sent: {outdata}")
    s.send(outdata.encode())
    indata = s.recv(1024)
    if len(indata) == 0:
        s.close()
        print("server closed the connection")
        break
    print(f"received: {indata.decode()}")
s.close()
