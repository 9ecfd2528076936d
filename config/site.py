"""The web shell: viewflow's frontend Site with the project's applications and navigation."""

from dataclasses import dataclass

from django.urls import include, path, reverse
from viewflow.urls import Application, Site

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
    title = "My work"
    icon = "work"
    app_name = "work"
    menu_links = (
        MenuLink("Home", "work:index", "home"),
        MenuLink("My tasks", "work:tasks", "inbox", CASEWORK),
        MenuLink("My cases", "work:cases", "folder_shared", CASEWORK),
        # Exactly the roles intake lets record one (`cases.referrals.services.record_referral`).
        MenuLink("Log a referral", "work:referral_new", "note_add", CAN_LOG_REFERRAL),
        MenuLink("Shared with me", "work:shared_with_me", "share", SHARING_RECIPIENTS),
        MenuLink("Emergency access", "work:break_glass", "lock_open", CASEWORK),
        MenuLink(
            "Break-glass reviews", "work:break_glass_reviews", "policy", CAN_REVIEW_BREAK_GLASS
        ),
    )

    urlpatterns = [
        path("referrals/", include("cases.referrals.urls")),
        path("cases/<int:pk>/", include("cases.record.urls")),
        path("assessments/", include("assessments.urls")),
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


site = Site(
    title="HSB Pathways",
    primary_color="#2b4c7e",
    viewsets=[WorkApplication(), PathwaysApplication(), PartnershipApplication()],
)
