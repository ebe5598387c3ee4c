#!/usr/bin/env python3
"""The socketserver tutorial's timestamp server: TCPServer + StreamRequestHandler.

handle() writes "[ctime] <the line>" for the first line a client sends and
returns, so socketserver closes the connection. Prints "listening <port>".
"""
import socketserver
from time import ctime


class MyRequestHandler(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(("[%s] %s" % (ctime(), self.rfile.readline().decode())).encode())


socketserver.TCPServer.allow_reuse_address = True
tcpSer = socketserver.TCPServer(("127.0.0.1", 0), MyRequestHandler)
print(f"listening {tcpSer.server_address[1]}", flush=True)
tcpSer.serve_forever()
