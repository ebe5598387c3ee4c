#!/usr/bin/env python3
"""The ThreadingMixIn tutorial's server: each connection in its own thread, one recv(1024), answered "<thread>: <data>".

Prints "listening <port>".
"""
import socketserver
import threading


class ThreadedTCPRequestHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data = self.request.recv(1024)
        cur_thread = threading.current_thread()
        response = "{}: {}".format(cur_thread.name, data.decode())
        self.request.sendall(response.encode())


class ThreadedTCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


server = ThreadedTCPServer(("127.0.0.1", 0), ThreadedTCPRequestHandler)
print(f"listening {server.server_address[1]}", flush=True)
server.serve_forever()
