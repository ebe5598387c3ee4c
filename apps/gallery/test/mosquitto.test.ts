/**
 * specs/mqtt.protocol.yaml against the real mosquitto (Debian's 2.0): the
 * varint remaining length, the 4-bit packet type and flags, CONNECT and
 * CONNACK, SUBSCRIBE, a QoS 0 PUBLISH routed back by the broker, PINGREQ.
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
    // SUBSCRIBE's fixed-header flags must be 0b0010, qos 1 in PUBLISH's terms (MQTT 3.1.1 section 3.8.1).
    const ack = await subscriber.subscribe({ qos: 1, packetId: 7, topic: 'sockspec/test' });
    expect(ack).toMatchObject({ packetId: 7, granted: 0 });
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
    const acked = new Promise<{ packetId: number }>((resolve) => publisher.on('PubAck', resolve));
    publisher.send({
      type: 'Publish',
      qos: 1,
      retain: true,
      topic: 'sockspec/retained',
      packetId: 42,
      payload: new TextEncoder().encode('kept'),
    });
    expect((await acked).packetId).toBe(42);
    const late = await connected('sockspec-late');
    const retained = new Promise<Publish>((resolve) => late.on('Publish', resolve));
    // Granted QoS 0: the broker delivers the retained message at most once, without a packet id.
    expect(await late.subscribe({ qos: 1, packetId: 1, topic: 'sockspec/retained' })).toMatchObject({ granted: 0 });
    const message = await retained;
    expect(message).toMatchObject({ topic: 'sockspec/retained', retain: true, qos: 0, packetId: undefined });
    expect(new TextDecoder().decode(message.payload)).toBe('kept');
  });
});
