"""What PostgreSQL enforces beneath the services: the serving role's grants, and the area
context that row-level security reads (cases migration 0007).

Two database roles. Migrations run as the owner role, which owns every table (and so
bypasses row-level security, which is enabled but not forced). The app serves as
`DATABASE_SERVING_ROLE`, which owns nothing: after each `migrate`, `grant_serving_role`
gives it SELECT/INSERT/UPDATE/DELETE on the app's tables, INSERT and SELECT only on the audit
tables, and USAGE on sequences. Owning nothing, it cannot TRUNCATE, ALTER, DROP or disable
triggers anywhere.

The area context is the session setting `app.area_ids` (comma-separated local area ids). A
request sets it from its actor; an unset or empty value is the system context (the worker,
management commands), which sees every row. That is the trade-off of one serving role: code
that runs without a request is trusted like the owner for reads, and is bound instead by the
services it calls.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import Error, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.settings import api_settings

from .authentication import RESOLVED_AUTH_ATTRIBUTE

logger = logging.getLogger(__name__)

AREA_SETTING = "app.area_ids"
# Set, and matches no area: a signed-in user without an area, or an anonymous visitor.
NO_AREA = "-1"
SYSTEM_CONTEXT = ""
# Tables the serving role may only append to and read.
AUDIT_TABLE_PREFIX = "audit_"
# Read only: the serving role never records a migration.
READ_ONLY_TABLES = {"django_migrations"}

_area_ids: ContextVar[str | None] = ContextVar("db_area_ids", default=None)


# --- the area context -----------------------------------------------------------------------


def area_ids_for(user: Any) -> str:
    """The `app.area_ids` value for an actor: their agency's area, else NO_AREA."""
    if user is None or not getattr(user, "is_authenticated", False):
        return NO_AREA
    agency = getattr(user, "agency", None)
    area_id = getattr(agency, "area_id", None)
    return str(area_id) if area_id is not None else NO_AREA


def _apply(connection: BaseDatabaseWrapper, value: str | None, agency_id: int | None = None) -> str:
    """Set the area context and return it: `value`, or the area of agency `agency_id` (NO_AREA
    if none), resolved by the same statement.

    On the DB-API connection, like the time zone Django sets on connecting: two constant
    statements per request are plumbing, not the view's queries, and would otherwise shift
    every pinned query count (`django_assert_num_queries`) by two.
    """
    # What Django's own cursors do first: replace a persistent connection the server dropped
    # (a restart; CONN_HEALTH_CHECKS, once per request), and turn driver errors into Django's,
    # which mark the connection to be closed at the request's end. Without both, a request
    # whose first query is this one meets the dead connection again and again.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors, connection.connection.cursor() as cursor:
        if value is None:
            cursor.execute(
                "SELECT set_config(%s, coalesce((SELECT area_id::text FROM agencies_agency "
                "WHERE id = %s), %s), false)",
                [AREA_SETTING, agency_id, NO_AREA],
            )
        else:
            cursor.execute("SELECT set_config(%s, %s, false)", [AREA_SETTING, value])
        return str(cursor.fetchone()[0])


def current_area_ids(using: str = "default") -> str | None:
    """The setting as the database sees it now (None when never set in this session)."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [AREA_SETTING])
        row = cursor.fetchone()
    return row[0] if row else None


@contextlib.contextmanager
def area_context(
    value: str | None, using: str = "default", *, agency_id: int | None = None
) -> Iterator[None]:
    """Run the block with `app.area_ids` = value (None: the area of agency `agency_id`) on
    the connection, then reset it.

    Session-level (set_config(…, false)), not SET LOCAL: without ATOMIC_REQUESTS Django runs
    a request's reads in autocommit, each statement its own transaction, so a SET LOCAL would
    be gone before the next query. The reset in `finally` keeps a reused (persistent)
    connection from carrying one request's areas into the next; if the reset itself fails the
    connection is closed instead. A connection opened inside the block (after a reconnect)
    gets the value too, from the connection_created receiver below.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    token = _area_ids.set(value)
    try:
        _area_ids.set(_apply(connection, value, agency_id))
        yield
    finally:
        _area_ids.reset(token)
        if connection.connection is not None:
            try:
                _apply(connection, SYSTEM_CONTEXT)
            except Error:  # InterfaceError too: the connection is already closed
                if connection.in_atomic_block:
                    # An aborted transaction: its rollback undoes the set_config made in it.
                    connection.needs_rollback = True
                else:
                    logger.warning("could not reset %s; closing the connection", AREA_SETTING)
                    connection.close()


def _on_connection_created(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    value = _area_ids.get()
    if value is not None and connection.vendor == "postgresql":
        _apply(connection, value)


connection_created.connect(_on_connection_created, dispatch_uid="agencies.db_context.area")


def _token_user(request: HttpRequest) -> Any:
    """The user of an API token request: DRF authenticates inside the view, after middleware,
    so the configured non-session authenticators are asked here (a failure means no user;
    the view answers 401 itself)."""
    drf_request = Request(request)
    authenticator_classes: list[Any] = list(api_settings.DEFAULT_AUTHENTICATION_CLASSES)
    for authenticator_class in authenticator_classes:
        if issubclass(authenticator_class, SessionAuthentication):
            continue
        try:
            result = authenticator_class().authenticate(drf_request)
        except APIException:
            return None
        if result is not None:
            # The view's authenticator reuses it (agencies.authentication).
            setattr(request, RESOLVED_AUTH_ATTRIBUTE, result)
            return result[0]
    return None


class DatabaseAreaMiddleware:
    """Puts the request's actor's area on the database connection for the request.

    After authentication. Every web request gets a set value: the actor's area, or NO_AREA
    for anonymous visitors and users without an area, never the system context.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if connections["default"].vendor != "postgresql":
            return self.get_response(request)
        user = getattr(request, "user", None)
        if not getattr(user, "is_authenticated", False) and "HTTP_AUTHORIZATION" in request.META:
            user = _token_user(request)
        if getattr(user, "is_authenticated", False):
            # The agency's area is looked up by the statement that sets it: one round trip.
            context = area_context(None, agency_id=getattr(user, "agency_id", None))
        else:
            context = area_context(NO_AREA)
        with context:
            return self.get_response(request)


# --- the serving role's grants --------------------------------------------------------------


def serving_role() -> str:
    return str(getattr(settings, "DATABASE_SERVING_ROLE", "hsb_app") or "")


def grant_serving_role(using: str = "default", role: str | None = None) -> bool:
    """Grant the serving role what it may do on every table of the schema; False if skipped.

    Run after every migrate (post_migrate), so tables added later are covered. Revokes first,
    so a table that becomes an audit table loses its UPDATE and DELETE.
    """
    connection = connections[using]
    role = serving_role() if role is None else role
    if connection.vendor != "postgresql" or not role:
        logger.info("serving-role grants skipped: not PostgreSQL or no DATABASE_SERVING_ROLE")
        return False
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            logger.info("serving-role grants skipped: role %r does not exist", role)
            return False
        cursor.execute("SELECT current_user")
        if cursor.fetchone()[0] == role:
            logger.warning("migrating as the serving role %r: it owns the tables", role)
            return False
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "AND tableowner = current_user ORDER BY tablename"
        )
        tables = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT current_schema()")
        schema = quote(cursor.fetchone()[0])
        statements = [f"GRANT USAGE ON SCHEMA {schema} TO {quote(role)}"]
        for table in tables:
            if table.startswith(AUDIT_TABLE_PREFIX):
                privileges = "SELECT, INSERT"
            elif table in READ_ONLY_TABLES:
                privileges = "SELECT"
            else:
                privileges = "SELECT, INSERT, UPDATE, DELETE"
            statements += [
                f"REVOKE ALL ON TABLE {quote(table)} FROM {quote(role)}",
                f"GRANT {privileges} ON TABLE {quote(table)} TO {quote(role)}",
            ]
        statements.append(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {quote(role)}")
        cursor.execute(";\n".join(statements))
    logger.info("granted serving role %r access to %d tables", role, len(tables))
    return True


def grant_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    grant_serving_role(using=using)
