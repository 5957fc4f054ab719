#!/bin/sh
# Back up one journeyops workspace while every process keeps running.
# - SQL store (SQLite): sqlite3's online backup, a consistent copy of a live WAL database.
# - Warehouse (DuckDB): a read-only connection copies it with EXPORT DATABASE; it waits
#   while an ingest holds the file, which is short.
# - Insight store (embedded Chroma): its folder, copied under the writers' file lock so no
#   ingest adds rows half way through the copy.
# A PostgreSQL store is backed up with pg_dump instead (see docs/deploying.md).
set -eu
HOME_DIR="${JOURNEYOPS_HOME:?set JOURNEYOPS_HOME}"
OUT="${BACKUP_DIR:?set BACKUP_DIR}/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
if [ -f "$HOME_DIR/journeyops.sqlite" ]; then
  sqlite3 "$HOME_DIR/journeyops.sqlite" ".backup '$OUT/journeyops.sqlite'"
fi
if [ -f "$HOME_DIR/checkpoints.sqlite" ]; then
  sqlite3 "$HOME_DIR/checkpoints.sqlite" ".backup '$OUT/checkpoints.sqlite'"
fi
if [ -f "$HOME_DIR/warehouse.duckdb" ]; then
  duckdb -readonly "$HOME_DIR/warehouse.duckdb" -c "EXPORT DATABASE '$OUT/warehouse' (FORMAT parquet)"
fi
if [ -d "$HOME_DIR/chroma" ]; then
  flock "$HOME_DIR/chroma/.write.lock" tar -C "$HOME_DIR" -czf "$OUT/chroma.tar.gz" chroma
fi
cp -p "$HOME_DIR/web-secret" "$OUT/" 2>/dev/null || true
echo "backup written to $OUT"
