"""Areas are walls for pathway definitions (issue 12, item 4).

A coordinator (or administrator with an agency) imports, edits, publishes, diffs and migrates
only their own area's pathways; another area's pathway or version answers exactly like one
that does not exist. The installation's set-up administrator (no agency) loads pathways in any
area but migrates no cases.
"""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory, UserFactory
from audit.models import AuditEvent
from cases.process.migration import apply_case_migration, plan_case_migration
from pathways.exceptions import MigrationNotPossible
from pathways.models import Pathway, PathwayVersion, VersionStatus
from pathways.permissions import (
    NotAPathwayEditor,
    PathwayNotFound,
    can_edit_pathway,
    can_migrate_cases,
)
from pathways.selectors import version_changes
from pathways.services import create_draft_version, publish_version, update_draft_version
from pathways.tests.factories import DEFAULT_PATHWAY_YAML, default_definition

pytestmark = pytest.mark.django_db

DEFAULT_TEXT = DEFAULT_PATHWAY_YAML.read_text(encoding="utf-8")
MISSING = 987654


@pytest.fixture
def south(db):
    return LocalAreaFactory(name="Southmere")


@pytest.fixture
def south_coordinator(south):
    return UserFactory(role=Role.HSB_COORDINATOR, agency=AgencyFactory(area=south))


@pytest.fixture
def set_up_admin(db):
    return UserFactory(role=Role.SYSTEM_ADMINISTRATOR, agency=None)


@pytest.fixture
def south_published(south, south_coordinator):
    draft = create_draft_version(
        area=south, definition=default_definition(), actor=south_coordinator
    )
    return publish_version(version=draft, actor=south_coordinator)


@pytest.fixture
def south_draft(south, south_coordinator, south_published):
    return create_draft_version(
        area=south, definition=default_definition(), actor=south_coordinator
    )


@pytest.fixture
def api(coordinator):
    client = APIClient()
    client.force_authenticate(coordinator)
    return client


def _api(name, *args):
    return reverse(f"api:pathways:{name}", args=args)


# --- the rule ---------------------------------------------------------------------------------


def test_the_rule_names_the_area(
    coordinator, south_coordinator, set_up_admin, default_version, south_published, make_user
):
    north_admin = make_user(Role.SYSTEM_ADMINISTRATOR)
    lead = make_user(Role.LEAD_PRACTITIONER)
    north, south = default_version.pathway, south_published.pathway

    assert can_edit_pathway(coordinator, north) and not can_edit_pathway(coordinator, south)
    assert can_edit_pathway(north_admin, north) and not can_edit_pathway(north_admin, south)
    assert can_edit_pathway(set_up_admin, north) and can_edit_pathway(set_up_admin, south)
    assert not can_edit_pathway(lead, north)
    assert can_migrate_cases(coordinator, north) and not can_migrate_cases(coordinator, south)
    assert not can_migrate_cases(set_up_admin, north)


# --- the API ----------------------------------------------------------------------------------


def test_the_pathway_list_shows_only_the_own_area(api, default_version, south_published):
    listed = {row["id"] for row in api.get(_api("pathway-list")).json()["results"]}

    assert listed == {default_version.pathway_id}


@pytest.mark.parametrize(
    "route",
    ["pathway-detail", "pathway-versions"],
)
def test_another_areas_pathway_reads_like_a_missing_one(api, south_published, route):
    theirs = api.get(_api(route, south_published.pathway_id))
    missing = api.get(_api(route, MISSING))

    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


@pytest.mark.parametrize(
    ("method", "route", "body"),
    [
        ("get", "version-detail", None),
        ("get", "version-export", None),
        ("put", "version-detail", {"yaml": DEFAULT_TEXT}),
        ("post", "version-publish", None),
        ("get", "version-diff", "against-self"),
    ],
)
def test_another_areas_version_reads_and_writes_like_a_missing_one(
    api, south_draft, method, route, body
):
    def call(pk):
        data = {"against": pk} if body == "against-self" else body
        kwargs = {"format": "json"} if method != "get" else {}
        return getattr(api, method)(_api(route, pk), data, **kwargs)

    theirs, missing = call(south_draft.pk), call(MISSING)

    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    south_draft.refresh_from_db()
    assert south_draft.status == VersionStatus.DRAFT
    assert not AuditEvent.objects.filter(
        action__in=["pathway.version_edited", "pathway.version_published"],
        object_id=str(south_draft.pk),
    ).exists()


def test_a_diff_against_another_areas_version_named_in_the_query_is_not_found(
    api, default_version, south_published
):
    theirs = api.get(_api("version-diff", default_version.pk), {"against": south_published.pk})
    missing = api.get(_api("version-diff", default_version.pk), {"against": MISSING})

    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


def test_importing_into_another_area_is_not_found_and_their_pathway_stays_as_it_was(
    api, south, south_published
):
    response = api.post(
        _api("version-import"), {"area": south.pk, "yaml": DEFAULT_TEXT}, format="json"
    )

    assert response.status_code == 404
    assert list(south_published.pathway.versions.all()) == [south_published]


def test_a_practitioner_sees_no_other_areas_pathway_and_may_not_change_their_own(
    make_user, default_version, south_published
):
    client = APIClient()
    client.force_authenticate(make_user(Role.LEAD_PRACTITIONER))

    assert client.get(_api("version-detail", default_version.pk)).status_code == 200
    assert client.get(_api("version-detail", south_published.pk)).status_code == 404
    assert client.post(_api("version-publish", default_version.pk)).status_code == 403


def test_the_set_up_administrator_loads_and_publishes_in_any_area(set_up_admin, south):
    client = APIClient()
    client.force_authenticate(set_up_admin)

    created = client.post(
        _api("version-import"), {"area": south.pk, "yaml": DEFAULT_TEXT}, format="json"
    )
    published = client.post(_api("version-publish", created.json()["id"]))

    assert created.status_code == 201
    assert published.status_code == 200
    assert Pathway.objects.get(area=south).versions.get().status == VersionStatus.PUBLISHED


def test_a_user_with_no_agency_who_is_not_an_administrator_sees_no_pathway(default_version):
    analyst = UserFactory(role=Role.ANALYST, agency=None)
    client = APIClient()
    client.force_authenticate(analyst)

    assert client.get(_api("pathway-list")).json()["results"] == []
    assert client.get(_api("version-detail", default_version.pk)).status_code == 404


# --- the services -----------------------------------------------------------------------------


def test_the_services_refuse_another_areas_version_as_not_found(coordinator, south, south_draft):
    with pytest.raises(PathwayNotFound):
        update_draft_version(
            version=south_draft, definition=default_definition(), actor=coordinator
        )
    with pytest.raises(PathwayNotFound):
        publish_version(version=south_draft.pk, actor=coordinator)
    with pytest.raises(PathwayNotFound):
        create_draft_version(area=south, definition=default_definition(), actor=coordinator)
    with pytest.raises(PathwayNotFound):
        version_changes(actor=coordinator, version=south_draft, against=south_draft)

    assert PathwayVersion.objects.get(pk=south_draft.pk).status == VersionStatus.DRAFT


def test_a_role_that_may_not_edit_is_refused_on_its_own_area(make_user, area, default_version):
    with pytest.raises(NotAPathwayEditor):
        create_draft_version(
            area=area, definition=default_definition(), actor=make_user(Role.TEAM_MANAGER)
        )


# --- migrating cases --------------------------------------------------------------------------


def test_another_areas_versions_cannot_be_migrated_and_read_like_missing_ones(
    coordinator, south_published, south_draft
):
    publish_version(version=south_draft, actor=None)

    with pytest.raises(MigrationNotPossible) as theirs:
        plan_case_migration(
            source=south_published, target=south_draft, stage_mapping={}, actor=coordinator
        )
    with pytest.raises(MigrationNotPossible) as missing:
        plan_case_migration(source=MISSING, target=MISSING + 1, stage_mapping={}, actor=coordinator)
    with pytest.raises(MigrationNotPossible):
        apply_case_migration(
            source=south_published,
            target=south_draft,
            stage_mapping={},
            actor=coordinator,
            reason="Adopting v2",
        )

    assert theirs.value.code == missing.value.code
    assert "No pathway version" in theirs.value.message


def test_the_set_up_administrator_migrates_no_cases(set_up_admin, south_published, south_draft):
    publish_version(version=south_draft, actor=set_up_admin)

    with pytest.raises(NotAPathwayEditor):
        plan_case_migration(
            source=south_published, target=south_draft, stage_mapping={}, actor=set_up_admin
        )


def test_the_areas_coordinator_plans_its_own_migration(
    south_coordinator, south_published, south_draft
):
    publish_version(version=south_draft, actor=south_coordinator)

    plan = plan_case_migration(
        source=south_published, target=south_draft, stage_mapping={}, actor=south_coordinator
    )

    assert plan.problems == []


def test_migrate_cases_with_an_actor_of_another_area_refuses(
    coordinator, south_published, south_draft
):
    publish_version(version=south_draft, actor=None)

    with pytest.raises(CommandError, match="No pathway version"):
        call_command(
            "migrate_cases",
            "--from-version",
            str(south_published.pk),
            "--to-version",
            str(south_draft.pk),
            "--actor",
            coordinator.username,
        )


def test_load_pathway_with_an_actor_of_another_area_imports_nothing(tmp_path, coordinator, south):
    path = tmp_path / "pathway.yaml"
    path.write_text(DEFAULT_TEXT)

    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command(
            "load_pathway", str(path), "--area", south.name, "--actor", coordinator.username
        )

    assert not Pathway.objects.filter(area=south).exists()


# --- the pages and the admin ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["version", "export", "diff"])
def test_another_areas_version_pages_are_not_found(client, coordinator, south_published, name):
    client.force_login(coordinator)

    response = client.get(
        reverse(f"pathways_app:{name}", args=[south_published.pk]), {"against": south_published.pk}
    )

    assert response.status_code == 404


def test_publishing_another_areas_version_from_the_page_is_not_found(
    client, coordinator, south_draft
):
    client.force_login(coordinator)

    response = client.post(reverse("pathways_app:publish", args=[south_draft.pk]))

    assert response.status_code == 404
    south_draft.refresh_from_db()
    assert south_draft.status == VersionStatus.DRAFT


def test_the_pathway_list_page_names_no_other_area(client, coordinator, default_version, south):
    south_version = create_draft_version(area=south, definition=default_definition(), actor=None)
    client.force_login(coordinator)

    page = client.get(reverse("pathways_app:index")).content.decode()

    assert f"/versions/{default_version.pk}/" in page
    assert f"/versions/{south_version.pk}/" not in page


def test_the_admin_lists_and_opens_only_the_own_areas_versions(
    client, make_user, default_version, south_draft
):
    from django.contrib.auth.models import Permission

    admin_with_agency = make_user(Role.SYSTEM_ADMINISTRATOR, is_staff=True)
    admin_with_agency.user_permissions.set(
        Permission.objects.filter(content_type__app_label="pathways")
    )
    client.force_login(admin_with_agency)

    listing = client.get(reverse("admin:pathways_pathwayversion_changelist"))
    theirs = client.get(reverse("admin:pathways_pathwayversion_change", args=[south_draft.pk]))
    missing = client.get(reverse("admin:pathways_pathwayversion_change", args=[MISSING]))

    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [default_version]
    # Django's admin answers a missing object with a redirect and a message: the same for both.
    assert (theirs.status_code, theirs.get("Location")) == (
        missing.status_code,
        missing.get("Location"),
    )
