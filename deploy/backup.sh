#!/bin/sh
# Back up HSB Pathways: the database and the audit chain's anchors, as one timestamped set.
#
#   deploy/backup.sh BACKUP_DIR
#
# Writes into BACKUP_DIR (created if missing, files readable by the caller only):
#
#   hsb-<UTC time>.anchors.tar   the newest BACKUP_ANCHORS (100) anchor files of AUDIT_ANCHOR_DIR
#   hsb-<UTC time>.dump          pg_dump --format=custom of the database (restore: pg_restore)
#   hsb-<UTC time>.sha256        SHA-256 of both, written last: a set without it is incomplete
#
# Each file is written under a temporary name and renamed when complete, so a backup that
# fails half way never leaves a file that looks like a backup. Exits non-zero on any failure.
#
# Environment:
#   DATABASE_URL      postgres://hsb_owner@host:5432/hsb — the OWNER role: it owns every
#                     table and so bypasses row-level security. The serving role (hsb_app)
#                     cannot take a backup: it may not read sequences, and pg_dump stops
#                     rather than dump around rows that row-level security hides. The URL
#                     reaches pg_dump's command line: keep the password in PGPASSWORD or
#                     ~/.pgpass. Without DATABASE_URL, libpq's PGHOST, PGPORT, PGUSER,
#                     PGDATABASE and PGPASSWORD.
#   AUDIT_ANCHOR_DIR  where the sealer writes anchors (default var/audit-anchors).
#   BACKUP_ANCHORS    how many of the newest anchors go with each backup (default 100).
#   PG_DUMP           the pg_dump command (default pg_dump; it must be the server's major
#                     version or newer), e.g. "docker compose exec -T db pg_dump -U hsb_owner hsb"
#                     (the dump is read from its standard output, so a prefix like this works).
#   PG_RESTORE        the pg_restore command used to read the dump's table of contents back
#                     (default pg_restore; "docker compose exec -T db pg_restore" works too).
#
# The chain keys (AUDIT_CHAIN_KEYS) and SECRET_KEY are deliberately NOT backed up here: they
# belong in the council's secret store, apart from the dumps (README, "Backups and restore").
set -eu

usage() {
    echo "usage: $0 BACKUP_DIR" >&2
    exit 2
}

[ $# -eq 1 ] || usage
backup_dir=$1
anchor_dir=${AUDIT_ANCHOR_DIR:-var/audit-anchors}
pg_dump_cmd=${PG_DUMP:-pg_dump}
pg_restore_cmd=${PG_RESTORE:-pg_restore}
anchors_kept=${BACKUP_ANCHORS:-100}

# The dump holds children's records: no other user on this host may read it.
umask 077

fail() {
    echo "backup FAILED: $*" >&2
    exit 1
}

if [ -n "${DATABASE_URL:-}" ]; then
    case $DATABASE_URL in
        postgres://* | postgresql://*) ;;
        *) fail "DATABASE_URL is not a postgres:// URL (SQLite is backed up by copying its file)" ;;
    esac
    # libpq reads a URI as the database name; PGDATABASE and friends are then ignored.
    set -- --dbname="$DATABASE_URL"
else
    set --
fi

[ -d "$anchor_dir" ] || fail "AUDIT_ANCHOR_DIR $anchor_dir is not a directory"
mkdir -p "$backup_dir"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
name=hsb-$stamp
dump=$backup_dir/$name.dump
anchors=$backup_dir/$name.anchors.tar
sums=$backup_dir/$name.sha256
for target in "$dump" "$anchors" "$sums"; do
    [ ! -e "$target" ] || fail "$target already exists (two backups in one second?)"
done

partial_dump=$backup_dir/.$name.dump.partial
partial_anchors=$backup_dir/.$name.anchors.tar.partial
partial_sums=$backup_dir/.$name.sha256.partial
staging=
cleanup() {
    rm -f "$partial_dump" "$partial_anchors" "$partial_sums"
    [ -z "$staging" ] || rm -rf "$staging"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Anchors first, then the database: every anchor in the tar was exported after its seal
# committed and before the dump's snapshot was taken, so the dump must hold each seal they
# name (check_backup fails otherwise). The other order could save an anchor the dump misses.
# The newest anchors only: the sealer may write one every 10 seconds, and the full history
# (millions of files within a year) is kept by the off-host anchor store, not by each
# backup. Copied before archiving, skipping an empty file: the sealer may have just created
# its newest anchor and not yet written it (the one before it names an earlier seal).
[ -r "$anchor_dir" ] && [ -x "$anchor_dir" ] || fail "cannot read AUDIT_ANCHOR_DIR $anchor_dir"
staging=$(mktemp -d "$backup_dir/.$name.anchors.XXXXXX") || fail "could not make a staging directory"
# Anchor names are audit-anchor-<seq>-<UTC time>.json: no spaces, and they sort by seq.
newest=$(
    cd "$anchor_dir" &&
        find . -maxdepth 1 -type f -name 'audit-anchor-*.json' -size +0c |
        sed 's|^\./||' | sort | tail -n "$anchors_kept"
) || fail "could not list the anchors in $anchor_dir"
count=0
for anchor in $newest; do
    cp -p "$anchor_dir/$anchor" "$staging/" || fail "could not copy $anchor"
    count=$((count + 1))
done
if [ "$count" -eq 0 ]; then
    echo "backup: WARNING: no anchor in $anchor_dir; is the sealer running?" >&2
fi
tar -C "$staging" -cf "$partial_anchors" . || fail "could not archive the anchors"

# Word splitting of PG_DUMP is intended: it may be a command with arguments.
# shellcheck disable=SC2086
$pg_dump_cmd --format=custom --no-password "$@" >"$partial_dump" ||
    fail "pg_dump exited with status $?"
[ -s "$partial_dump" ] || fail "pg_dump wrote nothing"
# A dump whose table of contents cannot be read back is no backup (a truncated file, a
# client/server version mismatch): pg_restore --list reads the whole archive header and TOC.
# shellcheck disable=SC2086
$pg_restore_cmd --list <"$partial_dump" >/dev/null ||
    fail "pg_restore cannot read the dump back"

if command -v sha256sum >/dev/null 2>&1; then
    sha256() { sha256sum; }
else
    sha256() { shasum -a 256; }
fi
digest() {
    sum=$(sha256 <"$1" | awk '{ print $1 }')
    # POSIX sh has no pipefail: a failed checksum shows as a missing or short digest.
    [ ${#sum} -eq 64 ] || fail "could not compute the SHA-256 of $1"
    echo "$sum"
}
dump_sum=$(digest "$partial_dump")
anchors_sum=$(digest "$partial_anchors")
# The final names, so `sha256sum -c` works in BACKUP_DIR once the set is complete.
printf '%s  %s\n' "$dump_sum" "$name.dump" "$anchors_sum" "$name.anchors.tar" >"$partial_sums"

# On disk before the renames make the set look complete.
sync
mv "$partial_anchors" "$anchors"
mv "$partial_dump" "$dump"
mv "$partial_sums" "$sums"
sync

size() { wc -c <"$1" | tr -d ' '; }
echo "backup written to $backup_dir:"
echo "  $name.dump          $(size "$dump") bytes (pg_dump custom format)"
echo "  $name.anchors.tar   $(size "$anchors") bytes (anchors: $count)"
echo "  $name.sha256        (check with: cd $backup_dir && sha256sum -c $name.sha256)"
