"""django-guardian's object-permission backend, honouring the expiry on our own rows.

Guardian has no notion of expiry: a `view_case` row from a grant would say yes for ever.
Our direct foreign-key row (`cases.models.CaseUserObjectPermission`) carries `expires_at`,
and this backend reads only rows in force, so `user.has_perm("cases.view_case", case)` is
False the moment a grant expires, with no job to delete the row. Revoking deletes the row
(`cases.access`). Models whose permission rows have no `expires_at` behave as in guardian.
"""

from typing import Any

from django.contrib.auth.models import Permission
from django.db.models import Model, Q
from guardian.backends import ObjectPermissionBackend, check_support
from guardian.core import ObjectPermissionChecker
from guardian.ctypes import get_content_type
from guardian.exceptions import WrongAppError
from guardian.utils import get_user_obj_perms_model

from .selectors import in_force


class ExpiringObjectPermissionChecker(ObjectPermissionChecker):
    def get_user_perms(self, obj: Model) -> Any:  # codenames (a values_list queryset)
        model = get_user_obj_perms_model(obj)
        if not any(field.name == "expires_at" for field in model._meta.get_fields()):
            return super().get_user_perms(obj)
        if self.user and not self.user.is_active:
            return Permission.objects.none().values_list("codename", flat=True)
        related_name = model.permission.field.related_query_name()  # type: ignore[attr-defined]
        # One filter() call, so the user, object and expiry conditions meet on the same row.
        condition = Q(**self.get_user_filters(obj)) & in_force(prefix=f"{related_name}__")
        return (
            Permission.objects.filter(content_type=get_content_type(obj))
            .filter(condition)
            .values_list("codename", flat=True)
        )


class ExpiringObjectPermissionBackend(ObjectPermissionBackend):
    """Guardian's backend, asking `ExpiringObjectPermissionChecker` instead of its checker."""

    def has_perm(self, user_obj: Any, perm: str, obj: Model | None = None) -> bool:
        support, user_obj = check_support(user_obj, obj)  # type: ignore[arg-type]
        if not support or obj is None:
            return False
        if "." in perm:
            app_label = perm.split(".", 1)[0]
            if app_label not in (obj._meta.app_label, get_content_type(obj).app_label):
                raise WrongAppError(f"{perm} is not a permission of {obj._meta.label}")
        return ExpiringObjectPermissionChecker(user_obj).has_perm(perm, obj)

    def get_all_permissions(self, user_obj: Any, obj: Model | None = None) -> set[str]:
        support, user_obj = check_support(user_obj, obj)  # type: ignore[arg-type]
        if not support or obj is None:
            return set()
        return set(ExpiringObjectPermissionChecker(user_obj).get_perms(obj))
