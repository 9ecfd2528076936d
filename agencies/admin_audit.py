"""Every write in the Django admin appends an audit event.

Role and agency changes, an authenticator's removal, a tool or a pathway draft edited, a
lockout reset: the admin bypasses the services, so each ModelAdmin (ours and the third-party
ones re-registered in agencies/admin.py) extends AuditedModelAdmin, which records what the
administrator added, changed or deleted, with the changed fields' names and new values.
Secrets (password hashes, device keys, token digests) are named, never copied.

The admin runs each save or delete in one transaction, and the event is written in it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.forms import BaseFormSet, ModelForm
from django.http import HttpRequest, HttpResponse

from audit.services import record_event

# Fields whose values never go into the trail, only their names.
SECRET_FIELDS = frozenset({"password", "key", "bin_key", "digest", "token_key", "secret"})
VALUE_MAX = 200


def _shown(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, QuerySet | list | tuple | set):
        return sorted(_shown(item) for item in value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)[:VALUE_MAX]


def changed_fields(form: ModelForm | None) -> dict[str, Any]:
    """The changed fields of an admin form: new values, with secrets withheld."""
    if form is None or not hasattr(form, "cleaned_data"):
        return {}
    changes: dict[str, Any] = {}
    for name in form.changed_data:
        if name in SECRET_FIELDS or "password" in name:
            changes[name] = "(changed)"
        else:
            changes[name] = _shown(form.cleaned_data.get(name))
    return changes


def record_admin_event(
    *, request: HttpRequest, verb: str, obj: models.Model, changes: dict[str, Any] | None = None
) -> None:
    record_event(
        actor=request.user,
        action=f"admin.{verb}",
        target=obj,
        changes={"model": obj._meta.label_lower, **(changes or {})},
    )


class AuditedModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose saves, inline edits and deletions append audit events."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        record_admin_event(
            request=request,
            verb="changed" if change else "added",
            obj=obj,
            changes=changed_fields(form),
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        # Recorded first: after the delete the object no longer has its id.
        record_admin_event(request=request, verb="deleted", obj=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            record_admin_event(request=request, verb="deleted", obj=obj)
        super().delete_queryset(request, queryset)

    def save_related(
        self, request: HttpRequest, form: Any, formsets: list[BaseFormSet], change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        for formset in formsets:
            self._record_inline_writes(request, formset)

    @staticmethod
    def _record_inline_writes(request: HttpRequest, formset: Any) -> None:
        forms_by_instance = {id(f.instance): f for f in getattr(formset, "forms", [])}
        for obj in getattr(formset, "new_objects", []):
            record_admin_event(
                request=request,
                verb="added",
                obj=obj,
                changes=changed_fields(forms_by_instance.get(id(obj))),
            )
        for obj, _names in getattr(formset, "changed_objects", []):
            record_admin_event(
                request=request,
                verb="changed",
                obj=obj,
                changes=changed_fields(forms_by_instance.get(id(obj))),
            )
        for obj in getattr(formset, "deleted_objects", []):
            # Django has deleted it already and cleared its id; the form still holds it.
            form = forms_by_instance.get(id(obj))
            if obj.pk is None and form is not None:
                obj.pk = form.initial.get(obj._meta.pk.attname)
            record_admin_event(
                request=request, verb="deleted", obj=obj, changes={"was": str(obj)[:VALUE_MAX]}
            )


def audited(base: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    """A third-party ModelAdmin class with AuditedModelAdmin's events mixed in."""
    return type(f"Audited{base.__name__}", (AuditedModelAdmin, base), {"__module__": __name__})


def reregister_audited(site: admin.AdminSite, model: type[models.Model]) -> None:
    if not site.is_registered(model):
        return
    base = type(site.get_model_admin(model))
    site.unregister(model)
    site.register(model, audited(base))


def password_set_event(request: HttpRequest, user: Any, response: HttpResponse) -> None:
    """The admin's set-password page saves through its own form, not save_model."""
    if request.method == "POST" and response.status_code == 302:
        record_admin_event(
            request=request, verb="changed", obj=user, changes={"password": "(changed)"}
        )
