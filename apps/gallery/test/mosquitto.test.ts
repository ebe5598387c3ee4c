/**
 * specs/mqtt.protocol.yaml against the real mosquitto (Debian's 2.0): the
 * varint remaining length, the 4-bit packet type and flags, CONNECT with
 * will and credentials, PUBLISH at QoS 0, 1 and 2 (PUBACK; PUBREC, PUBREL,
 * PUBCOMP), SUBSCRIBE and UNSUBSCRIBE with many topics, PINGREQ.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type MqttClient, type Publish } from '@sockspec/protocol-mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RealServer, startRealServer } from '../src/index.js';

let server: RealServer;
let dir: string;
const clients: MqttClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sockspec-mosquitto-'));
  const config = join(dir, 'mosquitto.conf');
  server = await startRealServer({
    command: 'mosquitto',
    args: ['-c', config],
    debianPackage: 'mosquitto',
    // mosquitto 2.0 listens only where its config says, and refuses anonymous clients unless told otherwise.
    prepare: (port) => writeFile(config, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`),
  });
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await server?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function connected(clientId: string): Promise<MqttClient> {
  const client = await createClient({ host: server.host, port: server.port });
  clients.push(client);
  const ack = await client.connect({ clientId });
  expect(ack).toMatchObject({ type: 'ConnAck', returnCode: 'accepted', sessionPresent: 0 });
  return client;
}

describe('MQTT 3.1.1 against mosquitto', () => {
  it('connects and answers PINGREQ', async () => {
    const client = await connected('sockspec-ping');
    expect((await client.pingReq()).type).toBe('PingResp');
  });

  it('routes a QoS 0 PUBLISH of 300 bytes (a two-byte remaining length) to a subscriber', async () => {
    const subscriber = await connected('sockspec-sub');
    // SUBSCRIBE's fixed-header flags 0b0010 (MQTT 3.1.1 section 3.8.1) are in the spec: header: { qos: 1 }.
    const ack = await subscriber.subscribe({
      packetId: 7,
      subscriptions: [{ topic: 'sockspec/test', qos: 0 }],
    });
    expect(ack).toMatchObject({ packetId: 7, granted: ['qos0'] });
    const received = new Promise<Publish>((resolve) => subscriber.on('Publish', resolve));
    const publisher = await connected('sockspec-pub');
    const payload = new Uint8Array(300).map((_, index) => index % 256);
    publisher.send({ type: 'Publish', topic: 'sockspec/test', payload });
    const message = await received;
    expect(message.topic).toBe('sockspec/test');
    expect(Buffer.from(message.payload).equals(Buffer.from(payload))).toBe(true);
    publisher.send({ type: 'Disconnect' });
  });

  it('acknowledges a QoS 1 PUBLISH (its packet id present because qos is 1), and keeps a retained one for a later subscriber', async () => {
    const publisher = await connected('sockspec-qos1');
    // publish() assigns the packet id and resolves with the PUBACK that carries it.
    const acked = await publisher.publish({
      qos: 1,
      retain: true,
      topic: 'sockspec/retained',
      payload: new TextEncoder().encode('kept'),
    });
    expect(acked).toMatchObject({ type: 'PubAck', packetId: expect.any(Number) });
    // At QoS 0 nothing answers: publish() sends and resolves with undefined.
    expect(await publisher.publish({ topic: 'sockspec/qos0', payload: new Uint8Array(0) })).toBeUndefined();
    // Pipelined QoS 1 publishes each get their own PUBACK, found by packet id.
    const acks = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        publisher.publish({ qos: 1, topic: `sockspec/pipelined/${index}`, payload: new Uint8Array([index]) }),
      ),
    );
    expect(new Set(acks.map((ack) => ack?.packetId)).size).toBe(50);
    const late = await connected('sockspec-late');
    const retained = new Promise<Publish>((resolve) => late.on('Publish', resolve));
    // Granted QoS 0: the broker delivers the retained message at most once, without a packet id.
    expect(
      await late.subscribe({ packetId: 1, subscriptions: [{ topic: 'sockspec/retained', qos: 0 }] }),
    ).toMatchObject({ granted: ['qos0'] });
    const message = await retained;
    expect(message).toMatchObject({ topic: 'sockspec/retained', retain: true, qos: 0, packetId: undefined });
    expect(new TextDecoder().decode(message.payload)).toBe('kept');
  });

  it('SUBSCRIBE to several topics at once answers one granted QoS each, and UNSUBSCRIBE stops delivery', async () => {
    const client = await connected('sockspec-many');
    const ack = await client.subscribe({
      subscriptions: [
        { topic: 'sockspec/many/a', qos: 0 },
        { topic: 'sockspec/many/b', qos: 1 },
        { topic: 'sockspec/many/c', qos: 2 },
      ],
    });
    expect(ack).toMatchObject({ type: 'SubAck', granted: ['qos0', 'qos1', 'qos2'] });
    const unsubscribed = await client.unsubscribe({ topics: ['sockspec/many/a', 'sockspec/many/b'] });
    expect(unsubscribed.type).toBe('UnsubAck');
    const received: string[] = [];
    client.on('Publish', (message) => received.push(message.topic));
    const publisher = await connected('sockspec-many-pub');
    for (const topic of ['sockspec/many/a', 'sockspec/many/b', 'sockspec/many/c']) {
      publisher.send({ type: 'Publish', topic, payload: new Uint8Array([1]) });
    }
    // PINGREQ is answered after the broker has handled everything sent before it on this connection.
    await publisher.pingReq();
    await client.pingReq();
    await until(() => received.length > 0);
    expect(received).toEqual(['sockspec/many/c']);
  });

  it('runs the QoS 2 handshake both ways: PUBREC, PUBREL, PUBCOMP', async () => {
    const subscriber = await connected('sockspec-qos2-sub');
    await subscriber.subscribe({ packetId: 1, subscriptions: [{ topic: 'sockspec/qos2', qos: 2 }] });
    const delivered = new Promise<Publish>((resolve) => subscriber.on('Publish', resolve));
    const publisher = await connected('sockspec-qos2-pub');
    const received = await publisher.publish({
      qos: 2,
      topic: 'sockspec/qos2',
      payload: new TextEncoder().encode('exactly once'),
    });
    expect(received?.type).toBe('PubRec');
    const packetId = received!.packetId;
    // PUBREL repeats the PUBLISH's packet id, so it is given here rather than assigned.
    expect(await publisher.pubRel({ packetId })).toMatchObject({ type: 'PubComp', packetId });
    // The broker delivers at QoS 2 too, and waits for the subscriber's side of the handshake.
    const message = await delivered;
    expect(message).toMatchObject({ topic: 'sockspec/qos2', qos: 2 });
    expect(new TextDecoder().decode(message.payload)).toBe('exactly once');
    const released = new Promise<{ packetId: number }>((resolve) => subscriber.on('PubRel', resolve));
    subscriber.send({ type: 'PubRec', packetId: message.packetId! });
    expect((await released).packetId).toBe(message.packetId);
    subscriber.send({ type: 'PubComp', packetId: message.packetId! });
    await subscriber.pingReq();
  });

  it("publishes a client's will when it goes away without DISCONNECT; username and password ride along (the encoder sets their flag bits)", async () => {
    const watcher = await connected('sockspec-watcher');
    await watcher.subscribe({ packetId: 2, subscriptions: [{ topic: 'sockspec/will', qos: 0 }] });
    const will = new Promise<Publish>((resolve) => watcher.on('Publish', resolve));
    const mortal = await createClient({ host: server.host, port: server.port });
    const ack = await mortal.connect({
      clientId: 'sockspec-mortal',
      willTopic: 'sockspec/will',
      willMessage: new TextEncoder().encode('gone'),
      username: 'sockspec',
      password: new TextEncoder().encode('secret'),
    });
    expect(ack).toMatchObject({ type: 'ConnAck', returnCode: 'accepted' });
    // Closing the socket without DISCONNECT is what makes the broker publish the will.
    await mortal.close();
    const message = await will;
    expect(message.topic).toBe('sockspec/will');
    expect(new TextDecoder().decode(message.payload)).toBe('gone');
  });
});

/** Waits (at most 2 s) until `done` holds. */
async function until(done: () => boolean): Promise<void> {
  for (let waited = 0; !done() && waited < 2000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
}
