"""Templates are compiled once per process: Django's cached loader, under production settings.

Django wraps the filesystem and app loaders in its cached loader when TEMPLATES sets no
'loaders' (whatever DEBUG says, since Django 4.1). A 'loaders' entry added without it would
read and parse every template (and each one it extends or includes) again on every page
(issue 15).
"""

from django.template import engines

from tests.test_production_settings import run_manage

SHOW_LOADERS = (
    "from django.template import engines; "
    "print([type(loader).__module__ + '.' + type(loader).__name__ "
    "for loader in engines['django'].engine.template_loaders])"
)
CACHED = "django.template.loaders.cached.Loader"


def test_production_settings_use_the_cached_template_loader() -> None:
    result = run_manage("shell", "--no-imports", "-c", SHOW_LOADERS)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == f"['{CACHED}']"


def test_the_cached_loader_wraps_the_project_and_app_template_directories() -> None:
    (cached,) = engines["django"].engine.template_loaders
    wrapped = [type(loader).__module__ + "." + type(loader).__name__ for loader in cached.loaders]

    assert type(cached).__module__ + "." + type(cached).__name__ == CACHED
    assert wrapped == [
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]
