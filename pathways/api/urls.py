from django.urls import path

from . import views

app_name = "pathways"
urlpatterns = [
    path("", views.PathwayList.as_view(), name="pathway-list"),
    path("<int:pk>/", views.PathwayDetail.as_view(), name="pathway-detail"),
    path("<int:pk>/versions/", views.PathwayVersionList.as_view(), name="pathway-versions"),
    path("validate/", views.ValidateDefinition.as_view(), name="validate"),
    path("versions/import/", views.VersionImport.as_view(), name="version-import"),
    path("versions/<int:pk>/", views.VersionDetail.as_view(), name="version-detail"),
    path("versions/<int:pk>/export/", views.VersionExport.as_view(), name="version-export"),
    path("versions/<int:pk>/publish/", views.VersionPublish.as_view(), name="version-publish"),
    path("versions/<int:pk>/diff/", views.VersionDiff.as_view(), name="version-diff"),
]
