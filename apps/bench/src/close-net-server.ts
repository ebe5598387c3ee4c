import type { Server, Socket } from 'node:net';

/**
 * The hand-written baselines' shutdown: stop accepting, ask every client to
 * finish, and cut off the ones still connected after `drainMs` so a stuck
 * client cannot hold the shutdown open.
 */
export async function closeNetServer(server: Server, sockets: ReadonlySet<Socket>, drainMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const socket of sockets) socket.end();
  const timer = setTimeout(() => {
    for (const socket of sockets) socket.destroy();
  }, drainMs);
  await closed;
  clearTimeout(timer);
}
