from typing import Any

from django.core.management.base import BaseCommand, CommandError

from demo.area import DEMO_PASSWORD, USERS, load_demo_area
from demo.safety import REFUSAL, under_production_settings


class Command(BaseCommand):
    help = "Load the invented Northwold demo area (idempotent) and print the demo logins."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--referrals", type=int, default=32)

    def handle(self, *args: Any, referrals: int, **options: Any) -> None:
        if under_production_settings():
            raise CommandError(REFUSAL)
        result = load_demo_area(referrals=referrals)
        self.stdout.write(
            f"Demo area '{result['area'].name}': pathway v{result['version'].number}, "
            f"{result['children_created']} new children (all invented); "
            f"{result['overdue_flagged']} overdue stage(s) flagged."
        )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for spec in USERS:
            self.stdout.write(f"  {spec.username:<14} {spec.job_title} ({spec.role})")
