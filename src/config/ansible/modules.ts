// Ansible module names (short, ansible.builtin.*, ansible.posix.*) mapped onto fleet's modules,
// with Ansible's parameter names. Each mapping lists the parameters it understands; anything
// else is refused at load by the caller (never silently ignored).
import { FILE_ATTRIBUTES_REFUSED, MORE_MODULES } from './modules-more.js';

type P = Record<string, unknown>;
/** A translation may pick another fleet module than the mapping's (systemd daemon_reload alone). */
export const MODULE = '$module';

export interface AnsibleModule {
  /** fleet's module that does the work. */
  fleet: string;
  /** Ansible parameter names accepted (aliases included). */
  params: readonly string[];
  /** Parameters Ansible documents that fleet refuses, with what to do instead. */
  refused?: Record<string, string>;
  /** Any identifier is a parameter (set_fact's variable names). */
  anyParams?: boolean;
  /** Free-form modules: a string value is the command; these keys may be written inside it. */
  freeFormKeys?: readonly string[];
  /** Ansible's parameters -> fleet's (the values may still be templates). */
  translate(p: P): P;
}

const ATTRS = ['owner', 'group', 'mode'];

/** Rename aliases to the name fleet uses (path/dest/name...). */
function alias(p: P, to: string, from: readonly string[]): P {
  const out = { ...p };
  for (const f of from) {
    if (f in out) {
      if (to in out && f !== to) throw new Error(`'${f}' and '${to}' are the same parameter: give one`);
      out[to] = out[f];
      if (f !== to) delete out[f];
    }
  }
  return out;
}

/** Ansible's states for packages; `installed`/`removed` are its old spellings. */
function pkgState(s: unknown): unknown {
  if (s === 'installed') return 'present';
  if (s === 'removed') return 'absent';
  return s;
}

function pkg(extra: readonly string[]): AnsibleModule {
  return {
    fleet: 'package',
    params: ['name', 'pkg', 'package', 'state', ...extra],
    refused: {
      deb: 'copy the .deb with copy and install it with command: dpkg -i',
      autoremove: 'run command: apt-get -y autoremove',
      default_release: 'set an apt pin (copy a file into /etc/apt/preferences.d)',
      force: 'fleet never forces apt',
      allow_downgrade: 'pin the version in name (name=version)',
      upgrade: 'fleet upgrades named packages only (state: latest)',
      only_upgrade: 'state: latest',
      dpkg_options: 'not supported',
      use: 'fleet uses apt on Debian and Ubuntu',
      enablerepo: 'a yum/dnf option: fleet runs apt (remove it or move the task to a non-Debian play)',
      disablerepo: 'a yum/dnf option: fleet runs apt',
    },
    translate(p) {
      const q = alias(p, 'name', ['pkg', 'package']);
      // apt: update_cache alone refreshes the lists when older than cache_valid_time (0: always),
      // and reports changed when it did (a guarded shell: ok when they are fresh).
      if (
        q.name === undefined &&
        q.update_cache !== undefined &&
        Object.keys(q).every((k) => ['update_cache', 'cache_valid_time'].includes(k))
      ) {
        const valid = Number(q.cache_valid_time ?? 0);
        if (!Number.isInteger(valid) || valid < 0) throw new Error('cache_valid_time must be a number of seconds');
        if (q.update_cache === false) throw new Error('update_cache: false with no name does nothing: remove the task');
        const fresh = `set -- /var/lib/apt/lists/*_Packages*; [ -e "$1" ] && [ $(( $(date +%s) - $(stat -c %Y -- "$@" | sort -n | tail -n 1) )) -le ${valid} ]`;
        return { [MODULE]: 'shell', cmd: 'DEBIAN_FRONTEND=noninteractive apt-get update -q', ...(valid > 0 ? { unless: fresh } : {}) };
      }
      const out: P = { name: q.name, state: pkgState(q.state ?? 'present') };
      // Ansible leaves recommends to apt's configuration (Debian installs them by default).
      out.install_recommends = q.install_recommends ?? true;
      if ('purge' in q) out.purge = q.purge;
      if ('update_cache' in q) {
        // update_cache true: lists older than cache_valid_time (0: always) are refreshed
        // before an install; false: never.
        const u = q.update_cache;
        out.update_cache = u === true ? ('cache_valid_time' in q ? 'auto' : 'always') : u === false ? 'never' : u;
      }
      if ('cache_valid_time' in q) out.cache_valid_time = q.cache_valid_time;
      return out;
    },
  };
}

function service(systemd: boolean): AnsibleModule {
  return {
    fleet: 'service',
    params: ['name', 'state', 'enabled', ...(systemd ? ['daemon_reload', 'daemon-reload', 'unit', 'scope'] : [])],
    refused: {
      masked: 'not supported yet: run command: systemctl mask NAME with creates: /etc/systemd/system/NAME',
      arguments: 'not supported',
      args: 'not supported',
      pattern: 'fleet manages systemd units only',
      runlevel: 'fleet manages systemd units only',
      sleep: 'not supported',
      no_block: 'not supported',
      force: 'not supported',
      daemon_reexec: 'run command: systemctl daemon-reexec',
      use: 'fleet manages systemd units only',
    },
    translate(p) {
      let q = alias(p, 'name', ['unit']);
      q = alias(q, 'daemon_reload', ['daemon-reload']);
      // systemd with daemon_reload alone (a handler, typically): no unit to manage.
      if (q.name === undefined && q.daemon_reload !== undefined && q.state === undefined && q.enabled === undefined)
        return { [MODULE]: 'command', cmd: 'systemctl daemon-reload' };
      if ('scope' in q && q.scope !== 'system') throw new Error(`scope '${String(q.scope)}': fleet manages system units only`);
      delete q.scope;
      return q;
    },
  };
}

const FILE_PARAMS = ['path', 'dest', 'name', 'state', 'src', 'recurse', 'force', ...ATTRS];
const TEXT_PARAMS = ['path', 'dest', 'destfile', 'name', 'state', 'insertafter', 'insertbefore', 'create', 'validate', 'backup', ...ATTRS];
const RUN_KEYS = ['creates', 'removes', 'chdir'];

function run(fleet: 'command' | 'shell'): AnsibleModule {
  return {
    fleet,
    params: ['cmd', '_raw_params', ...RUN_KEYS, ...(fleet === 'command' ? ['argv'] : ['executable'])],
    freeFormKeys: [...RUN_KEYS, ...(fleet === 'shell' ? ['executable'] : [])],
    refused: {
      stdin: 'not supported: use a shell pipeline (shell: printf ... | cmd)',
      expand_argument_vars: 'not supported',
      warn: 'removed in Ansible 2.14: delete it',
      strip_empty_ends: 'not supported',
    },
    translate(p) {
      const q = alias(p, 'cmd', ['_raw_params', 'argv']);
      if (fleet === 'shell' && 'executable' in q) {
        const exe = q.executable;
        delete q.executable;
        // fleet's shell is POSIX sh; /bin/sh and /bin/bash (for bash syntax) are run that way.
        if (exe !== '/bin/sh' && exe !== '/bin/bash' && exe !== '/usr/bin/bash')
          throw new Error(`executable ${String(exe)}: fleet's shell runs /bin/sh or /bin/bash only`);
        if (exe !== '/bin/sh') q.cmd = `exec ${String(exe)} -c ${shQuote(String(q.cmd))}`;
      }
      return q;
    },
  };
}

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A kernel module's name, checked on the host before modprobe reads it. */
const MODULE_NAME_CHECK = `case "$FLEET_MODULE" in ''|-*|*[!A-Za-z0-9_-]*) echo "modprobe: invalid module name: $FLEET_MODULE" >&2; exit 1;; esac\n`;

export const ANSIBLE_MODULES: Record<string, AnsibleModule> = {
  apt: pkg(['update_cache', 'update-cache', 'cache_valid_time', 'install_recommends', 'install-recommends', 'purge']),
  package: pkg([]),
  service: service(false),
  systemd: service(true),
  systemd_service: service(true),
  file: {
    fleet: 'file',
    params: FILE_PARAMS,
    refused: {
      follow: 'not supported (fleet never follows links it manages)',
      access_time: 'not supported',
      modification_time: 'not supported',
      ...FILE_ATTRIBUTES_REFUSED,
    },
    translate(p) {
      const q = alias(p, 'path', ['dest', 'name']);
      if (q.state === 'hard') throw new Error('state: hard (hard links) is not supported: use state: link');
      return q;
    },
  },
  copy: {
    fleet: 'copy',
    params: ['src', 'dest', 'content', 'backup', 'validate', 'force', ...ATTRS],
    refused: {
      remote_src: 'not supported: copy on the host with command: cp',
      directory_mode: 'copy one file per task (or use file: state=directory)',
      local_follow: 'not supported',
      decrypt: 'not supported',
      checksum: 'not supported',
    },
    translate(p) {
      if (p.force === false)
        throw new Error('force: false (write only when missing) is not supported yet: guard the task with a when on a stat');
      const q = { ...p };
      delete q.force;
      if (typeof q.src === 'string' && q.src.endsWith('/'))
        throw new Error(`src '${q.src}': copying a directory is not supported: one file per task`);
      return q;
    },
  },
  template: {
    fleet: 'template',
    params: ['src', 'dest', 'backup', 'validate', 'force', ...ATTRS],
    refused: {
      newline_sequence: 'not supported',
      trim_blocks: "not supported (fleet uses Ansible's default, true)",
      lstrip_blocks: 'not supported',
      variable_start_string: 'not supported',
      variable_end_string: 'not supported',
      block_start_string: 'not supported',
      block_end_string: 'not supported',
      output_encoding: 'fleet writes UTF-8',
    },
    translate(p) {
      if (p.force === false) throw new Error('force: false is not supported');
      const q = { ...p };
      delete q.force;
      return q;
    },
  },
  lineinfile: {
    fleet: 'line',
    params: [...TEXT_PARAMS, 'line', 'value', 'regexp', 'regex'],
    refused: {
      backrefs: 'not supported: write the whole line',
      firstmatch: 'not supported',
      search_string: 'use regexp with the text escaped',
      unsafe_writes: 'not supported',
      others: 'not supported',
    },
    translate(p) {
      let q = alias(p, 'path', ['dest', 'destfile', 'name']);
      q = alias(q, 'line', ['value']);
      return alias(q, 'regexp', ['regex']);
    },
  },
  blockinfile: {
    fleet: 'block',
    params: [...TEXT_PARAMS, 'block', 'content', 'marker', 'marker_begin', 'marker_end'],
    refused: { append_newline: 'not supported', prepend_newline: 'not supported', unsafe_writes: 'not supported' },
    translate(p) {
      const q = alias(p, 'path', ['dest', 'destfile', 'name']);
      return alias(q, 'block', ['content']);
    },
  },
  // hostname and modprobe: a guarded shell (ok when the guard holds, so check mode reports what
  // would change); the name travels in the environment, never spliced into the script.
  hostname: {
    fleet: 'shell',
    params: ['name', 'use'],
    refused: {},
    translate(p) {
      if (p.name === undefined) throw new Error("'name' is required");
      if (p.use !== undefined && !['debian', 'systemd', 'generic'].includes(String(p.use)))
        throw new Error(`use: ${String(p.use)}: fleet sets the hostname the Debian way (/etc/hostname and the running name): use debian, systemd or leave it out`);
      return {
        [MODULE]: 'shell',
        cmd: `case "$FLEET_HOSTNAME" in ''|-*|*[!A-Za-z0-9.-]*) echo "hostname: invalid name: $FLEET_HOSTNAME" >&2; exit 1;; esac
printf '%s\n' "$FLEET_HOSTNAME" > /etc/hostname && hostname "$FLEET_HOSTNAME"`,
        unless: `[ "$(hostname)" = "$FLEET_HOSTNAME" ] && [ "$(cat /etc/hostname 2>/dev/null)" = "$FLEET_HOSTNAME" ]`,
        environment: { FLEET_HOSTNAME: p.name },
      };
    },
  },
  modprobe: {
    fleet: 'shell',
    params: ['name', 'state', 'params'],
    refused: { persistent: 'not supported yet: write /etc/modules-load.d/NAME.conf (and /etc/modprobe.d/NAME.conf for params) with copy' },
    translate(p) {
      if (p.name === undefined) throw new Error("'name' is required");
      const state = String(p.state ?? 'present');
      if (state !== 'present' && state !== 'absent') throw new Error(`state must be present or absent, got ${state}`);
      // /proc/modules spells the name with underscores; a built-in module counts as loaded (as in Ansible).
      const loaded =
        `m=$(printf '%s' "$FLEET_MODULE" | tr - _); grep -q "^$m " /proc/modules || ` +
        `grep -Eq "/$m\\.ko(\\.[a-z]+)?$|/$(printf '%s' "$FLEET_MODULE")\\.ko(\\.[a-z]+)?$" "/lib/modules/$(uname -r)/modules.builtin" 2>/dev/null`;
      const environment: P = { FLEET_MODULE: p.name };
      if (state === 'absent') {
        if (p.params !== undefined) throw new Error("'params' applies to state: present only");
        return { [MODULE]: 'shell', cmd: `${MODULE_NAME_CHECK}modprobe -r -- "$FLEET_MODULE"`, unless: `! { ${loaded}; }`, environment };
      }
      if (p.params !== undefined) environment.FLEET_MODULE_PARAMS = p.params;
      // params are split into words as Ansible's shlex.split does for plain `a=1 b=2`.
      return { [MODULE]: 'shell', cmd: `${MODULE_NAME_CHECK}set -f; modprobe -- "$FLEET_MODULE" \${FLEET_MODULE_PARAMS:-}`, unless: loaded, environment };
    },
  },
  replace: {
    fleet: 'replace',
    params: ['path', 'dest', 'destfile', 'name', 'regexp', 'replace', 'after', 'before', 'validate', 'backup', ...ATTRS],
    refused: { encoding: 'fleet reads and writes files as UTF-8', unsafe_writes: 'not supported', others: 'not supported' },
    translate: (p) => alias(p, 'path', ['dest', 'destfile', 'name']),
  },
  user: {
    fleet: 'user',
    params: [
      'name',
      'user',
      'uid',
      'group',
      'groups',
      'append',
      'shell',
      'home',
      'create_home',
      'createhome',
      'system',
      'comment',
      'password',
      'state',
      'remove',
      'update_password',
      'password_lock',
      'expires',
    ],
    refused: {
      generate_ssh_key: 'generate it with command: ssh-keygen ... creates=',
      ssh_key_file: 'not supported',
      move_home: 'not supported',
      non_unique: 'not supported',
      force: 'not supported',
      skeleton: 'not supported',
    },
    translate(p) {
      let q = alias(p, 'name', ['user']);
      q = alias(q, 'create_home', ['createhome']);
      // Ansible takes groups as a list or a comma-separated string.
      if (typeof q.groups === 'string' && !q.groups.includes('{{'))
        q.groups = q.groups
          .split(',')
          .map((g) => g.trim())
          .filter(Boolean);
      return q;
    },
  },
  group: {
    fleet: 'group',
    params: ['name', 'gid', 'system', 'state'],
    refused: { local: 'not supported', non_unique: 'not supported', force: 'not supported' },
    translate: (p) => p,
  },
  authorized_key: {
    fleet: 'authorized_key',
    params: ['user', 'key', 'state', 'exclusive'],
    refused: {
      key_options: 'write the options in front of the key',
      path: 'fleet manages ~/.ssh/authorized_keys',
      manage_dir: 'not supported',
      comment: 'write the comment in the key line',
      validate_certs: 'keys from URLs are not supported',
      follow: 'not supported',
    },
    translate(p) {
      // Ansible's key may hold several lines, one key each.
      if (typeof p.key === 'string' && !p.key.includes('{{') && p.key.trim().includes('\n'))
        return {
          ...p,
          key: p.key
            .split('\n')
            .map((l) => l.trim())
            .filter(Boolean),
        };
      return p;
    },
  },
  sysctl: {
    fleet: 'sysctl',
    params: ['name', 'key', 'value', 'val', 'state', 'sysctl_file', 'reload', 'sysctl_set'],
    refused: { ignoreerrors: 'not supported' },
    translate(p) {
      let q = alias(p, 'name', ['key']);
      q = alias(q, 'value', ['val']);
      // sysctl_set: also set the running value; fleet's reload does that (sysctl -p of the file).
      if ('sysctl_set' in q) {
        if (!('reload' in q)) q.reload = q.sysctl_set;
        delete q.sysctl_set;
      }
      return q;
    },
  },
  command: run('command'),
  shell: run('shell'),
  set_fact: {
    fleet: 'set_fact',
    params: [],
    anyParams: true,
    refused: { cacheable: 'fleet keeps no fact cache between runs: set the value in a variable file instead' },
    translate: (p) => p,
  },
  // search and names are filled by the task reader (it knows the role's directories).
  include_vars: {
    fleet: 'include_vars',
    params: ['file', '_raw_params'],
    refused: {
      dir: 'name one file',
      name: 'not supported: the variables are set at the top level',
      depth: 'name one file',
      files_matching: 'name one file',
      ignore_files: 'name one file',
      extensions: 'name one file',
      hash_behaviour: 'not supported',
    },
    translate: (p) => alias(p, 'file', ['_raw_params']),
  },
};

/** `that` conditions as the assert action reads them: each as written, and the template that
 * evaluates it the way Ansible evaluates a conditional (Jinja truthiness). */
function assertions(that: unknown): P[] {
  const list = Array.isArray(that) ? that : [that];
  return list.map((c) => {
    if (typeof c !== 'string' && typeof c !== 'boolean') throw new Error(`that: expected conditions (strings), got ${JSON.stringify(c)}`);
    const cond = String(c);
    return { cond, result: `{% if (${cond}) %}True{% else %}False{% endif %}` };
  });
}

const META_HINTS: Record<string, string> = {
  end_play: 'guard the remaining tasks with when',
  end_host: 'guard the remaining tasks with when',
  end_batch: 'guard the remaining tasks with when',
  noop: 'remove the task',
  clear_facts: 'fleet keeps no fact cache between runs',
  refresh_inventory: 'fleet reads the inventory once; use inventory_var to change it',
  reset_connection: "use fleet's reconnect action",
  clear_host_errors: 'not supported',
};

const CONTROLLER: Record<string, AnsibleModule> = {
  debug: {
    fleet: 'debug',
    params: ['msg', 'var', 'verbosity'],
    translate(p) {
      if ('msg' in p && 'var' in p) throw new Error("'msg' and 'var' are mutually exclusive");
      if (p.var === undefined) return p;
      const name = String(p.var);
      // var names an expression, rendered like {{ }} (Ansible's debug var=).
      return { var: name, value: `{{ ${name} }}`, ...('verbosity' in p ? { verbosity: p.verbosity } : {}) };
    },
  },
  fail: { fleet: 'fail', params: ['msg'], translate: (p) => p },
  assert: {
    fleet: 'assert',
    params: ['that', 'fail_msg', 'msg', 'success_msg', 'quiet'],
    translate(p) {
      if (p.that === undefined) throw new Error("missing required parameter 'that'");
      const q = alias(p, 'fail_msg', ['msg']);
      return { ...q, that: assertions(q.that) };
    },
  },
  meta: {
    fleet: 'flush_handlers',
    params: ['cmd'],
    freeFormKeys: [],
    translate(p) {
      const what = String(p.cmd ?? '').trim();
      if (what === 'flush_handlers') return {};
      throw new Error(`meta: ${what} is not supported by fleet (it runs meta: flush_handlers)${META_HINTS[what] ? `: ${META_HINTS[what]}` : ''}`);
    },
  },
  getent: {
    fleet: 'getent',
    params: ['database', 'key', 'split', 'fail_key'],
    refused: { service: 'fleet reads the host\'s configured sources (nsswitch.conf)' },
    translate: (p) => p,
  },
  stat: {
    fleet: 'stat',
    params: ['path', 'dest', 'name', 'follow', 'get_checksum', 'checksum_algorithm', 'checksum', 'checksum_algo', 'get_mime', 'mime', 'mime_type', 'mime-type', 'get_attributes', 'attributes', 'attr'],
    refused: { get_md5: 'removed from Ansible: use checksum_algorithm: md5' },
    translate(p) {
      let q = alias(p, 'path', ['dest', 'name']);
      q = alias(q, 'checksum_algorithm', ['checksum', 'checksum_algo']);
      q = alias(q, 'get_mime', ['mime', 'mime_type', 'mime-type']);
      q = alias(q, 'get_attributes', ['attributes', 'attr']);
      // Ansible returns these by default; fleet does not read them: asking for them is an error,
      // and a later read of stat.mimetype or stat.attributes is an undefined variable.
      for (const k of ['get_mime', 'get_attributes'])
        if (k in q) {
          if (q[k] !== false) throw new Error(`${k}: fleet's stat does not read ${k === 'get_mime' ? 'mime types' : 'file attributes'}: set ${k}: false or remove it`);
          delete q[k];
        }
      return q;
    },
  },
};
Object.assign(ANSIBLE_MODULES, CONTROLLER, MORE_MODULES);

/** Modules Ansible roles often use that fleet does not map (yet), with what to do instead. */
export const UNSUPPORTED_MODULES: Record<string, string> = {
  service_facts: 'not supported: query one unit with command: systemctl is-active NAME, changed_when: false',
  package_facts: 'not supported: query with command: dpkg-query, changed_when: false',
  setup: 'fleet gathers its facts on the first round trip',
  gather_facts: 'fleet gathers its facts on the first round trip',
  timezone: 'not supported yet: link /etc/localtime with file: state=link',
  apt_key: 'not supported yet: copy the key into /etc/apt/keyrings with copy',
  uri: 'not supported',
  pip: 'not supported',
  git: 'not supported',
  raw: 'use command or shell',
  script: 'copy the script with copy, then run it with command',
  ufw: "not supported: use fleet's firewall role",
  iptables: "not supported: use fleet's firewall role",
};

const PREFIXES = ['ansible.builtin.', 'ansible.legacy.', 'ansible.posix.', 'community.general.'];
/** Which collection may name which module (ansible.posix.sysctl, not ansible.builtin.sysctl). */
const POSIX = new Set(['authorized_key', 'sysctl', 'mount']);

/** The module's short name for a task key, or undefined when the key is not a module name. */
export function ansibleModuleName(key: string): { short: string; known: boolean } | undefined {
  let short = key;
  for (const pre of PREFIXES) {
    if (key.startsWith(pre)) {
      short = key.slice(pre.length);
      if (pre === 'ansible.posix.' && !POSIX.has(short)) return undefined;
      if (pre === 'ansible.builtin.' && POSIX.has(short)) return undefined;
      if (pre === 'community.general.' && !['modprobe', 'ufw', 'timezone'].includes(short)) return undefined;
      break;
    }
  }
  if (short in ANSIBLE_MODULES) return { short, known: true };
  if (short in UNSUPPORTED_MODULES) return { short, known: false };
  return undefined;
}
