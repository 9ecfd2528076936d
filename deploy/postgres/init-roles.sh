#!/bin/sh
# The two database roles of a deployment, created by the official postgres image on the db
# service's first start (an empty data volume): it runs /docker-entrypoint-initdb.d/*.sh as
# the cluster superuser. Neither role is a superuser.
#
#   hsb_owner  owns the database and every table: `manage.py migrate` runs as it (the compose
#              `migrate` service). It bypasses row-level security, as owners do.
#   hsb_app    the serving role (`web`, `worker`): owns nothing. Each migrate grants it
#              SELECT/INSERT/UPDATE/DELETE on the app's tables and only INSERT/SELECT on the
#              audit tables (agencies/db_context.py); it cannot TRUNCATE, ALTER or DROP
#              anything, nor disable a trigger, and row-level security binds it.
#
# Passwords come from .env (DATABASE_OWNER_PASSWORD, DATABASE_APP_PASSWORD).
set -eu

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v db="$POSTGRES_DB" \
    -v owner_password="$DATABASE_OWNER_PASSWORD" \
    -v app_password="$DATABASE_APP_PASSWORD" <<'SQL'
CREATE ROLE hsb_owner LOGIN PASSWORD :'owner_password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
CREATE ROLE hsb_app LOGIN PASSWORD :'app_password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
-- The owner of the database owns its public schema (PostgreSQL 15+): it creates the tables.
ALTER DATABASE :"db" OWNER TO hsb_owner;
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO hsb_app;
-- The app's queries are short OLTP reads and writes. JIT compiled a case list's COUNT for
-- 318 of its 390 ms at 100,000 cases (the planner overestimates the visible rows), so the
-- serving role never compiles (config/settings/base.py also asks for it per connection).
ALTER ROLE hsb_app SET jit = off;
SQL
