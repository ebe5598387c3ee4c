// Measures the two ways to turn a burst of small write() calls into one
// writev per tick, so the choice in src/channel.ts rests on numbers:
//   cork    — socket.cork() on the first write of a tick, socket.write() per
//             chunk, socket.uncork() in process.nextTick (Node batches the
//             corked chunks into one _writev).
//   collect — push chunks onto our own array, and in process.nextTick hand
//             them to the socket inside one cork/uncork pair.
//   concat  — like collect, but copy into one Buffer and write that.
//   hybrid  — collect; concat when the tick's bytes are small, otherwise
//             cork/uncork so large chunks go out by writev without a copy.
// Usage: node bench/write-batching.mjs [chunksPerTick] [chunkBytes] [ticks]
import net from 'node:net';

const chunksPerTick = Number(process.argv[2] ?? 64);
const chunkBytes = Number(process.argv[3] ?? 40);
const ticks = Number(process.argv[4] ?? 4000);
const chunk = Buffer.alloc(chunkBytes, 7);
const total = chunksPerTick * chunkBytes * ticks;

function strategies(socket) {
  let corked = false;
  let queue = [];
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  const flushCollected = () => {
    const chunks = queue;
    queue = [];
    socket.cork();
    for (const c of chunks) socket.write(c);
    socket.uncork();
  };
  const flushConcat = () => {
    const chunks = queue;
    queue = [];
    socket.write(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  };
  let queuedBytes = 0;
  const flushHybrid = () => {
    const chunks = queue;
    const bytes = queuedBytes;
    queue = [];
    queuedBytes = 0;
    if (chunks.length === 1) socket.write(chunks[0]);
    else if (bytes <= 16384) socket.write(Buffer.concat(chunks, bytes));
    else {
      socket.cork();
      for (const c of chunks) socket.write(c);
      socket.uncork();
    }
  };
  return {
    hybrid(c) {
      queuedBytes += c.length;
      if (queue.push(c) === 1) process.nextTick(flushHybrid);
    },
    cork(c) {
      if (!corked) {
        corked = true;
        socket.cork();
        process.nextTick(uncork);
      }
      socket.write(c);
    },
    collect(c) {
      if (queue.push(c) === 1) process.nextTick(flushCollected);
    },
    concat(c) {
      if (queue.push(c) === 1) process.nextTick(flushConcat);
    },
  };
}

async function run(name) {
  const server = net.createServer();
  await new Promise((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const { port } = server.address();
  const done = new Promise((resolve) => {
    server.once('connection', (peer) => {
      let received = 0;
      peer.on('data', (d) => {
        received += d.length;
        if (received >= total) resolve();
      });
    });
  });
  const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
  await new Promise((resolve) => socket.once('connect', resolve));
  const write = strategies(socket)[name];
  const start = process.hrtime.bigint();
  let tick = 0;
  await new Promise((resolve) => {
    const burst = () => {
      for (let i = 0; i < chunksPerTick; i++) write(chunk);
      tick++;
      if (tick < ticks) {
        if (socket.writableLength > 1 << 20) socket.once('drain', () => setImmediate(burst));
        else setImmediate(burst);
      } else resolve();
    };
    burst();
  });
  await done;
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  socket.destroy();
  server.close();
  return ms;
}

const names = ['cork', 'collect', 'concat', 'hybrid'];
const results = Object.fromEntries(names.map((n) => [n, []]));
for (let round = 0; round < 5; round++) {
  for (const name of names) results[name].push(await run(name));
}
for (const name of names) {
  const sorted = results[name].sort((a, b) => a - b);
  console.log(
    `${name.padEnd(8)} median ${sorted[2].toFixed(1)} ms  (${chunksPerTick}×${chunkBytes} B × ${ticks} ticks)`,
  );
}
