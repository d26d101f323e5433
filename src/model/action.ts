// Actions: task types that run on the controller, like Ansible's action plugins (proving a
// fresh SSH connection, writing a value back into the inventory, carrying a docker image to a
// host, reading a swarm join token from a manager, backing up an onion key). An action gets
// the ports it may use from the engine and never imports the engine.
import type { TObject } from '@sinclair/typebox';
import type { TaskStatus } from './events.js';
import type { Connection, Vars } from './inventory.js';
import type { Params } from './params.js';
import type { ExecResult } from './transport.js';

/** Who the action runs for, and in which mode. Read-only. */
export interface ActionContext {
  /** The host the task runs for (inventory name). */
  host: string;
  /** How the run reaches it now (a port or user change earlier in the run is already in). */
  connection: Readonly<Connection>;
  /** Its inventory variables (fleet and Ansible spellings as written). */
  vars: Readonly<Vars>;
  /** Check mode: change nothing, say what would change. */
  check: boolean;
  /** Check mode: the latest earlier task of this host that would change, whose new state the
   * action cannot see yet (it then says "will change (after: X)"). */
  pendingAfter?: string;
  /** What the action's own probe (`Action.probe`) printed on this host: read with the host's
   * other probes, so an action with nothing to do costs no round trip of its own. */
  probed?: ExecResult;
}

/** A connection the action opened itself; it must close it. */
export interface ActionSession {
  /** One script on the host (on stdin, never on the command line): one round trip. */
  run(script: string, opts?: { become?: boolean }): Promise<ExecResult>;
  close(): void;
}

/** Settings that differ from the host's current connection, for a fresh one. */
export interface ConnectionOverrides {
  port?: number;
  user?: string;
  connectTimeoutMs?: number;
  /** Another address of the same sshd (its onion address): the server must show a host key
   * already pinned for the host, which is then pinned for this address too. */
  address?: string;
  /** Through this SOCKS5 proxy ("host:port"; the controller's Tor), instead of directly. */
  socksProxy?: string;
}

export interface ScriptOptions {
  /** Through sudo (default: the host's own setting). */
  become?: boolean;
  /** The action's last script on its own host: nothing it does after this changes what the
   * host's later tasks read there. The engine then sends their probes in the same round trip,
   * after the script, and keeps their answers (an action's change otherwise voids every answer
   * read before it, and the next task's probe costs a round trip of its own). Ignored for
   * another host's script. */
  last?: boolean;
  /** With `last`: the script exits 0 only when the action succeeds (nothing the action reads
   * after it can fail it). When the task ends its play, the handlers already notified then
   * ride after it in the same round trip, run on the host only if it exited 0. */
  conclusive?: boolean;
}

/** The file of ActionPorts.uploadAndRun did not arrive whole: its script did not run. */
export class UploadError extends Error {
  override name = 'UploadError';
}

export interface TransferOptions {
  /** Another host of the run instead of this one. */
  host?: string;
  /** Through sudo (default: the host's own setting). */
  become?: boolean;
}

export interface ActionPorts {
  /** A fresh SSH connection to this host with other settings (a new port, another user,
   * its onion address through Tor), host key pinned as always; proves that way in works. */
  connect(overrides: ConnectionOverrides): Promise<ActionSession>;
  /** Run a script on a host of the run over the run's connection to it (one round trip
   * there): e.g. read a swarm join token from a manager just when a worker needs it. */
  runOn(host: string, script: string, opts?: ScriptOptions): Promise<ExecResult>;
  /** Stream a controller file to a host (this one unless `opts.host`), in bounded chunks
   * (never whole in memory), into a temporary file renamed to `dest` when complete. */
  upload(localFile: string, dest: string, opts?: TransferOptions & { mode?: string }): Promise<void>;
  /** upload, then `script` on the same host: one round trip where the transport streams both
   * on one channel (the script is read after the file's bytes), else two. Rejects with an
   * UploadError when the file did not arrive whole (the script did not run); any other
   * rejection is runOn's (the script may have run). */
  uploadAndRun(localFile: string, dest: string, script: string, opts?: TransferOptions & ScriptOptions & { mode?: string }): Promise<ExecResult>;
  /** A host's file, read to the controller (this host unless `opts.host`). */
  download(path: string, opts?: TransferOptions): Promise<Buffer>;
  /** The inventory file that declares this host: where setInventoryValue writes. */
  inventoryFile(): string;
  /** Write key = value for this host into its inventory file (comments and layout kept). The
   * rest of the run sees it at once; a connection setting (port, user, become) applies to
   * later fresh connections. */
  setInventoryValue(key: string, value: unknown): void;
  /** A value that must never be printed (a key the action read, a token). */
  secret(value: string): void;
  /** Bytes encrypted with age (ASCII-armored) for the recipients of the project's secrets
   * file, the same people who can read its secrets: for key material the controller keeps
   * (an onion service key backup). */
  encryptForRecipients(data: Uint8Array | string): string;
  /** The bytes of such an armored file, decrypted with the controller's age identity; they
   * are masked in all output from then on. `origin` (a file name) is named in errors. */
  decryptWithIdentity(armored: string, origin: string): Uint8Array;
  /** The host keys fleet pinned for a host of the inventory in its known_hosts ("type
   * base64" each), for its address and port as fleet reaches it: what another machine may
   * trust for that host without a first use. */
  pinnedHostKeys(host: string): Promise<string[]>;
  /** Members of an inventory group, in inventory order ([] for an unknown group). */
  groupHosts(group: string): string[];
  /** Another inventory host's variables as the inventory gives them (group and host vars; not
   * rendered), or undefined for a host not in the inventory. */
  hostVars(host: string): Readonly<Vars> | undefined;
  /** The address fleet reaches a host on. */
  address(host: string): string;
  /** The hosts of the play being run (after --limit). */
  playHosts(): string[];
  /** Resolves once `host` is past this task in the current batch (or is not in it, or stopped). */
  waitForHost(host: string): Promise<void>;
  /** Download a URL on the controller into a temporary file (get_url when the host cannot
   * reach it); the caller uploads it and removes it. Only the transport touches the network. */
  fetchUrl(req: UrlRequest): Promise<FetchedUrl>;
  /** A run-level warning, shown once however many hosts report it. */
  warn(msg: string): void;
  /** Run-wide memo: a read that several hosts' tasks of one run make (a manager's view of the
   * swarm) is made once. A failed read is not kept. Never for secrets. */
  memo<T>(key: string, read: () => Promise<T>): Promise<T>;
  /** Drop a memo entry (what it read has changed). */
  forget(key: string): void;
}

/** An HTTP(S) GET made on the controller. */
export interface UrlRequest {
  url: string;
  headers?: Record<string, string>;
  username?: string;
  password?: string;
  validateCerts?: boolean;
  /** Socket inactivity timeout (Ansible's get_url timeout), milliseconds. */
  timeoutMs?: number;
}

export interface FetchedUrl {
  /** The controller's temporary file holding the body. */
  file: string;
  status: number;
  size: number;
  sha256: string;
  sha1: string;
  /** Removes the file (and its directory). */
  remove(): Promise<void>;
}

/** How the action ended; the engine applies the task's own rules (changed_when, failed_when,
 * ignore_errors, register) on top. */
export interface ActionResult {
  status: Exclude<TaskStatus, 'unreachable' | 'unknown'>;
  msg?: string;
  diff?: string;
  /** Check mode: the pending task this result waits for. */
  after?: string;
  failure?: { msg: string; cmd?: string; rc?: number; stderr?: string };
  /** What `register` keeps besides changed/failed. */
  registered?: Vars;
  /** Values to show in the recap (an onion address): path inside the registered value ->
   * value; the recap names them by the task's register name and this path. */
  outputs?: Record<string, string>;
  /** Variables for the rest of this host's run (set_fact, include_vars). */
  facts?: Vars;
}

export interface Action<S extends TObject = TObject> {
  name: string;
  /** The parameters (TypeBox; ajv checks the rendered params and fills in defaults). */
  schema: S;
  /** Params whose values are secret: redacted in output. */
  secretParams?: readonly string[];
  /** What the task registers beyond changed/failed, as placeholders of the right shape for
   * the checks made before any host is contacted (later tasks read e.g. addresses.web). */
  registers?(params: Params<S>): Vars;
  /** What the action reads on its own host (POSIX sh, no side effects): sent with the host's
   * other probes in its batched round trip; `run` finds the output in `ctx.probed`. */
  probe?(params: Params<S>): string;
  run(params: Params<S>, ctx: ActionContext, ports: ActionPorts): Promise<ActionResult>;
  /** It writes only on the controller (the inventory file), never on a host: what the host's
   * probes read before it is still true after its change (no probe round trip of its own). */
  controllerOnly?: true;
  /** The variables it sets, from its params alone (set_fact, include_vars): the engine uses
   * them to render later tasks' probes before it runs (a guess: probes are matched by text). */
  factsOf?(params: Params<S>): Vars;
}

/** Any action, as the registry and the engine hold them. */
export type AnyAction = Action<TObject>;
