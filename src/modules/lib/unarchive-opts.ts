// unarchive's extra_opts: only options known not to change where or how tar or unzip writes
// are passed on. Options such as -C, -P, --transform, --to-command, -I or unzip's -d and -:
// defeat the check of the archive's members or run commands, and GNU tar takes any
// unambiguous abbreviation of a long option (--to-com, --abs) and short options bundled
// (-vP), so the rule is a list of what is allowed, each written exactly, not a list of what
// is not.

/** Options whose meaning only narrows or describes the extraction, for tar and for unzip. */
const ALLOWED = new Set([
  // tar
  '--no-same-owner', '--same-owner', '--numeric-owner', '--no-same-permissions', '--same-permissions', '--preserve-permissions',
  '--keep-old-files', '-k', '--skip-old-files', '--keep-newer-files', '--touch', '-m', '--no-overwrite-dir', '--overwrite-dir',
  '--delay-directory-restore', '--no-delay-directory-restore', '--wildcards', '--no-wildcards', '--wildcards-match-slash',
  '--no-wildcards-match-slash', '--anchored', '--no-anchored', '--ignore-case', '--no-ignore-case', '--exclude-vcs',
  '--recursion', '--no-recursion', '--ignore-zeros', '-i', '-z', '--gzip', '-j', '--bzip2', '-J', '--xz', '--lzma', '--zstd',
  '-v', '--verbose',
  // unzip (none whose letter means something else to tar: -C, -p, -L, -X, -K)
  '-o', '-n', '-q', '-qq',
]);

/** Named with what they do, so the refusal says why. */
const REFUSED: [RegExp, string][] = [
  [/^(-C|--directory|--di)/, 'it changes the directory tar writes into'],
  [/^(-P|--absolute-names|--abs)/, 'it keeps absolute names and ../ (writes outside dest)'],
  [/^(--transform|--xform|--tra|--xf)/, 'it renames members after they were checked'],
  [/^(--to-command|--to-c|-I|--use-compress-program|--use|--checkpoint-action|--che|--rsh-command|--rmt-command|--info-script|-F|--new-volume-script)/, 'it runs a command'],
  [/^(--keep-directory-symlink|--overwrite$|--unlink-first|-U$|--recursive-unlink)/, 'it follows or removes what is already in dest'],
  [/^(--to-stdout|-O$|-d$|-d.|-:|-\^|-p$)/, 'it changes where or what unzip or tar writes'],
  [/^-P./, 'a password on the command line is seen by every user of the host'],
];

export function checkExtraOpts(opts: readonly string[]): void {
  for (let i = 0; i < opts.length; i++) {
    const o = opts[i];
    if (ALLOWED.has(o) || /^--strip-components=\d+$/.test(o) || /^--exclude=[^-]/.test(o)) continue;
    if (o === '--strip-components' && /^\d+$/.test(opts[i + 1] ?? '')) {
      i++;
      continue;
    }
    const why = REFUSED.find(([re]) => re.test(o))?.[1];
    throw new Error(
      `unarchive extra_opts '${o}' is refused: ${why ?? 'fleet passes on only options known not to change where or how the archive is written'}` +
        ` (allowed: --strip-components=N, --exclude=PATTERN, ${[...ALLOWED].join(', ')})`,
    );
  }
}
