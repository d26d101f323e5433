// Typed inventory: what config/ produces and every layer below reads.

/** Where a value came from, for `fleet vars` and for error messages. */
export interface Source {
  file: string;
  line?: number;
  column?: number;
}

export type Vars = Record<string, unknown>;

/** How to reach one host. Filled from fleet keys or the ansible_* connection variables. */
export interface Connection {
  address: string;
  port: number;
  user: string;
  /** Run every task through sudo unless a task says otherwise. */
  become: boolean;
  /** Name of an env var, or a file path, holding the sudo password; never the password itself. */
  becomePasswordEnv?: string;
  becomePasswordFile?: string;
  privateKeyFile?: string;
  /** "user@host:port" of a bastion, as ssh -J. */
  proxyJump?: string;
  /** A command whose stdin/stdout carry the SSH connection, as ssh's ProxyCommand; its
   * tokens (%h %p %r %n %d %u %l %%) are expanded when connecting. */
  proxyCommand?: string;
  /** "host:port" of a SOCKS5 proxy (e.g. Tor at 127.0.0.1:9050). */
  socksProxy?: string;
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
}

export interface Host {
  name: string;
  connection: Connection;
  /** Groups the host belongs to, directly or through children, always including "all". */
  groups: string[];
  /** Fully merged variables, lowest to highest precedence applied. */
  vars: Vars;
  /** Per variable: the winning source and the values it shadowed (highest first). */
  varSources: Record<string, VarProvenance>;
  /** Where each connection setting came from: an inventory variable, or ~/.ssh/config. */
  connectionSources?: ConnectionSources;
}

export interface ConnectionSource {
  source: Source;
  /** The variable (ansible_host...) or ssh_config keyword (HostName...) that set it. */
  setting: string;
}

export type ConnectionSources = Partial<Record<'address' | 'port' | 'user' | 'privateKeyFile' | 'proxyJump' | 'proxyCommand', ConnectionSource>>;

export interface VarProvenance {
  source: Source;
  shadowed: { value: unknown; source: Source }[];
}

export interface Group {
  name: string;
  hosts: string[]; // direct members
  children: string[];
  vars: Vars;
}

export interface Inventory {
  /** Files or directory the inventory was read from. */
  sources: string[];
  hosts: Map<string, Host>;
  groups: Map<string, Group>;
  /** inventory/known_hosts next to the inventory. */
  knownHostsFile: string;
  warnings: string[];
  /** Each inventory file read, with the format it was read in (`fleet inventory -v`). */
  files?: InventoryFile[];
}

export type InventoryFormat = 'yaml' | 'ini';

export interface InventoryFile {
  file: string;
  format: InventoryFormat;
  /** Why a file was read in the format its name does not suggest (INI in hosts.yml). */
  note?: string;
}
