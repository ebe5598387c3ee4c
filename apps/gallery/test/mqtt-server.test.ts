/**
 * The generated MQTT server side, with the generated client over loopback:
 * a handler answers a PUBLISH, PUBREL or SUBSCRIBE without naming the packet
 * id, and the engine copies the request's (the spec's `pairBy: packetId`),
 * so pipelined requests each resolve with their own acknowledgement.
 */
import { createClient, createServer, type MqttClient } from '@sockspec/protocol-mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let server: ReturnType<typeof createServer>;
let client: MqttClient;
const published: { topic: string; packetId: number | undefined }[] = [];

beforeAll(async () => {
  server = createServer(
    {
      onConnect: () => ({ type: 'ConnAck', sessionPresent: 0, returnCode: 'accepted' }),
      // No packetId in any reply: the engine fills in the request's.
      onPublish: (message) => {
        published.push({ topic: message.topic, packetId: message.packetId });
        return message.qos === 2 ? { type: 'PubRec' } : { type: 'PubAck' };
      },
      onPubRel: () => ({ type: 'PubComp' }),
      onSubscribe: (message) => ({ type: 'SubAck', granted: message.subscriptions.map(() => 'qos1' as const) }),
      onUnsubscribe: () => ({ type: 'UnsubAck' }),
      onPingReq: () => ({ type: 'PingResp' }),
      onPubAck: () => {},
      onPubRec: () => {},
      onPubComp: () => {},
      onDisconnect: () => {},
    },
    { host: '127.0.0.1', port: 0, log: () => {} },
  );
  const address = await server.listen();
  client = await createClient({ host: '127.0.0.1', port: Number(new URL(address.url).port) });
  await client.connect({ clientId: 'sockspec-paired' });
});

afterAll(async () => {
  await client?.close();
  await server?.shutdown({ drainMs: 0 });
});

describe('the generated MQTT server', () => {
  it('answers 50 pipelined QoS 1 PUBLISHes, each PUBACK carrying its own packet id', async () => {
    const acks = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        client.publish({ qos: 1, topic: `t/${index}`, payload: new Uint8Array([index]) }),
      ),
    );
    const ids = published.slice(-50).map((entry) => entry.packetId);
    expect(new Set(ids).size).toBe(50);
    expect(acks.map((ack) => ack?.packetId)).toEqual(ids);
    expect(acks.every((ack) => ack?.type === 'PubAck')).toBe(true);
  });

  it('runs the QoS 2 handshake and SUBSCRIBE with the ids copied from each request', async () => {
    const rec = await client.publish({ qos: 2, topic: 'q2', payload: new Uint8Array(0), packetId: 4242 });
    expect(rec).toMatchObject({ type: 'PubRec', packetId: 4242 });
    expect(await client.pubRel({ packetId: 4242 })).toMatchObject({ type: 'PubComp', packetId: 4242 });
    const sub = await client.subscribe({
      packetId: 9,
      subscriptions: [
        { topic: 'a', qos: 1 },
        { topic: 'b', qos: 0 },
      ],
    });
    expect(sub).toMatchObject({ type: 'SubAck', packetId: 9, granted: ['qos1', 'qos1'] });
  });
});
