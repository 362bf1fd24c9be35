#!/usr/bin/env bash
# Restores a pg_dump custom-format backup into a NEW PostgreSQL database, checks it, and prints
# how to switch the app over. It never writes into an existing database.
#
#   infra/scripts/db-restore.sh [--owner ROLE] [--compare SOURCE_URL] DUMP_FILE TARGET_DATABASE_URL
#
# TARGET_DATABASE_URL names the database to create, e.g.
#   postgres://admin@db.internal:5432/where2eat_restore_20260301
# Its role needs CREATEDB; the database is created through the server's maintenance database
# (ADMIN_DATABASE, default "postgres"). --owner makes ROLE (the app's role; the restoring role
# must be a member of it) the owner of the database and of everything restored, so the app and
# its migrations work as before. With --compare, every table's row count must equal the one in
# SOURCE_URL (a restore drill against the live database the dump came from).
#
# Checks after the restore: the drizzle migrations table (drizzle.__drizzle_migrations) is
# there and not empty, and the row count of every table is printed. A failed restore drops the
# database it created (KEEP_FAILED=1 keeps it for inspection). Needs psql and pg_restore of the
# server's major version or newer. See docs/runbooks/database-restore.md.
set -euo pipefail

usage() {
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

compare_url=""
owner=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --owner)
      [[ $# -ge 2 ]] || usage
      owner="$2"
      shift 2
      ;;
    --compare)
      [[ $# -ge 2 ]] || usage
      compare_url="$2"
      shift 2
      ;;
    -h | --help) usage ;;
    --) shift; break ;;
    -*) echo "db-restore: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[[ $# -eq 2 ]] || usage
dump_file="$1"
target_url="$2"

die() {
  echo "db-restore: $*" >&2
  exit 1
}
# Never print a password: postgres://user:secret@host -> postgres://user:***@host
mask() { sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#' <<<"$1"; }

for tool in psql pg_restore; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (Debian/Ubuntu: postgresql-client)"
done
[[ -r "$dump_file" ]] || die "cannot read the dump file $dump_file"
pg_restore --list "$dump_file" >/dev/null 2>&1 ||
  die "$dump_file is not a pg_dump custom-format archive (make it with pg_dump --format=custom)"

[[ "$target_url" =~ ^(postgres(ql)?://[^/]*)/([^/?#]+)(\?[^#]*)?$ ]] ||
  die "TARGET_DATABASE_URL must look like postgres://user@host:5432/new_database"
server_part="${BASH_REMATCH[1]}"
db_name="${BASH_REMATCH[3]}"
query="${BASH_REMATCH[4]}"
[[ "$db_name" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] ||
  die "database name \"$db_name\" must be lower-case letters, digits and _ (at most 63)"
[[ -z "$owner" || "$owner" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] ||
  die "role name \"$owner\" must be lower-case letters, digits and _"
admin_url="${server_part}/${ADMIN_DATABASE:-postgres}${query}"

psql_at() { psql "$1" --no-psqlrc --quiet --tuples-only --no-align --set ON_ERROR_STOP=1 "${@:2}"; }

exists=$(psql_at "$admin_url" --command "select 1 from pg_database where datname = '$db_name'") ||
  die "cannot connect to $(mask "$admin_url")"
[[ -z "$exists" ]] ||
  die "database $db_name already exists; restore into a new name (this script never overwrites)"

echo "Creating database $db_name on $(mask "$server_part")"
psql_at "$admin_url" --command "create database \"$db_name\"${owner:+ owner \"$owner\"}" >/dev/null

created=1
cleanup() {
  if [[ "$created" == 1 && "${KEEP_FAILED:-0}" != 1 ]]; then
    echo "db-restore: dropping $db_name after the failure (KEEP_FAILED=1 keeps it)" >&2
    psql_at "$admin_url" --command "drop database if exists \"$db_name\" with (force)" >/dev/null || true
  fi
}
trap cleanup EXIT

echo "Restoring $dump_file"
# One transaction: either the whole dump is in, or nothing is. Owners and grants of the source
# are not carried over: the restoring role, or --owner, owns everything.
restore_args=(--dbname "$target_url" --no-owner --no-privileges --single-transaction --exit-on-error)
[[ -n "$owner" ]] && restore_args+=(--role "$owner")
pg_restore "${restore_args[@]}" "$dump_file"

echo "Verifying"
migrations=$(psql_at "$target_url" --command \
  "select count(*) from drizzle.__drizzle_migrations" 2>/dev/null) ||
  die "no drizzle.__drizzle_migrations table: not a dump of a migrated app database"
[[ "$migrations" -gt 0 ]] || die "drizzle.__drizzle_migrations is empty"

journal="$(dirname "$0")/../../apps/where2eat/drizzle/meta/_journal.json"
if [[ -r "$journal" ]]; then
  known=$(grep -c '"tag"' "$journal" || true)
  echo "  migrations applied: $migrations (this checkout has $known)"
  if [[ "$migrations" -lt "$known" ]]; then
    echo "  note: the dump predates $((known - migrations)) migration(s); the next deploy's migration job applies them"
  fi
else
  echo "  migrations applied: $migrations"
fi

tables=$(psql_at "$target_url" --field-separator ' ' --command "
  select quote_ident(table_schema) || '.' || quote_ident(table_name)
  from information_schema.tables
  where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')
  order by table_schema <> 'public', 1")
[[ -n "$tables" ]] || die "the restored database has no tables"

mismatches=0
printf '  %-40s %12s' table rows
[[ -n "$compare_url" ]] && printf ' %12s' source
printf '\n'
while read -r table; do
  count=$(psql_at "$target_url" --command "select count(*) from $table")
  printf '  %-40s %12s' "$table" "$count"
  if [[ -n "$compare_url" ]]; then
    source_count=$(psql_at "$compare_url" --command "select count(*) from $table" 2>/dev/null || echo missing)
    printf ' %12s' "$source_count"
    if [[ "$source_count" != "$count" ]]; then
      printf '  MISMATCH'
      mismatches=$((mismatches + 1))
    fi
  fi
  printf '\n'
done <<<"$tables"
[[ "$mismatches" -eq 0 ]] || die "$mismatches table(s) differ from $(mask "$compare_url")"

created=0
trap - EXIT
masked_target=$(mask "$target_url")
cat <<NEXT

Restored into $db_name. To switch where2eat over (docs/runbooks/database-restore.md):
  1. Spot-check the data:  psql '$masked_target'
  2. Owner: ${owner:-the restoring role}. If the app connects as another role, drop this
     database and restore again with --owner <app_role> (its migrations need to own the tables).
  3. Point the Secret's database-url at $db_name, e.g.
       kubectl -n where2eat create secret generic where2eat --dry-run=client -o yaml \\
         --from-literal=database-url='<new url>' --from-literal=redis-url='<unchanged>' \\
         --from-literal=unleash-api-token='<unchanged>' | kubectl apply -f -
     (with External Secrets: change the entry in the vault, then force a refresh)
  4. Restart the pods so they read it:  kubectl argo rollouts restart where2eat -n where2eat
     (or: kubectl -n where2eat rollout restart deployment/where2eat)
  5. Check  /health/ready  and the dashboards; keep the old database until you are sure.
NEXT
