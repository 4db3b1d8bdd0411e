"""Settings for the benchmark server: the production settings plus one reference URL.

Only ``bench/web.py`` uses this module (through ``bench/wsgi_bench.py``); the application
itself never imports it. ``BENCH_STATIC_ROOT`` (set by ``bench/web.py``) collects static
files into a throw-away directory instead of the project's ``staticfiles/``.
"""

import os
from pathlib import Path

from metrobib.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls_bench"

if os.environ.get("BENCH_STATIC_ROOT"):
    STATIC_ROOT = Path(os.environ["BENCH_STATIC_ROOT"])
