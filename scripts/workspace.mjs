#!/usr/bin/env node
// The two Quick start jobs, runnable on a machine that has only Node and npm:
//   node scripts/workspace.mjs demo   install, generate from specs, build, run the demo
//   node scripts/workspace.mjs test   install, check generated code, lint, build, typecheck, test
// Plain Node with no dependencies, because it runs before anything is installed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const PNPM_VERSION = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];
const REPORT_NAME = '.test-report.json';

function fail(message) {
  process.stderr.write(`workspace: ${message}\n`);
  process.exit(1);
}

/**
 * Native addons (unix-dgram) build against the headers npm is set to use
 * (`nodedir` in ~/.npmrc, so node-gyp needs no download). pnpm 12 does not
 * read that setting from npmrc, so hand it over in the environment node-gyp reads.
 */
function useNpmNodedir() {
  if (process.env.npm_config_nodedir) return;
  const found = spawnSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' });
  const nodedir = found.status === 0 ? found.stdout.trim() : '';
  if (nodedir !== '' && nodedir !== 'undefined' && nodedir !== 'null') process.env.npm_config_nodedir = nodedir;
}

/**
 * The pnpm to run: the one on PATH when it is the pinned major, else the pinned
 * version installed under .tools/ and put first on PATH, because turbo spawns
 * `pnpm` by name for every package script.
 */
function pnpmCommand() {
  useNpmNodedir();
  const found = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim().split('.')[0] === PNPM_VERSION.split('.')[0]) return ['pnpm'];
  const tools = join(root, '.tools');
  const bin = join(tools, 'node_modules', '.bin');
  if (!existsSync(join(bin, 'pnpm'))) run(['npm', 'install', '--prefix', tools, '--no-save', `pnpm@${PNPM_VERSION}`]);
  process.env.PATH = `${bin}${delimiter}${process.env.PATH ?? ''}`;
  return ['pnpm'];
}

function run(argv, options = {}) {
  process.stdout.write(`\n$ ${argv.join(' ')}\n`);
  const result = spawnSync(argv[0], argv.slice(1), { cwd: root, stdio: 'inherit', ...options });
  if (result.error) fail(`could not start ${argv[0]}: ${result.error.message}`);
  if (result.status !== 0) fail(`\`${argv.join(' ')}\` exited with ${result.status ?? result.signal}`);
}

function findReports(dir, found = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.git')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) findReports(path, found);
    else if (entry.name === REPORT_NAME) found.push(path);
  }
  return found;
}

function clearReports() {
  for (const path of findReports(root)) rmSync(path);
}

/** Sums the per-package vitest JSON reports into the one closing line CI reads. */
function summarizeReports() {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const path of findReports(root)) {
    const report = JSON.parse(readFileSync(path, 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += report.numPendingTests + (report.numTodoTests ?? 0);
  }
  return { passed, failed, skipped };
}

function test() {
  const pnpm = pnpmCommand();
  run([...pnpm, 'install', '--frozen-lockfile']);
  run([...pnpm, 'run', 'generate:check']);
  clearReports();
  const turbo = spawnSync(
    pnpm[0],
    [
      ...pnpm.slice(1),
      'exec',
      'turbo',
      'run',
      'lint',
      'build',
      'typecheck',
      'test',
      '--concurrency=2',
      '--continue',
      '--output-logs=new-only',
    ],
    { cwd: root, stdio: 'inherit', env: { ...process.env, SOCKSPEC_TEST_REPORT: REPORT_NAME } },
  );
  const { passed, failed, skipped } = summarizeReports();
  process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  if (turbo.status !== 0) fail('lint, build, typecheck or tests failed (see above)');
  if (passed === 0) fail('no test ran');
}

function waitForListening(child, name) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not print "listening <url>" within 10 s`)), 10_000);
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      const match = /^listening (\S+)$/m.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening`));
    });
  });
}

async function showExchange(app, lines) {
  const server = join(root, 'apps', app, 'dist', 'server.js');
  const client = join(root, 'apps', app, 'dist', 'client.js');
  if (!existsSync(server) || !existsSync(client)) fail(`apps/${app} is not built (expected ${server})`);
  const child = spawn(process.execPath, [server, '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await waitForListening(child, `${app} server`);
    process.stdout.write(`\n${app} server: listening ${url}\n`);
    const port = new URL(url).port;
    const exchange = spawnSync(process.execPath, [client, '--port', port], {
      input: `${lines.join('\n')}\n`,
      encoding: 'utf8',
    });
    for (const line of lines) process.stdout.write(`  client sends: ${line}\n`);
    for (const line of exchange.stdout.trimEnd().split('\n')) process.stdout.write(`  server says:  ${line}\n`);
    if (exchange.status !== 0) fail(`${app} client exited with ${exchange.status}: ${exchange.stderr}`);
  } finally {
    child.kill('SIGTERM');
  }
  await new Promise((resolve) => (child.exitCode === null ? child.on('exit', resolve) : resolve()));
}

async function demo() {
  const pnpm = pnpmCommand();
  run([...pnpm, 'install', '--frozen-lockfile']);
  run([...pnpm, 'run', 'generate']);
  run([...pnpm, 'exec', 'turbo', 'run', 'build', '--output-logs=errors-only']);
  await showExchange('echo', ['hello', 'sockspec turns specs into servers']);
  await showExchange('timestamp', ['what time is it?']);
  process.stdout.write(
    [
      '',
      "That was specs/raw-echo.protocol.yaml (the tutorials' echo: whatever a read brings comes back) and",
      'specs/timestamp.protocol.yaml, generated into packages/protocols/{raw-echo,timestamp} and served by',
      'apps/{echo,timestamp}. Try them yourself:',
      "  node apps/echo/dist/server.js --port 5678 --prefix 'echo '   # in one terminal",
      '  node apps/echo/dist/client.js --port 5678                     # in another: type lines, empty line quits',
      '',
    ].join('\n'),
  );
}

const job = process.argv[2];
if (job === 'test') test();
else if (job === 'demo') await demo();
else fail(`unknown job '${job ?? ''}': use 'demo' or 'test'`);
