import { describe, expect, it } from 'vitest';
import { type ServerProtocol, typedConnections } from '../src/index.js';
import { connectPeer, startServer } from './helpers/harness.js';
import { encodeLine, lineFraming } from './helpers/line-protocol.js';

/**
 * typedConnections over a real server: one view per engine connection,
 * its session, groups and broadcasts, as generated servers use them.
 */
interface Session {
  readonly nick?: string;
}
const views = typedConnections<string, Session>((text) => encodeLine(text));
const decoder = new TextDecoder();

const roomProtocol: ServerProtocol<string> = {
  name: 'rooms',
  framing: lineFraming,
  idleTimeoutMs: null,
  decode: (frame) => decoder.decode(frame),
  dispatch(line, connection) {
    const view = views.of(connection);
    const [verb, arg = ''] = line.split(' ');
    if (verb === 'nick') {
      views.sessionOf(connection).nick = arg;
      view.send(`hello ${arg}`);
    } else if (verb === 'join') {
      view.send(view.join(arg) ? `joined ${arg}` : `already in ${arg}`);
    } else if (verb === 'say') {
      // The sender is a member too; `except` leaves it out, and the count says how many got it.
      const count = view.broadcast(`${view.session.nick}: ${arg}`, view.members('lobby'), view);
      view.send(`sent to ${count}`);
    } else if (verb === 'who') {
      view.send(
        view
          .members(arg)
          .map((member) => member.session.nick)
          .sort()
          .join(','),
      );
    } else if (verb === 'same') {
      view.send(String(views.of(connection) === view && view.peers().includes(view)));
    }
  },
};

describe('typed connections', () => {
  it('keep one view and session per connection; members, broadcasts and peers see the same views', async () => {
    const { server } = await startServer(roomProtocol);
    const [ada, bob, cyd] = await Promise.all([connectPeer(server), connectPeer(server), connectPeer(server)]);
    expect(await ada!.request('nick ada')).toBe('hello ada');
    expect(await bob!.request('nick bob')).toBe('hello bob');
    expect(await cyd!.request('nick cyd')).toBe('hello cyd');
    expect(await ada!.request('join lobby')).toBe('joined lobby');
    expect(await ada!.request('join lobby')).toBe('already in lobby');
    expect(await bob!.request('join lobby')).toBe('joined lobby');
    expect(await cyd!.request('who lobby')).toBe('ada,bob');
    expect(await ada!.request('say hi')).toBe('sent to 1');
    expect(await bob!.nextLine()).toBe('ada: hi');
    expect(await cyd!.request('same')).toBe('true');
    expect(cyd!.bufferedLines).toBe(0);
  });
});
