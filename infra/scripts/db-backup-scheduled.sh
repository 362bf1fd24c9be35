#!/usr/bin/env bash
# The scheduled backup (the chart's backup CronJob runs it; see docs/runbooks/database-restore.md):
# one db-backup.sh dump of DATABASE_URL into BACKUP_DIR named by its UTC start time, then the
# dumps older than RETENTION_DAYS and any left-over .partial files are deleted.
#
#   DATABASE_URL=… BACKUP_DIR=/backups RETENTION_DAYS=14 infra/scripts/db-backup-scheduled.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
: "${DATABASE_URL:?DATABASE_URL is required}"
: "${BACKUP_DIR:?BACKUP_DIR is required}"
retention="${RETENTION_DAYS:-14}"
[[ "$retention" =~ ^[0-9]+$ && "$retention" -ge 1 ]] || {
  echo "db-backup-scheduled: RETENTION_DAYS must be a whole number of days, at least 1" >&2
  exit 2
}
[[ -d "$BACKUP_DIR" && -w "$BACKUP_DIR" ]] || {
  echo "db-backup-scheduled: $BACKUP_DIR is not a writable directory" >&2
  exit 1
}
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
out="$BACKUP_DIR/backup-$(date -u +%Y%m%dT%H%M%SZ).dump"
echo "backup started $started"
bash "$here/db-backup.sh" "$DATABASE_URL" "$out"
# Retention: whole days since the dump was written.
find "$BACKUP_DIR" -maxdepth 1 -name 'backup-*.dump' -mtime +"$((retention - 1))" -print -delete |
  sed 's/^/expired /'
find "$BACKUP_DIR" -maxdepth 1 -name '*.partial' -mmin +60 -print -delete | sed 's/^/removed /'
echo "backups kept: $(find "$BACKUP_DIR" -maxdepth 1 -name 'backup-*.dump' | wc -l)"
