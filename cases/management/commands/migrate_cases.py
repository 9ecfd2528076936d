"""Move open cases from one published pathway version to a later one (dry run by default)."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.process.migration import apply_case_migration, plan_case_migration
from core.errors import DomainError


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        old, new = old.strip(), new.strip()
        if not sep or not old or not new:
            raise CommandError(f"--map expects old_stage=new_stage, got '{pair}'.")
        if mapping.get(old, new) != new:
            raise CommandError(f"Stage '{old}' is mapped twice ({mapping[old]} and {new}).")
        mapping[old] = new
    return mapping


class Command(BaseCommand):
    help = (
        "Plan (and with --apply, perform) moving every open case on one published pathway "
        "version to a later version, mapping each old stage key to a new one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from-version", type=int, required=True, metavar="ID")
        parser.add_argument("--to-version", type=int, required=True, metavar="ID")
        parser.add_argument(
            "--map",
            nargs="+",
            action="extend",
            default=[],
            metavar="OLD=NEW",
            help="Stage key mapping; repeat or list several. Unmapped stages cannot move.",
        )
        parser.add_argument("--apply", action="store_true", help="Migrate (default: dry run).")
        parser.add_argument("--reason", default="", help="Why; required with --apply.")
        parser.add_argument(
            "--skip-unmovable",
            action="store_true",
            help="With --apply, leave cases that cannot move on the old version.",
        )
        parser.add_argument(
            "--actor", metavar="USERNAME", help="Recorded as the actor (default: system)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        mapping = parse_mapping(options["map"])
        source, target = options["from_version"], options["to_version"]
        # With --actor the plan, too, is limited to what that user may migrate: their area's.
        actor = None
        if options["actor"]:
            try:
                actor = get_user_model().objects.get(username=options["actor"])
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"No user '{options['actor']}'.") from exc
        try:
            plan = plan_case_migration(
                source=source, target=target, stage_mapping=mapping, actor=actor
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(plan.report())
        if not options["apply"]:
            self.stdout.write("Dry run: nothing changed. Add --apply --reason '...' to migrate.")
            return
        if not options["reason"].strip():
            raise CommandError("--apply needs --reason.")
        try:
            result = apply_case_migration(
                source=source,
                target=target,
                stage_mapping=mapping,
                actor=actor,
                reason=options["reason"],
                skip_unmovable=options["skip_unmovable"],
            )
        except DomainError as exc:
            raise CommandError(f"{exc.message} Nothing was migrated.") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Migrated {len(result.migrated)} case(s); "
                f"left {len(result.skipped)} on version {source}."
            )
        )
