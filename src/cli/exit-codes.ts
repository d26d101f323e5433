// Documented in the README (generated from EXIT_DOCS): scripts and CI depend on these.
export const EXIT = {
  ok: 0,
  failed: 1,
  changes: 2,
  config: 3,
  interrupted: 130,
  /** 128 + SIGPIPE, as a tool the signal killed. */
  pipeClosed: 141,
} as const;

export const EXIT_DOCS: { code: number; meaning: string }[] = [
  { code: EXIT.ok, meaning: 'apply: converged; check: nothing would change; run: the command exited 0 everywhere' },
  { code: EXIT.failed, meaning: 'a task (or a `fleet run` command) failed, a host was unreachable or its run lock busy (`--no-wait`, `--lock-timeout`), or a task\'s outcome is unknown (its connection was lost while it changed the host)' },
  { code: EXIT.changes, meaning: 'check: something would change' },
  { code: EXIT.config, meaning: 'usage or configuration error (bad YAML, unknown key, unknown module, undefined variable...), reported before any host is contacted' },
  { code: EXIT.interrupted, meaning: 'interrupted (Ctrl-C): nothing new starts, tasks in flight finish and report, the recap is printed; a second Ctrl-C closes the connections and the recap counts the tasks in flight as `unknown`; a third quits at once. (`fleet run`: the first Ctrl-C cuts the commands off)' },
  { code: EXIT.pipeClosed, meaning: 'the reader of fleet\'s output went away (`fleet inventory` piped into `head -1`): fleet stops at once, quietly, as a tool killed by SIGPIPE does' },
];
