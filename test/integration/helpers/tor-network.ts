// A private Tor network for the tests, built the way Tor's own test tool (chutney) builds
// one: TestingTorNetwork on every node, three directory authorities whose keys tor-gencert
// makes, relays that assume they are reachable and never exit, and a client whose SOCKS5
// port fleet and curl use. Lab hosts have no route to the real Tor network; with this one,
// onion services on them publish and answer for real.
//
// Every node is a tor process on this machine, started by the test and bound to the lab
// bridge's address (the hosts reach it, nothing outside does); no node knows any of Tor's
// public authorities. Each process exits with the test process (__OwningControllerProcess),
// and stop() ends them and removes their directory. A fresh network per run, except the
// authorities' keys (RSA, tens of seconds on a busy machine): cached per address under
// /var/cache/fleet-lab/tor-network/ and reused for a year (their certificates last 12 months).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const KEY_CACHE = '/var/cache/fleet-lab/tor-network';
const KEY_CACHE_DAYS = 300;

export interface TorNetworkOptions {
  /** The address every node listens on (the lab bridge's). */
  address: string;
  /** First of the ports the nodes take (ORPort, DirPort pairs). */
  basePort?: number;
  relays?: number;
  log?: (msg: string) => void;
}

export interface TorNetwork {
  /** DirAuthority values (without the keyword) every node of the network needs. */
  dirAuthorities: string[];
  /** The other torrc lines a tor outside this helper needs to join (a lab host's). */
  torrcLines: string[];
  /** "127.0.0.1:PORT": the client's SOCKS5 port. */
  socksProxy: string;
  /** The client's ClientOnionAuthDir (write NAME.auth_private files, then reloadClient()). */
  clientAuthDir: string;
  dir: string;
  /** Resolves with the seconds it took once the client has bootstrapped to 100%. */
  waitBootstrapped(timeoutMs?: number): Promise<number>;
  /** SIGHUP the client (re-reads ClientOnionAuthDir). */
  reloadClient(): void;
  stop(): Promise<void>;
}

/** Lines every node of a test network has (chutney's common options). */
const COMMON = [
  'TestingTorNetwork 1',
  'PathsNeededToBuildCircuits 0.67',
  'TestingDirAuthVoteExit *',
  'TestingDirAuthVoteHSDir *',
  'TestingDirAuthVoteGuard *',
  'TestingMinExitFlagThreshold 0',
  'V3AuthNIntervalsValid 2',
];

/** Voting as fast as tor allows (chutney's authority options). */
const AUTHORITY = [
  'AuthoritativeDirectory 1',
  'V3AuthoritativeDirectory 1',
  'ContactInfo fleet-test@invalid',
  'AssumeReachable 1',
  'AuthDirMaxServersPerAddr 0',
  'TestingV3AuthInitialVotingInterval 20',
  'TestingV3AuthInitialVoteDelay 4',
  'TestingV3AuthInitialDistDelay 4',
  'V3AuthVotingInterval 20',
  'V3AuthVoteDelay 4',
  'V3AuthDistDelay 4',
];

interface Node {
  nick: string;
  dir: string;
  orPort?: number;
  dirPort?: number;
  authority?: boolean;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

interface AuthorityIds {
  v3ident: string;
  fingerprint: string;
}

/** The authority's keys, from the cache when it has fresh ones for this address and port. */
async function authority(node: Node, address: string): Promise<AuthorityIds> {
  const cached = path.join(KEY_CACHE, `${address}-${node.dirPort}`, node.nick);
  const idsFile = path.join(cached, 'ids.json');
  try {
    const ids = JSON.parse(fs.readFileSync(idsFile, 'utf8')) as AuthorityIds & { created: number };
    if (Date.now() - ids.created < KEY_CACHE_DAYS * 86_400_000) {
      fs.cpSync(path.join(cached, 'keys'), path.join(node.dir, 'keys'), { recursive: true });
      return ids;
    }
  } catch {
    /* not cached yet */
  }
  const [{ v3ident }, fingerprint] = await Promise.all([authorityKeys(node, address), relayFingerprint(node)]);
  try {
    fs.rmSync(cached, { recursive: true, force: true });
    fs.mkdirSync(cached, { recursive: true, mode: 0o700 });
    fs.cpSync(path.join(node.dir, 'keys'), path.join(cached, 'keys'), { recursive: true });
    fs.writeFileSync(idsFile, JSON.stringify({ v3ident, fingerprint, created: Date.now() }));
  } catch {
    // No cache (not writable here): the next run makes keys again.
  }
  return { v3ident, fingerprint };
}

async function authorityKeys(node: Node, address: string): Promise<{ v3ident: string }> {
  const keys = path.join(node.dir, 'keys');
  fs.mkdirSync(keys, { recursive: true, mode: 0o700 });
  await new Promise<void>((resolve, reject) => {
    const p = spawn('tor-gencert', [
      '--create-identity-key', '--passphrase-fd', '0', '-m', '12', '-a', `${address}:${node.dirPort}`,
      '-i', path.join(keys, 'authority_identity_key'), '-s', path.join(keys, 'authority_signing_key'), '-c', path.join(keys, 'authority_certificate'),
    ], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tor-gencert for ${node.nick} failed (${code}): ${err}`))));
    p.stdin.end('\n');
  });
  const cert = fs.readFileSync(path.join(keys, 'authority_certificate'), 'utf8');
  const v3ident = /^fingerprint ([0-9A-F]{40})$/m.exec(cert)?.[1];
  if (!v3ident) throw new Error(`no fingerprint in ${node.nick}'s authority certificate`);
  return { v3ident };
}

/** The relay identity fingerprint (tor makes the key on the way). */
async function relayFingerprint(node: Node): Promise<string> {
  const { stdout } = await run('tor', [
    '--ignore-missing-torrc', '-f', path.join(node.dir, 'none'), '--defaults-torrc', path.join(node.dir, 'none'),
    '--orport', '1', '--datadirectory', node.dir, '--nickname', node.nick, '--list-fingerprint', '--quiet',
  ]);
  const fp = stdout.trim().split('\n').pop()?.split(/\s+/).slice(1).join('') ?? '';
  if (!/^[0-9A-F]{40}$/.test(fp)) throw new Error(`tor --list-fingerprint for ${node.nick} said: ${stdout}`);
  return fp;
}

export async function startTorNetwork(opts: TorNetworkOptions): Promise<TorNetwork> {
  const log = opts.log ?? (() => undefined);
  const base = opts.basePort ?? 5300;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-tornet-'));
  const procs: ChildProcess[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            const t = setTimeout(() => p.kill('SIGKILL'), 5000);
            p.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            p.kill('SIGINT');
          }),
      ),
    );
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const nodes: Node[] = [];
    for (let i = 0; i < 3; i++) nodes.push({ nick: `auth${i}`, dir: path.join(dir, `auth${i}`), orPort: base + 2 * i, dirPort: base + 2 * i + 1, authority: true });
    const relays = opts.relays ?? 3;
    for (let i = 0; i < relays; i++) nodes.push({ nick: `relay${i}`, dir: path.join(dir, `relay${i}`), orPort: base + 10 + 2 * i, dirPort: base + 11 + 2 * i });
    for (const n of nodes) fs.mkdirSync(n.dir, { recursive: true, mode: 0o700 });

    const t0 = Date.now();
    const dirAuthorities = await Promise.all(
      nodes
        .filter((n) => n.authority)
        .map(async (n) => {
          const { v3ident, fingerprint } = await authority(n, opts.address);
          return `${n.nick} orport=${n.orPort} no-v2 v3ident=${v3ident} ${opts.address}:${n.dirPort} ${fingerprint}`;
        }),
    );
    log(`tor network: authority keys in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const common = (n: Node): string[] => [
      ...COMMON,
      `DataDirectory ${n.dir}`,
      'RunAsDaemon 0',
      `Nickname ${n.nick}`,
      'ShutdownWaitLength 0',
      `Log notice file ${path.join(n.dir, 'notice.log')}`,
      'SafeLogging 0',
      'LogTimeGranularity 1',
      `__OwningControllerProcess ${process.pid}`,
      ...dirAuthorities.map((a) => `DirAuthority ${a}`),
    ];
    const relayLines = (n: Node): string[] => [
      'SocksPort 0',
      `ORPort ${opts.address}:${n.orPort}`,
      `DirPort ${opts.address}:${n.dirPort}`,
      `Address ${opts.address}`,
      'ExitRelay 0',
      'AssumeReachable 1',
    ];
    const socksPort = await freePort();
    const clientAuthDir = path.join(dir, 'client', 'onion-auth');
    const client: Node = { nick: 'client', dir: path.join(dir, 'client') };
    fs.mkdirSync(clientAuthDir, { recursive: true, mode: 0o700 });
    const torrcs: [Node, string[]][] = [
      ...nodes.map((n): [Node, string[]] => [n, [...common(n), ...relayLines(n), ...(n.authority ? AUTHORITY : [])]]),
      [client, [...common(client), `SocksPort 127.0.0.1:${socksPort}`, `ClientOnionAuthDir ${clientAuthDir}`]],
    ];
    for (const [n, lines] of torrcs) {
      const torrc = path.join(n.dir, 'torrc');
      fs.writeFileSync(torrc, lines.join('\n') + '\n');
      const p = spawn('tor', ['-f', torrc, '--defaults-torrc', path.join(n.dir, 'none'), '--ignore-missing-torrc'], { stdio: 'ignore' });
      p.on('error', (err) => log(`tor network: ${n.nick} could not start: ${err.message}`));
      procs.push(p);
    }
    const clientProc = procs[procs.length - 1];
    const clientLog = path.join(client.dir, 'notice.log');
    const started = Date.now();
    return {
      dirAuthorities,
      torrcLines: ['TestingTorNetwork 1', 'PathsNeededToBuildCircuits 0.67'],
      socksProxy: `127.0.0.1:${socksPort}`,
      clientAuthDir,
      dir,
      async waitBootstrapped(timeoutMs = 240_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          let text = '';
          try {
            text = fs.readFileSync(clientLog, 'utf8');
          } catch {
            /* not yet */
          }
          if (text.includes('Bootstrapped 100%')) return (Date.now() - started) / 1000;
          const dead = procs.find((p) => p.exitCode !== null);
          if (dead) throw new Error(`a tor of the test network exited (${dead.exitCode}); logs in ${dir}`);
          if (Date.now() > deadline) throw new Error(`the test Tor network's client did not bootstrap within ${timeoutMs / 1000} s; its log ends:\n${text.split('\n').slice(-15).join('\n')}`);
          await new Promise((r) => setTimeout(r, 500));
        }
      },
      reloadClient: () => void clientProc.kill('SIGHUP'),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
