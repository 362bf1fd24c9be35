#!/usr/bin/env bash
# Takes a pg_dump custom-format backup of a database, the input of db-restore.sh.
#
#   infra/scripts/db-backup.sh DATABASE_URL [OUT_FILE]
#
# OUT_FILE defaults to <database>-<UTC time>.dump in the current directory. The dump is written
# to OUT_FILE.partial and renamed only once pg_dump succeeded and pg_restore can read it back,
# so a file without .partial is a complete archive. Managed PostgreSQL services take their own
# snapshots as well: this is for restore drills, moves between servers, and a copy before a
# risky migration. Needs pg_dump of the server's major version or newer.
set -euo pipefail

usage() {
  sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
[[ $# -ge 1 && $# -le 2 && "$1" != -* ]] || usage
source_url="$1"
die() {
  echo "db-backup: $*" >&2
  exit 1
}

for tool in pg_dump pg_restore; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (Debian/Ubuntu: postgresql-client)"
done
[[ "$source_url" =~ ^postgres(ql)?://[^/]*/([^/?#]+) ]] ||
  die "DATABASE_URL must look like postgres://user@host:5432/database"
out_file="${2:-${BASH_REMATCH[2]}-$(date -u +%Y%m%dT%H%M%SZ).dump}"
[[ ! -e "$out_file" ]] || die "$out_file already exists"

partial="$out_file.partial"
trap 'rm -f "$partial"' EXIT
pg_dump --format=custom --file "$partial" --dbname "$source_url"
entries=$(pg_restore --list "$partial" | grep -cv '^;') || die "pg_restore cannot read the dump back"
mv "$partial" "$out_file"
trap - EXIT
echo "Wrote $out_file ($(du -h "$out_file" | cut -f1), $entries archive entries)"
