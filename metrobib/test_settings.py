"""Settings for the test suite: the real settings, with tasks run inline and fast hashing."""

import os

os.environ.setdefault("DEBUG", "1")

from metrobib.settings import *  # noqa: E402, F403

TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "harvest"],
    }
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
HARVEST_PARSE_PROCESSES = 0  # parsed in the test's process; one test turns the pool on
