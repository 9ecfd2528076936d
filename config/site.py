"""The web shell: viewflow's frontend Site with the project's applications and navigation."""

from dataclasses import dataclass
from typing import Any

from django.urls import include, path, reverse
from django.views.generic import RedirectView
from viewflow.urls import Application, Site, route

from agencies.roles import (
    CAN_LOG_REFERRAL,
    CAN_REVIEW_BREAK_GLASS,
    CAN_VIEW_AUDIT,
    CAN_VIEW_DASHBOARD,
    CASEWORK,
    SHARING_RECIPIENTS,
)
from cases import views as case_views
from partnership import permissions as partnership_permissions
from partnership import views as partnership_views
from pathways import views as pathway_views


@dataclass(frozen=True)
class MenuLink:
    title: str
    url_name: str
    icon: str
    roles: frozenset[str] | None = None

    @property
    def url(self) -> str:
        return reverse(self.url_name)


class LinkApplication(Application):
    """An application whose menu lists its own pages, filtered by the user's role."""

    menu_template_name = "hsb/app_menu.html"
    menu_links: tuple[MenuLink, ...] = ()

    @property
    def links_for_user(self) -> tuple[MenuLink, ...]:
        return self.menu_links


class WorkApplication(LinkApplication):
    """The "My work" application, at /work/: the pages of `cases` (landing, tasks, cases, the
    case page and its record, referrals, access), in the namespace `cases:`. viewflow names the
    path after `app_name`; the URL names take `namespace`."""

    title = "My work"
    icon = "work"
    app_name = "work"
    namespace = "cases"
    menu_links = (
        MenuLink("Home", "cases:index", "home"),
        MenuLink("My tasks", "cases:tasks", "inbox", CASEWORK),
        MenuLink("My cases", "cases:cases", "folder_shared", CASEWORK),
        # Exactly the roles intake lets record one (`cases.referrals.services.record_referral`).
        MenuLink("Log a referral", "cases:referral_new", "note_add", CAN_LOG_REFERRAL),
        MenuLink("Shared with me", "cases:shared_with_me", "share", SHARING_RECIPIENTS),
        MenuLink("Emergency access", "cases:break_glass", "lock_open", CASEWORK),
        MenuLink(
            "Break-glass reviews", "cases:break_glass_reviews", "policy", CAN_REVIEW_BREAK_GLASS
        ),
    )

    urlpatterns = [
        path("referrals/", include("cases.referrals.urls")),
        path("cases/<int:pk>/", include("cases.record.urls")),
        path("access/", include("cases.access.urls")),
    ]
    index_path = path("", case_views.landing, name="index")
    tasks_path = path("tasks/", case_views.task_inbox, name="tasks")
    cases_path = path("cases/", case_views.case_list, name="cases")
    case_path = path("cases/<int:pk>/", case_views.case_detail, name="case_detail")
    transition_path = path(
        "cases/<int:pk>/transition/", case_views.case_transition, name="case_transition"
    )
    designate_path = path(
        "cases/<int:pk>/lead/", case_views.case_designate_lead, name="case_designate_lead"
    )
    # Where a case's lead practitioner records the child's and family's feedback on the
    # process (statement 3.8): a page of the case, so under "My work"; the view and its rules
    # are the partnership's (`partnership.services.record_process_feedback`).
    process_feedback_path = path(
        "cases/<int:pk>/process-feedback/",
        partnership_views.case_feedback,
        name="case_process_feedback",
    )

    @property
    def urls(self) -> tuple[list[Any], str, str]:
        # Django's application namespace too is `cases`, not the path's `work`: the retired
        # `work:` names fail rather than resolve as an alias.
        patterns, _app_name, namespace = super().urls
        return patterns, namespace, namespace


class AssessmentPages(LinkApplication):
    """The pages of `assessments`, at /work/assessments/ inside "My work" (its title and menu),
    in their own namespace `assessments:`. The site routes it by hand (`site` below), so it is
    no application of its own in the site menu."""

    title = WorkApplication.title
    icon = WorkApplication.icon
    app_name = "assessments"
    menu_links = WorkApplication.menu_links

    urlpatterns = [path("", include("assessments.urls"))]
    index_path = None  # no page at /work/assessments/ itself


class PathwaysApplication(LinkApplication):
    title = "Pathways"
    icon = "account_tree"
    app_name = "pathways_app"
    menu_links = (MenuLink("Pathway definitions", "pathways_app:index", "account_tree"),)

    index_path = path("", pathway_views.pathway_list, name="index")
    version_path = path("versions/<int:pk>/", pathway_views.version_detail, name="version")
    export_path = path("versions/<int:pk>/export/", pathway_views.version_export, name="export")
    diff_path = path("versions/<int:pk>/diff/", pathway_views.version_diff, name="diff")
    publish_path = path("versions/<int:pk>/publish/", pathway_views.version_publish, name="publish")


class PartnershipApplication(LinkApplication):
    """Domain 3 performance from the live records and the HSB framework audit tool.

    Shown to the roles `partnership.permissions` names: analysts (suppressed figures and
    pseudonyms), team managers and HSB coordinators; not to administrators.
    """

    title = "Partnership"
    icon = "insights"
    app_name = "partnership_app"
    permission = staticmethod(partnership_permissions.can_view_partnership)
    menu_links = (
        MenuLink(
            "Dashboard",
            "partnership_app:index",
            "insights",
            CAN_VIEW_DASHBOARD,
        ),
        MenuLink(
            "Audit rounds",
            "partnership_app:rounds",
            "fact_check",
            CAN_VIEW_AUDIT,
        ),
    )

    urlpatterns = [path("", include("partnership.urls"))]
    index_path = path("", partnership_views.dashboard, name="index")


class HsbSite(Site):
    # "/" opens "My work" ("./work/"), as viewflow's derived index did: it follows the first
    # route, which is now the assessment pages' and has no index of its own.
    index_path = path("", RedirectView.as_view(url="./work/"), name="index")


site = HsbSite(
    title="HSB Pathways",
    primary_color="#2b4c7e",
    viewsets=[WorkApplication(), PathwaysApplication(), PartnershipApplication()],
    # Before "work/" (the site routes its viewsets after its own patterns).
    urlpatterns=[route("work/assessments/", AssessmentPages())],
)
