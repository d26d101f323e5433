// Ansible modules with a fleet module (or action) of their own, under the same parameter
// names: wait_for, cron, mount (ansible.posix), apt_repository, unarchive, get_url. Parameters Ansible documents
// that fleet does not do are refused by name, with what to do instead.
type P = Record<string, unknown>;
/** The shape of modules.ts's AnsibleModule (not imported: modules.ts imports this file). */
interface AnsibleModule {
  fleet: string;
  params: readonly string[];
  refused?: Record<string, string>;
  translate(p: P): P;
}

/** The file attributes Ansible's file-writing modules share and fleet does not set. */
export const FILE_ATTRIBUTES_REFUSED: Readonly<Record<string, string>> = {
  attributes: 'not supported',
  seuser: 'SELinux is not supported',
  serole: 'SELinux is not supported',
  setype: 'SELinux is not supported',
  selevel: 'SELinux is not supported',
};

/** key=value text is all strings: Ansible's modules read numbers and booleans from them. */
function typed(p: P, ints: readonly string[], bools: readonly string[]): P {
  const out = { ...p };
  for (const k of ints) if (typeof out[k] === 'string' && /^\d+$/.test(out[k] as string)) out[k] = Number(out[k]);
  for (const k of bools) {
    const v = out[k];
    if (typeof v !== 'string') continue;
    const low = v.toLowerCase();
    if (['yes', 'true', 'on', '1'].includes(low)) out[k] = true;
    else if (['no', 'false', 'off', '0'].includes(low)) out[k] = false;
  }
  return out;
}

function rename(p: P, to: string, from: string): P {
  if (!(from in p)) return p;
  if (to in p) throw new Error(`'${from}' and '${to}' are the same parameter: give one`);
  const out = { ...p, [to]: p[from] };
  delete out[from];
  return out;
}

/** A comma-separated string or a list (Ansible's type='list'). */
function list(v: unknown): unknown {
  return typeof v === 'string' && !v.includes('{{') ? v.split(',').map((x) => x.trim()).filter(Boolean) : v;
}

export const MORE_MODULES: Record<string, AnsibleModule> = {
  wait_for: {
    fleet: 'wait_for',
    params: ['host', 'port', 'path', 'search_regex', 'state', 'timeout', 'delay', 'sleep', 'connect_timeout', 'msg', 'exclude_hosts', 'active_connection_states'],
    translate(p) {
      const q = typed(p, ['port', 'timeout', 'delay', 'sleep', 'connect_timeout'], []);
      if ('exclude_hosts' in q) q.exclude_hosts = list(q.exclude_hosts);
      if ('active_connection_states' in q) q.active_connection_states = list(q.active_connection_states);
      if (q.port !== undefined && q.path !== undefined) throw new Error('port and path parameter can not both be passed to wait_for');
      return q;
    },
  },
  cron: {
    fleet: 'cron',
    params: ['name', 'user', 'job', 'value', 'minute', 'hour', 'day', 'dom', 'month', 'weekday', 'dow', 'special_time', 'state', 'disabled', 'env', 'insertafter', 'insertbefore', 'cron_file'],
    refused: {
      backup: 'not supported: fleet shows the old crontab in the diff (--diff)',
      reboot: "removed from Ansible: use special_time: reboot",
    },
    translate(p) {
      let q = typed(p, [], ['disabled', 'env']);
      q = rename(q, 'job', 'value');
      q = rename(q, 'day', 'dom');
      q = rename(q, 'weekday', 'dow');
      if (q.name === undefined) throw new Error("'name' is required (Ansible marks the entry with it)");
      return q;
    },
  },
  mount: {
    fleet: 'mount',
    params: ['path', 'name', 'src', 'fstype', 'opts', 'dump', 'passno', 'state', 'fstab', 'boot', 'backup'],
    refused: {
      opts_no_log: 'fleet never prints secrets it knows: put the credentials in a credentials= file',
      keep_mountpoint: 'not supported: state absent removes the mount point as Ansible does by default',
    },
    translate(p) {
      let q = typed(p, [], ['boot', 'backup']);
      q = rename(q, 'path', 'name');
      if (q.state === undefined) throw new Error("'state' is required (mounted, unmounted, present, absent, absent_from_fstab or remounted)");
      if (q.state === 'ephemeral') throw new Error('state: ephemeral is not supported: use state: mounted (it also writes the fstab line)');
      return q;
    },
  },
  apt_repository: {
    fleet: 'apt_repository',
    params: ['repo', 'state', 'filename', 'mode', 'update_cache', 'update-cache', 'install_python_apt'],
    refused: {
      codename: 'write the suite in repo',
      validate_certs: 'not supported: apt reads the repository with its own settings',
      update_cache_retries: 'not supported',
      update_cache_retry_max_delay: 'not supported',
    },
    translate(p) {
      let q = typed(p, [], ['update_cache', 'update-cache', 'install_python_apt']);
      q = rename(q, 'update_cache', 'update-cache');
      // Ansible installs python3-apt for itself; fleet needs nothing on the host.
      delete q.install_python_apt;
      if (q.repo === undefined) throw new Error("'repo' is required");
      return q;
    },
  },
  unarchive: {
    fleet: 'unarchive',
    params: ['src', 'dest', 'remote_src', 'copy', 'creates', 'list_files', 'exclude', 'include', 'extra_opts', 'owner', 'group', 'mode'],
    refused: {
      keep_newer: 'not supported: fleet extracts every member that differs from dest',
      validate_certs: 'fleet does not download in unarchive: fetch with get_url, then unarchive with remote_src: true',
      decrypt: 'not supported (no vault-encrypted archives)',
      io_buffer_size: 'not supported',
      unsafe_writes: 'not supported',
      ...FILE_ATTRIBUTES_REFUSED,
    },
    translate(p) {
      const q = typed(p, [], ['remote_src', 'copy', 'list_files']);
      // copy: no is the old spelling of remote_src: yes.
      if ('copy' in q) {
        if ('remote_src' in q) throw new Error("parameters are mutually exclusive: copy|remote_src (copy is the old spelling: use remote_src)");
        if (typeof q.copy === 'boolean') q.remote_src = !q.copy;
        else q.remote_src = `{{ not (${String(q.copy).replace(/^\{\{\s*|\s*\}\}$/g, '')}) }}`;
        delete q.copy;
      }
      for (const k of ['extra_opts', 'exclude', 'include']) if (k in q) q[k] = list(q[k]);
      if (q.src === undefined || q.dest === undefined) throw new Error(`missing required arguments: ${['src', 'dest'].filter((k) => q[k] === undefined).join(', ')}`);
      if (q.exclude !== undefined && q.include !== undefined) throw new Error('parameters are mutually exclusive: exclude|include');
      return q;
    },
  },
  get_url: {
    fleet: 'get_url',
    params: ['url', 'dest', 'checksum', 'force', 'thirsty', 'timeout', 'headers', 'url_username', 'username', 'url_password', 'password', 'force_basic_auth', 'validate_certs', 'owner', 'group', 'mode'],
    refused: {
      backup: 'not supported',
      tmp_dest: 'fleet downloads into a temporary file beside dest',
      use_proxy: 'the host uses its own proxy settings (curl/wget environment)',
      http_agent: 'fleet sends ansible-httpget, as Ansible does by default',
      client_cert: 'not supported',
      client_key: 'not supported',
      use_gssapi: 'not supported',
      use_netrc: 'not supported: give url_username and url_password',
      unredirected_headers: 'not supported',
      decompress: 'not supported',
      ciphers: 'not supported',
      sha256sum: 'removed from Ansible: use checksum: sha256:HEX',
      unsafe_writes: 'not supported',
      ...FILE_ATTRIBUTES_REFUSED,
    },
    translate(p) {
      let q = typed(p, ['timeout'], ['force', 'thirsty', 'force_basic_auth', 'validate_certs']);
      q = rename(q, 'force', 'thirsty');
      q = rename(q, 'url_username', 'username');
      q = rename(q, 'url_password', 'password');
      // fleet sends the credentials with the first request, as force_basic_auth does.
      delete q.force_basic_auth;
      if (q.url === undefined || q.dest === undefined) throw new Error(`missing required arguments: ${['url', 'dest'].filter((k) => q[k] === undefined).join(', ')}`);
      if (typeof q.headers === 'string') throw new Error("headers: give a mapping (the 'key:value,key:value' string form is deprecated in Ansible)");
      return q;
    },
  },
};
