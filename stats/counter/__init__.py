"""COUNTER Release 5 and 5.1 reports: reading what vendors send, in plain modules.

``normalise`` undoes the real-world quirks of SUSHI servers (COUNTER.md §2), ``validation``
checks a JSON report against the official schemas, ``json_reports`` and ``tabular`` read
the JSON and the tabular (TSV, CSV, XLSX) forms into :class:`~stats.counter.report.ParsedReport`,
whose values are in one internal vocabulary (``vocabulary``), ``consistency`` gives the
warnings the Code of Practice's checks call for, ``codes`` says what a harvester does
with each COUNTER exception. ``reading`` is the entry point: bytes in, a parsed report or a
:class:`~stats.counter.report.CounterError` with a French message out.

Why our own reader rather than Celus's libraries (checked on PyPI, December 2026):

- ``celus-nigiri`` (5.4.2, MIT; SUSHI client and C5/C5.1 JSON parser) requires Python
  ≥ 3.12 since 5.0 and the project runs 3.11; the 4.2.x line that still installs is the
  superseded one, and both pull ``python-decouple`` (configuration read from the
  environment at import), ``celus-pycounter``, ``xmltodict``, ``ijson`` and ``chardet``
  for what is here a few hundred lines. Its records carry no schema validation and its
  errors are English strings for Celus's own UI.
- ``celus-nibbler`` (13.x, MIT; tabular reader) also requires Python ≥ 3.12; 12.4.1, the
  last for 3.11, pins ``pydantic~=2.10.6`` and ``typing-extensions~=4.13`` (django-ninja
  here has pydantic 2.14) and brings ``nltk``, ``diskcache``, ``isbnlib`` and ``unidecode``;
  it is built around Celus's parser definitions for non-COUNTER spreadsheets, which we do
  not need.

So the parsers follow the Code of Practice (branch 5.1 of Project-Counter/cop5) directly;
the code table of :mod:`stats.counter.codes` follows nigiri's ``error_codes`` and Celus's
harvesting rules as COUNTER.md summarises them.
"""
