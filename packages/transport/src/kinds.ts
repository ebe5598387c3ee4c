import type { DatagramTransportKind, TransportKind } from './types.js';

/** Every transport listen() and connect() accept, in the order help text lists them. */
export const TRANSPORT_KINDS: readonly TransportKind[] = Object.freeze([
  'tcp',
  'tcp6',
  'unix',
  'udp',
  'udp6',
  'unix-dgram',
  'tls',
  'websocket',
] as const);

const DATAGRAM_KINDS: ReadonlySet<string> = new Set<DatagramTransportKind>(['udp', 'udp6', 'unix-dgram']);

/** True for transports where one chunk is one datagram and nothing is a byte stream. */
export function isDatagramTransport(kind: TransportKind): kind is DatagramTransportKind {
  return DATAGRAM_KINDS.has(kind);
}

export function isTransportKind(kind: string): kind is TransportKind {
  return (TRANSPORT_KINDS as readonly string[]).includes(kind);
}
