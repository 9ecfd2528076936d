from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.restore import RestoreCheckError, admin_server, check_backup, choose_anchor


class Command(BaseCommand):
    help = (
        "Restore a pg_dump backup (deploy/backup.sh) into a scratch database, verify its audit "
        "trail against the latest anchor (as verify_audit_trail does), print row counts of key "
        "tables, then drop the scratch database. Exits non-zero unless the restore and the "
        "verification both succeed. Needs AUDIT_CHAIN_KEYS and a role with CREATEDB."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("dump", type=Path, help="A pg_dump --format=custom file.")
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--anchor-dir",
            type=Path,
            metavar="DIR",
            help="Check against the newest anchor in DIR (default: AUDIT_ANCHOR_DIR).",
        )
        which.add_argument(
            "--anchor",
            type=Path,
            metavar="FILE",
            help="Check against this anchor file (e.g. the newest one saved with the backup).",
        )
        parser.add_argument(
            "--admin-url",
            metavar="URL",
            help=(
                "postgres:// URL of a role that may create databases (default: "
                "RESTORE_CHECK_DATABASE_URL, else the server and role of DATABASE_URL)."
            ),
        )
        parser.add_argument(
            "--keep",
            action="store_true",
            help="Keep the scratch database afterwards (its name is printed) to inspect it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dump: Path = options["dump"]
        try:
            anchor = choose_anchor(anchor_file=options["anchor"], anchor_dir=options["anchor_dir"])
            result = check_backup(
                dump,
                anchor=anchor,
                admin=admin_server(options["admin_url"]),
                keep=options["keep"],
                progress=self.stdout.write,
            )
        except RestoreCheckError as exc:
            raise CommandError(f"backup check FAILED for {dump.name}: {exc}") from exc
        self.stdout.write(result.verification)
        for title, count in result.counts.items():
            self.stdout.write(f"  {title}: {count}")
        for note in result.notes:
            self.stderr.write(f"NOTE: {note}")
        self.stdout.write(
            self.style.SUCCESS(
                f"backup check passed: {dump.name} restores, and its audit trail is intact "
                f"up to seal {result.chain.head_seq}, including anchored seal {anchor.seq}"
            )
        )
