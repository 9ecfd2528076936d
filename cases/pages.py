"""What the case pages share (`cases.views`, `cases.record`, `cases.access`): the page size, the
case a user may see or a 404, and a domain error shown on the form that caused it. Below every
page module, so none of them imports another's views for these."""

from django import forms
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from core.errors import DomainError

from .models import Case
from .selectors import cases_visible_to

PAGE_SIZE = 25


def visible_case(request: HttpRequest, pk: int) -> Case:
    # A case outside the user's selector is a 404, never a 403: no leaking of existence.
    return get_object_or_404(cases_visible_to(request.user), pk=pk)


def show_errors(form: forms.Form, error: DomainError) -> None:
    """The error's field messages on the form's fields (the rest on the form), or its message."""
    for field, errors in error.fields.items():
        for message in errors:
            form.add_error(field if field in form.fields else None, message)
    if not error.fields:
        form.add_error(None, error.message)
