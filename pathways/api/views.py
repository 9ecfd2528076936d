"""The pathway definitions API: read by practitioners of the pathway's area, changed only by
its pathway editors (`pathways.permissions`).

Each view calls one selector or service; the services check the actor against the object,
validate, write and audit. Another area's pathway or version is a 404, like a missing one.
"""

from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..definitions import DefinitionShapeError
from ..diff import changes_as_text
from ..models import PathwayVersion
from ..permissions import area_of, can_edit_pathways
from ..selectors import (
    pathways_list,
    pathways_visible_to,
    sole_local_area,
    version_changes,
    version_definition,
    versions_list,
    versions_of,
    versions_visible_to,
)
from ..services import create_draft_version, publish_version, update_draft_version
from ..validation import validate_definition
from ..yaml_io import dump_yaml
from .serializers import (
    DefinitionInputSerializer,
    DefinitionSourceSerializer,
    DiffQuerySerializer,
    DiffSerializer,
    ErrorSerializer,
    ImportSerializer,
    PathwayDefinitionSerializer,
    PathwaySerializer,
    ValidationResultSerializer,
    VersionDetailSerializer,
    VersionListSerializer,
    read_definition,
)

TAGS = ["pathways"]
ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Bad input; `fields` or `problems` say why."),
    403: OpenApiResponse(ErrorSerializer, description="Only pathway editors may do this."),
    404: OpenApiResponse(ErrorSerializer, description="No such version."),
}
CONFLICT = {409: OpenApiResponse(ErrorSerializer, description="The version is published.")}


class PathwayEditorOrReadOnly(BasePermission):
    """Reads for any signed-in user; writes for HSB coordinators and system administrators."""

    message = "Only HSB coordinators and system administrators may change pathway definitions."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or can_edit_pathways(request.user)


class PathwayList(generics.ListAPIView):
    serializer_class = PathwaySerializer

    def get_queryset(self) -> Any:
        return pathways_list(self.request.user)

    @extend_schema(tags=TAGS, summary="Pathways, each with a summary of its versions")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class PathwayDetail(generics.RetrieveAPIView):
    serializer_class = PathwaySerializer

    def get_queryset(self) -> Any:
        return pathways_list(self.request.user)

    @extend_schema(tags=TAGS, summary="One pathway with a summary of its versions")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class PathwayVersionList(generics.ListAPIView):
    serializer_class = VersionListSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reads the model only
            return PathwayVersion.objects.none()
        pathway = get_object_or_404(pathways_visible_to(self.request.user), pk=self.kwargs["pk"])
        return versions_of(self.request.user, pathway)

    @extend_schema(
        tags=TAGS,
        summary="A pathway's versions, newest first",
        parameters=[
            OpenApiParameter("id", int, OpenApiParameter.PATH, description="The pathway's id.")
        ],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class VersionDetail(generics.GenericAPIView):
    serializer_class = VersionDetailSerializer
    permission_classes = [PathwayEditorOrReadOnly]

    def get_queryset(self) -> Any:
        return versions_list(self.request.user)

    @extend_schema(
        tags=TAGS,
        summary="A version: status, number and its definition in the canonical shape",
        responses={200: VersionDetailSerializer, 404: ERRORS[404]},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(VersionDetailSerializer(self.get_object()).data)

    @extend_schema(
        tags=TAGS,
        summary="Replace a draft's definition",
        request=DefinitionInputSerializer,
        responses={200: VersionDetailSerializer, **ERRORS, **CONFLICT},
    )
    def put(self, request: Request, pk: int) -> Response:
        version = self.get_object()
        serializer = DefinitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = update_draft_version(
            version=version, definition=serializer.validated_data["parsed"], actor=request.user
        )
        return Response(VersionDetailSerializer(version).data)


class VersionImport(APIView):
    permission_classes = [PathwayEditorOrReadOnly]

    @extend_schema(
        tags=TAGS,
        summary="Import YAML as a new draft version (of a new pathway if its key is new)",
        request=ImportSerializer,
        responses={201: VersionDetailSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    )
    def post(self, request: Request) -> Response:
        serializer = ImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        area = data["area"] or area_of(request.user) or sole_local_area()
        if area is None:
            raise ValidationError(
                {"area": ["Name the local area to import into; there is not just one."]}
            )
        version = create_draft_version(
            area=area,
            definition=data["parsed"],
            actor=request.user,
            notes=data["notes"],
        )
        return Response(VersionDetailSerializer(version).data, status=status.HTTP_201_CREATED)


class ValidateDefinition(APIView):
    # Validating writes nothing, so any practitioner may check a definition.
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Check a definition (YAML or JSON) without saving it",
        request=DefinitionSourceSerializer,
        responses={200: ValidationResultSerializer, 400: ERRORS[400]},
    )
    def post(self, request: Request) -> Response:
        serializer = DefinitionSourceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            problems = [
                problem.as_dict()
                for problem in validate_definition(read_definition(serializer.validated_data))
            ]
        except DefinitionShapeError as error:
            problems = [{"code": "shape", **item} for item in error.errors]
        return Response({"valid": not problems, "problems": problems})


class VersionExport(generics.GenericAPIView):
    serializer_class = VersionDetailSerializer

    def get_queryset(self) -> Any:
        return versions_visible_to(self.request.user).select_related("pathway")

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The export is always YAML; errors stay JSON even for `Accept: text/yaml`.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=TAGS,
        summary="The version's definition as canonical YAML",
        # Typed as the definition it encodes: YAML is read back as that object.
        responses={(200, "text/yaml"): PathwayDefinitionSerializer, 404: ERRORS[404]},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        version = self.get_object()
        response = HttpResponse(
            dump_yaml(version_definition(version)), content_type="text/yaml; charset=utf-8"
        )
        filename = f"{version.pathway.key}-v{version.number}.yaml"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class VersionPublish(generics.GenericAPIView):
    serializer_class = VersionDetailSerializer
    permission_classes = [PathwayEditorOrReadOnly]

    def get_queryset(self) -> Any:
        return versions_visible_to(self.request.user)

    @extend_schema(
        tags=TAGS,
        summary="Publish a draft; from then on it never changes",
        request=None,
        responses={200: VersionDetailSerializer, **ERRORS, **CONFLICT},
    )
    def post(self, request: Request, pk: int) -> Response:
        version = publish_version(version=self.get_object(), actor=request.user)
        return Response(VersionDetailSerializer(version).data)


class VersionDiff(generics.GenericAPIView):
    serializer_class = DiffSerializer

    def get_queryset(self) -> Any:
        return versions_visible_to(self.request.user).select_related("pathway")

    @extend_schema(
        tags=TAGS,
        summary="What changed from the `against` version to this one",
        parameters=[DiffQuerySerializer],
        responses={200: DiffSerializer, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request: Request, pk: int) -> Response:
        version = self.get_object()
        query = DiffQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        changes = version_changes(
            actor=request.user, version=version, against=query.validated_data["against"]
        )
        return Response(
            {
                "changes": [change.as_dict() for change in changes],
                "text": changes_as_text(changes),
            }
        )
