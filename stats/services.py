"""Writing active members: the import of a file, all or nothing."""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from network.models import Library
from stats.members_csv import fold, parse_members
from stats.models import ActiveMembers
from stats.permissions import libraries_for_members

log = logging.getLogger(__name__)


class ActiveMembersImportError(Exception):
    """The file was refused; ``errors`` says why, one French line per rejected row."""

    def __init__(self, errors: list[str]):
        super().__init__(f"{len(errors)} ligne(s) refusée(s)")
        self.errors = errors


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def import_active_members(data: bytes, *, actor) -> ImportResult:
    """Create or update the active members of each line of a file (see
    ``stats.members_csv``). A library's administrators may import their own library's
    lines only. If any line is refused, nothing is written and
    :class:`ActiveMembersImportError` lists every refused line."""
    libraries = {}
    for pk, slug, name in Library.objects.values_list("pk", "slug", "name"):
        libraries[fold(name)] = (pk, name)
        libraries[fold(slug)] = (pk, name)
    allowed = set(libraries_for_members(actor).values_list("pk", flat=True))
    rows, errors = parse_members(data, libraries, allowed, timezone.localdate().year)
    if errors:
        raise ActiveMembersImportError(errors)
    created = updated = 0
    with transaction.atomic():
        for row in rows:
            _, was_created = ActiveMembers.objects.update_or_create(
                library_id=row.library_id, year=row.year, defaults={"count": row.count}
            )
            created += was_created
            updated += not was_created
    log.info("active members imported by %s: %s created, %s updated", actor, created, updated)
    return ImportResult(created, updated)
