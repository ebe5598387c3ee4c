#!/usr/bin/env python3
"""The socketserver tutorial's greeting server: handle() writes 'Thank you for connecting' and returns.

Prints "listening <port>".
"""
import socketserver


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"Thank you for connecting")


socketserver.TCPServer.allow_reuse_address = True
server = socketserver.TCPServer(("127.0.0.1", 0), Handler)
print(f"listening {server.server_address[1]}", flush=True)
server.serve_forever()
