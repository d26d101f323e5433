// The comms stack's images for the lab (and any offline site): Caddy, PostgreSQL, and a
// postfix+dovecot mail server, from Debian packages (deb-image.ts). They behave like the
// upstream images the comms role defaults to where it matters to the role: Caddy reads
// /etc/caddy/Caddyfile and keeps its data (the internal CA) in /data; PostgreSQL takes
// POSTGRES_USER, POSTGRES_DB, POSTGRES_PASSWORD_FILE and POSTGRES_INITDB_ARGS on first start
// and keeps its data in /var/lib/postgresql/data, as the official image does.
import type { DebImageSpec } from './deb-image.js';

const PASSWD = (lines: string[]) => `cat > "$1/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
${lines.join('\n')}
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
`;
const GROUP = (lines: string[]) => `cat > "$1/etc/group" <<'EOF'
root:x:0:
${lines.join('\n')}
nogroup:x:65534:
EOF
`;

export const CADDY_IMAGE: DebImageSpec = {
  ref: 'fleet-lab/caddy:bookworm',
  packages: ['caddy', 'ca-certificates'],
  // ca-certificates' bundle is made by its maintainer script: made here instead.
  setup: `${PASSWD([])}${GROUP([])}
mkdir -p "$1/etc/caddy" "$1/data" "$1/config" "$1/etc/ssl/certs"
cat "$1"/usr/share/ca-certificates/mozilla/*.crt > "$1/etc/ssl/certs/ca-certificates.crt"
`,
  config: { Env: ['XDG_CONFIG_HOME=/config', 'XDG_DATA_HOME=/data'], Cmd: ['caddy', 'run', '--config', '/etc/caddy/Caddyfile', '--adapter', 'caddyfile'], WorkingDir: '/srv' },
};

/** Like the official image's docker-entrypoint.sh, for the variables the comms role uses. */
const POSTGRES_ENTRYPOINT = String.raw`#!/bin/sh
set -e
V=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
export PATH="/usr/lib/postgresql/$V/bin:$PATH"
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$PGDATA" /var/run/postgresql
	chown postgres:postgres "$PGDATA" /var/run/postgresql
	chmod 700 "$PGDATA"
	exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
	pw=${'$'}{POSTGRES_PASSWORD_FILE:+$(cat "$POSTGRES_PASSWORD_FILE")}
	pw=${'$'}{pw:-${'$'}{POSTGRES_PASSWORD:-}}
	[ -n "$pw" ] || { echo "postgres: no POSTGRES_PASSWORD(_FILE): refusing to initialise without a password" >&2; exit 1; }
	f=$(mktemp); printf '%s\n' "$pw" > "$f"
	# shellcheck disable=SC2086
	initdb --username="${'$'}{POSTGRES_USER:-postgres}" --pwfile="$f" ${'$'}{POSTGRES_INITDB_ARGS:-} >/dev/null
	rm -f "$f"
	echo "host all all all ${'$'}{POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >> "$PGDATA/pg_hba.conf"
	if [ -n "${'$'}{POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != postgres ]; then
		PGPASSWORD=$pw postgres --single -D "$PGDATA" postgres >/dev/null <<SQL
CREATE DATABASE "$POSTGRES_DB" OWNER "${'$'}{POSTGRES_USER:-postgres}";
SQL
	fi
fi
exec "$@"
`;

export const POSTGRES_SERVICE_IMAGE: DebImageSpec = {
  ref: 'fleet-lab/postgres:bookworm',
  packages: ['postgresql-15', 'util-linux'],
  // JIT (LLVM), perl (pg_ctlcluster's wrappers) and every locale's data are not needed to run
  // the server binaries directly; they would triple the image.
  exclude: ['libllvm14', 'locales-all', 'locales', 'perl', 'perl-modules-5.36', 'libperl5.36', 'postgresql-common', 'postgresql-client-common', 'libz3-4'],
  setup: `${PASSWD(['postgres:x:999:999:PostgreSQL:/var/lib/postgresql:/bin/sh'])}${GROUP(['postgres:x:999:'])}
mkdir -p "$1/var/lib/postgresql/data" "$1/var/run/postgresql" "$1/usr/local/bin"
chown 999:999 "$1/var/lib/postgresql/data" "$1/var/run/postgresql"
chmod 700 "$1/var/lib/postgresql/data"
V=$(ls "$1/usr/lib/postgresql" | sort -V | tail -n 1)
for b in "$1/usr/lib/postgresql/$V/bin/"*; do ln -sf "/usr/lib/postgresql/$V/bin/$(basename "$b")" "$1/usr/local/bin/"; done
cat > "$1/usr/local/bin/docker-entrypoint.sh" <<'EOF'
${POSTGRES_ENTRYPOINT}EOF
chmod 755 "$1/usr/local/bin/docker-entrypoint.sh"
`,
  prune: ['usr/share/locale'],
  config: {
    Env: ['PGDATA=/var/lib/postgresql/data', 'TZ=UTC', 'LANG=C.UTF-8'],
    Entrypoint: ['/usr/local/bin/docker-entrypoint.sh'],
    Cmd: ['postgres', '-c', 'listen_addresses=*'],
    ExposedPorts: { '5432/tcp': {} },
  },
};

const MAIL_ENTRYPOINT = `#!/bin/sh
# dovecot (it daemonises), then postfix in the foreground as the container's process.
set -e
mkdir -p /var/mail /run/dovecot
chown vmail:vmail /var/mail
postfix check
dovecot
exec postfix start-fg
`;

export const MAIL_IMAGE: DebImageSpec = {
  ref: 'fleet-lab/mail:bookworm',
  packages: ['postfix', 'dovecot-imapd', 'dovecot-lmtpd', 'ca-certificates'],
  exclude: ['perl', 'perl-modules-5.36', 'libperl5.36', 'e2fsprogs', 'logsave', 'libext2fs2', 'libss2'],
  setup: `${PASSWD([
    'postfix:x:101:101::/var/spool/postfix:/usr/sbin/nologin',
    'dovecot:x:102:102:Dovecot mail server:/usr/lib/dovecot:/usr/sbin/nologin',
    'dovenull:x:103:103:Dovecot login user:/nonexistent:/usr/sbin/nologin',
    'vmail:x:5000:5000:mail:/var/mail:/usr/sbin/nologin',
  ])}${GROUP(['postfix:x:101:', 'dovecot:x:102:', 'dovenull:x:103:', 'postdrop:x:104:', 'vmail:x:5000:'])}
mkdir -p "$1/etc/ssl/certs" "$1/var/spool/postfix" "$1/var/mail" "$1/var/lib/postfix" "$1/usr/local/bin"
cat "$1"/usr/share/ca-certificates/mozilla/*.crt > "$1/etc/ssl/certs/ca-certificates.crt"
chown 101:101 "$1/var/lib/postfix"
chown 5000:5000 "$1/var/mail"
: > "$1/etc/aliases"
cat > "$1/usr/local/bin/mail-start" <<'EOF'
${MAIL_ENTRYPOINT}EOF
chmod 755 "$1/usr/local/bin/mail-start"
`,
  config: { Cmd: ['/usr/local/bin/mail-start'], ExposedPorts: { '25/tcp': {}, '465/tcp': {}, '587/tcp': {}, '143/tcp': {}, '993/tcp': {} } },
};

export const COMMS_LAB_IMAGES = { caddy: CADDY_IMAGE, postgres: POSTGRES_SERVICE_IMAGE, mail: MAIL_IMAGE };
