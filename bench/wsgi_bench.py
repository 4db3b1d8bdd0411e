"""WSGI entry point for the benchmark: the project's ``metrobib.wsgi`` application, run with
``bench.settings_bench`` (the production settings plus the ``/bench/bare/`` reference URL)."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings_bench"

from metrobib.wsgi import application  # noqa: E402

__all__ = ["application"]
