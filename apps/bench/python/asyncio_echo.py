#!/usr/bin/env python3
"""Baseline for `pnpm bench echo`: the echo a Python user would write with asyncio.

An asyncio.Protocol whose data_received writes back what it got, TCP_NODELAY on
(asyncio sets it for TCP). Listens on 127.0.0.1 and an ephemeral port, prints
`listening tcp://127.0.0.1:<port>`, and runs until SIGTERM.
"""
import asyncio
import signal


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, "127.0.0.1", 0, backlog=511)
    port = server.sockets[0].getsockname()[1]
    print(f"listening tcp://127.0.0.1:{port}", flush=True)
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    await stop
    server.close()


asyncio.run(main())
