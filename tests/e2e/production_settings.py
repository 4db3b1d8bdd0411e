"""The production settings, servable by ``runserver --insecure`` without collectstatic.

Used only by the e2e ``production_url`` server, to see the pages visitors get with DEBUG
off (the portal's own 404 page, not Django's technical one).
"""

from metrobib.settings import *  # noqa: F403
from metrobib.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
