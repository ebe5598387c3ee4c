#!/usr/bin/env python3
"""The socketserver tutorial's timestamp client: a new connection per line.

Each input line goes out as "%s\r\n", one recv(BUFSIZE) brings the stamped
line, which is printed stripped. An empty line or end of input quits.
Usage: timestamp_client.py HOST PORT
"""
import socket
import sys

BUFSIZE = 1024
HOST, PORT = sys.argv[1], int(sys.argv[2])
while True:
    tcpClient = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcpClient.settimeout(5)
    tcpClient.connect((HOST, PORT))
    try:
        data = input(">")
    except EOFError:
        data = ""
    if not data:
        tcpClient.close()
        break
    tcpClient.send(("%s\r\n" % data).encode())
    data1 = tcpClient.recv(BUFSIZE)
    if not data1:
        break
    print(data1.decode().strip())
    tcpClient.close()
