// A PostgreSQL image for lab hosts, which have no registry and no internet: built on a lab
// host from its own Debian PostgreSQL package (the real server binaries, installed through
// the lab's package source), with the shared libraries they load, as a usr-merged tree of
// about 85 MB given to `docker import`. The container runs as postgres, initialises its data
// directory (a docker volume) on first start with local trust, and listens on the usual
// socket, like the official image: `docker exec NAME pg_dump -U postgres` works as it does
// there.
export const POSTGRES_IMAGE = 'fleet-lab/postgres:test';

/** Shell run as root on a lab host that has postgresql and docker: imports POSTGRES_IMAGE,
 * prints the PostgreSQL major version. */
export const BUILD_POSTGRES_IMAGE = String.raw`set -e
V=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
S=$(mktemp -d /root/pgimg.XXXXXX)
trap 'rm -rf "$S"' EXIT
mkdir -p "$S/usr/lib/postgresql" "$S/usr/share/postgresql" "$S/usr/lib64" "$S/usr/bin" "$S/usr/sbin" "$S/usr/share/zoneinfo" "$S/etc" "$S/var/run/postgresql" "$S/var/lib/postgresql/data" "$S/tmp"
for d in lib lib64 bin sbin; do ln -s "usr/$d" "$S/$d"; done
cp -a "/usr/lib/postgresql/$V" "$S/usr/lib/postgresql/"
cp -a "/usr/share/postgresql/$V" "$S/usr/share/postgresql/"
# JIT would pull in LLVM (over 100 MB); without it PostgreSQL simply runs without JIT.
rm -rf "$S/usr/lib/postgresql/$V/lib/bitcode" "$S/usr/lib/postgresql/$V/lib"/llvmjit*
cp -L /usr/share/zoneinfo/UTC "$S/usr/share/zoneinfo/"
cp -L /bin/sh "$S/usr/bin/sh"
{ find "$S/usr/lib/postgresql/$V" -type f \( -perm -u+x -o -name '*.so' \); echo /bin/sh; } | while read -r f; do ldd "$f" 2>/dev/null || :; done |
	awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u | while read -r l; do
	case $l in /usr/*) d=$l ;; *) d=/usr$l ;; esac
	mkdir -p "$S${'$'}{d%/*}"
	cp -L "$l" "$S$d"
done
uid=$(id -u postgres) gid=$(id -g postgres)
printf 'root:x:0:0:root:/root:/bin/sh\npostgres:x:%s:%s:PostgreSQL:/var/lib/postgresql:/bin/sh\n' "$uid" "$gid" >"$S/etc/passwd"
printf 'root:x:0:\npostgres:x:%s:\n' "$gid" >"$S/etc/group"
chown "$uid:$gid" "$S/var/run/postgresql" "$S/var/lib/postgresql/data"
chmod 700 "$S/var/lib/postgresql/data"
chmod 1777 "$S/tmp"
tar -C "$S" -c . | docker import --change "ENV PATH=/usr/lib/postgresql/$V/bin:/usr/bin" --change 'ENV PGDATA=/var/lib/postgresql/data' --change 'ENV TZ=UTC' --change 'USER postgres' - ${POSTGRES_IMAGE} >/dev/null
echo "$V"
`;

/** Start a PostgreSQL container NAME on the data volume VOLUME (initialised on first start),
 * and wait until it answers. */
export function runPostgresContainer(name: string, volume: string): string {
  return String.raw`set -e
docker rm -f ${name} >/dev/null 2>&1 || :
docker run -d --name ${name} -v ${volume}:/var/lib/postgresql/data ${POSTGRES_IMAGE} sh -c 'test -s "$PGDATA/PG_VERSION" || initdb -U postgres --auth=trust -E UTF8 --locale=C >/dev/null || exit 1; exec postgres' >/dev/null
for i in $(seq 120); do docker exec ${name} pg_isready -q && exit 0; sleep 0.5; done
docker logs ${name} >&2
exit 1
`;
}
