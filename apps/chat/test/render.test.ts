import { stripVTControlCharacters } from 'node:util';
import { visible } from '@sockspec/app-kit';
import { describe, expect, it } from 'vitest';
import {
  type ChatEvent,
  escapeField,
  type RenderOptions,
  renderEvent,
  renderOptionsFor,
  unescapeField,
} from '../src/render.js';

const at = new Date(2026, 0, 2, 9, 5, 30);
const plain: RenderOptions = { terminal: false, colour: false };
const terminal: RenderOptions = { terminal: true, colour: false, self: 'me', currentRoom: 'general', now: () => at };
const coloured: RenderOptions = { ...terminal, colour: true };

describe('plain lines (not a terminal)', () => {
  it.each<[ChatEvent, string[]]>([
    [
      { type: 'Said', room: 'general', nick: 'alice', text: 'hi all', at },
      [`said\t#general\talice\thi all\t${at.toISOString()}`],
    ],
    [{ type: 'Joined', room: 'general', nick: 'bob' }, ['joined\t#general\tbob']],
    [{ type: 'Left', room: 'random', nick: 'bob' }, ['left\t#random\tbob']],
    [{ type: 'Whispered', from: 'carol', text: 'psst', at }, [`whispered\tcarol\tpsst\t${at.toISOString()}`]],
    [{ type: 'whisper-sent', to: 'carol', text: 'hey' }, ['whisper-sent\tcarol\they']],
    [{ type: 'switched', room: 'random' }, ['switched\t#random']],
    [{ type: 'error', reason: 'nickTaken', text: "nick 'bob' is taken" }, ["error\tnickTaken\tnick 'bob' is taken"]],
    [{ type: 'info', text: 'a\nb' }, ['info\ta', 'info\tb']],
  ])('%j', (event, lines) => {
    expect(renderEvent(event, plain)).toEqual(lines);
  });

  it('shows a list reply as a count line, then one line per entry', () => {
    const rooms = renderEvent(
      {
        type: 'Rooms',
        rooms: [
          { name: 'general', members: 3 },
          { name: 'random', members: 1 },
        ],
      },
      plain,
    );
    expect(rooms).toEqual(['rooms\t2', 'room\t#general\t3', 'room\t#random\t1']);
    expect(renderEvent({ type: 'Rooms', rooms: [] }, plain)).toEqual(['rooms\t0']);
    expect(renderEvent({ type: 'Members', room: 'general', nicks: ['alice', 'bob'] }, plain)).toEqual([
      'members\t#general\t2',
      'member\t#general\talice',
      'member\t#general\tbob',
    ]);
  });

  it('keeps every record on one line and every field whole, whatever the text holds', () => {
    const text = 'tab\there\nnew line\r\\n literal';
    const [line, ...more] = renderEvent({ type: 'Said', room: 'r', nick: 'n', text, at }, plain);
    expect(more).toEqual([]);
    const columns = line!.split('\t');
    expect(columns).toHaveLength(5);
    expect(unescapeField(columns[3]!)).toBe(text);
    expect(line).not.toContain('\n');
  });

  it('never colours, even when asked to', () => {
    const [line] = renderEvent({ type: 'error', reason: 'x', text: 'y' }, { terminal: false, colour: true });
    expect(line).toBe('error\tx\ty');
  });
});

describe('terminal lines', () => {
  it('shows [HH:MM] <nick> text, naming the room only when it is not the current one', () => {
    expect(renderEvent({ type: 'Said', room: 'general', nick: 'alice', text: 'hi', at }, terminal)).toEqual([
      '[09:05] <alice> hi',
    ]);
    expect(renderEvent({ type: 'Said', room: 'random', nick: 'alice', text: 'hi', at }, terminal)).toEqual([
      '[09:05] #random <alice> hi',
    ]);
    expect(renderEvent({ type: 'Joined', room: 'general', nick: 'bob' }, terminal)).toEqual([
      '[09:05] --> bob joined #general',
    ]);
    expect(renderEvent({ type: 'Left', room: 'general', nick: 'bob' }, terminal)).toEqual([
      '[09:05] <-- bob left #general',
    ]);
    expect(renderEvent({ type: 'Whispered', from: 'carol', text: 'psst', at }, terminal)).toEqual([
      '[09:05] *carol* psst',
    ]);
    expect(renderEvent({ type: 'whisper-sent', to: 'carol', text: 'hey' }, terminal)).toEqual([
      '[09:05] -> *carol* hey',
    ]);
    expect(renderEvent({ type: 'Rooms', rooms: [{ name: 'general', members: 2 }] }, terminal)).toEqual([
      'rooms: #general (2)',
    ]);
    expect(renderEvent({ type: 'Rooms', rooms: [] }, terminal)).toEqual(['no rooms yet: /join ROOM makes one']);
    expect(renderEvent({ type: 'Members', room: 'general', nicks: ['me', 'bob'] }, terminal)).toEqual([
      '#general (2): me, bob',
    ]);
    expect(renderEvent({ type: 'error', reason: 'notJoined', text: 'join first' }, terminal)).toEqual([
      'error: join first',
    ]);
  });

  it('colours with ANSI sequences when colour is on, and the text underneath is the same', () => {
    const events: ChatEvent[] = [
      { type: 'Said', room: 'general', nick: 'me', text: 'hi', at },
      { type: 'Joined', room: 'general', nick: 'bob' },
      { type: 'error', reason: 'x', text: 'bad' },
      { type: 'Members', room: 'general', nicks: ['me', 'bob'] },
    ];
    for (const event of events) {
      const [line] = renderEvent(event, coloured);
      expect(line).toContain('\u001b[');
      expect([stripVTControlCharacters(line!)]).toEqual(renderEvent(event, terminal));
    }
    // Our own nick is bold (SGR 1) as well as coloured.
    expect(renderEvent(events[0]!, coloured)[0]).toContain('\u001b[1m');
  });

  it('makes control characters in peer text visible, so no peer can drive the terminal', () => {
    const hostile = 'hi\u001b[2J\u001b]0;pwned\u0007\nfake <admin> line\u009b\u202eevil';
    const [line, ...more] = renderEvent({ type: 'Said', room: 'general', nick: 'eve', text: hostile, at }, terminal);
    expect(more).toEqual([]);
    expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/u);
    expect(line).toBe('[09:05] <eve> hi\u241b[2J\u241b]0;pwned\u2407\u240afake <admin> line\\u009b\\u202eevil');
    expect(visible('plain text, \u00e9t\u00e9 \u{1f600}')).toBe('plain text, \u00e9t\u00e9 \u{1f600}');
  });
});

describe('renderOptionsFor', () => {
  it('is a terminal with colour only on a TTY without NO_COLOR or TERM=dumb', () => {
    expect(renderOptionsFor({ isTTY: true }, {})).toEqual({ terminal: true, colour: true });
    expect(renderOptionsFor({ isTTY: true }, { NO_COLOR: '1' })).toEqual({ terminal: true, colour: false });
    expect(renderOptionsFor({ isTTY: true }, { TERM: 'dumb' })).toEqual({ terminal: true, colour: false });
    expect(renderOptionsFor({}, {})).toEqual({ terminal: false, colour: false });
  });
});

describe('escapeField', () => {
  it('round-trips through unescapeField', () => {
    for (const text of ['', 'a\\b', '\\t is not a tab', '\t\r\n\\', 'plain']) {
      expect(unescapeField(escapeField(text))).toBe(text);
      expect(escapeField(text)).not.toMatch(/[\t\r\n]/u);
    }
  });
});
