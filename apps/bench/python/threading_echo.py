#!/usr/bin/env python3
"""Baseline for `pnpm bench echo`: the seeds' socketserver.ThreadingTCPServer echo.

A StreamRequestHandler in a thread per connection writes every line back
(TCP_NODELAY on, so replies are not held by Nagle). Listens on 127.0.0.1 and
an ephemeral port, prints `listening tcp://127.0.0.1:<port>`, runs until SIGTERM.
"""
import signal
import socket
import socketserver
import sys
import threading


class Echo(socketserver.StreamRequestHandler):
    def setup(self):
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()

    def handle(self):
        for line in self.rfile:
            self.wfile.write(line)
            self.wfile.flush()


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 511


server = Server(("127.0.0.1", 0), Echo)
print(f"listening tcp://127.0.0.1:{server.server_address[1]}", flush=True)
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
server.serve_forever()
sys.exit(0)
