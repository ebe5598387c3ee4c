#!/usr/bin/env python3
"""A UDP client as socket.SOCK_DGRAM is taught: sendto() a datagram, recvfrom() the answer.

Usage: udp_client.py HOST PORT MESSAGE...  (prints repr() of each reply)
"""
import socket
import sys

HOST, PORT = sys.argv[1], int(sys.argv[2])
family = socket.AF_INET6 if ":" in HOST else socket.AF_INET
sk = socket.socket(family, socket.SOCK_DGRAM)
sk.settimeout(5)
for message in sys.argv[3:]:
    sk.sendto(message.encode(), (HOST, PORT))
    data, address = sk.recvfrom(1024)
    print(repr(data))
sk.close()
