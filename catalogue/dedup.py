"""Grouping editions into works.

Two records belong to the same work when they share a **key**, and works are the
connected components of the graph records × keys (so the result does not depend on the
order records arrive in, which is what makes an interrupted harvest end like an
uninterrupted one). Keys are:

- identifiers: ISBN-13, EAN, ISSN — an identifier names one edition, so one work;
- a normalised title key: the title (and part, for volumes) without leading article,
  punctuation, case or accents, with the first author's surname — so two editions of a
  work with different ISBNs meet.

Every key starts with the document type, so a book and its film adaptation, or a novel
and its audio recording, never meet. A volume ("Tome 2") carries its part in every key,
because the set's ISBN printed in each volume must not merge the volumes. A record with
no author is only grouped by its identifiers, and by its title key when the title is
long enough to be distinctive and the publisher agrees ("Bulletin" alone groups nothing).

Precision and recall are measured on a labelled set of real pairs
(``tests/data/dedup/pairs.csv``, ``tests/catalogue/test_dedup_quality.py``).
"""

import re
import unicodedata
from collections.abc import Hashable, Iterable

from django.db import connection
from django.db.models import Count, Min
from django.utils import timezone

from catalogue.models import MergedWork, Record, RecordKey, Work
from catalogue.records import NormalisedRecord

# Leading articles dropped from titles (French first, then the languages libraries hold most).
_ARTICLES = (
    "l'", "le ", "la ", "les ", "un ", "une ", "des ", "du ", "de la ", "de l'",
    "the ", "a ", "an ", "der ", "die ", "das ", "ein ", "eine ", "el ", "los ", "las ",
    "il ", "lo ", "gli ", "i ", "o ", "os ", "as ",
)  # fmt: skip
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_MIN_ANONYMOUS_TITLE_WORDS = 4  # shorter titles without author are too common to match alone
_DISTINCTIVE_TITLE_WORDS = 3  # a shorter title ("Perl") needs its subtitle to be matched
# "and" in every language libraries catalogue in: "Pride & prejudice" is "Pride and prejudice".
_CONJUNCTIONS = frozenset({"and", "et", "und", "y", "e", "en"})
# Subtitles that name a genre, not a work: "Germinal : roman" is "Germinal".
_GENERIC_SUBTITLES = re.compile(
    r"^(a )?(roman|novel|recit|conte|contes|nouvelle|nouvelles|poeme|poemes|poesie|poesies|"
    r"piece|theatre|comedie|tragedie|drame|essai|essais|recueil|album|bd|bande dessinee|"
    r"roman policier|roman graphique|a novel)\b"
)
# A retelling is its own work: "retold by Joanna Strange", "adapté par Fern Siegel".
_ADAPTATION = re.compile(
    r"\b(?:abridged|retold|adapted|simplified|adaptation|abrege|abregee|raconte|racontee|"
    r"adapte|adaptee|bearbeitet|nacherzahlt)\b(?: [a-z]+){0,3}? (?:by|par|de|von) ([a-z -]+)"
)


def fold(text: str) -> str:
    """Lowercase, accents removed, œ/æ spelt out, punctuation to single spaces."""
    # U+FFFD stands for a byte the source's encoding lost: drop it, do not split the word.
    text = text.replace("\ufffd", "").replace("œ", "oe").replace("Œ", "oe")
    text = text.replace("æ", "ae").replace("Æ", "ae")
    text = text.lower()
    if not text.isascii():
        # Accents go with the decomposition; keys are made of a-z and digits only.
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_WORD.sub(" ", text).strip()


_FOLDED_ARTICLES = tuple((article, fold(article).strip() + " ") for article in _ARTICLES)


def title_for_key(title: str) -> str:
    folded = fold(title.replace("’", "'").replace("&", " and "))
    lowered = title.replace("’", "'").lower().lstrip()
    for article, unaccented in _FOLDED_ARTICLES:
        if lowered.startswith(article) and folded.startswith(unaccented):
            folded = folded[len(unaccented) :]
            break
    # Singular and plural meet ("Orgueil et préjugé", "Orgueil et préjugés").
    return " ".join(
        w[:-1] if len(w) > 3 and w.endswith("s") else w
        for w in folded.split()
        if w not in _CONJUNCTIONS
    )


def adapter(responsibility: str) -> str:
    """The surname of whoever abridged, retold or adapted the work, from the statement of
    responsibility ("Jane Austen ; retold by Joanna Strange" → "strange"), or ""."""
    for statement in re.split(r"[;,/=.]", responsibility):
        match = _ADAPTATION.search(fold(statement))
        if match:
            words = re.split(r" (?:and|et|und|with|avec) ", match.group(1))[0].split()
            return words[-1] if words else ""
    return ""


def surname(name: str) -> str:
    """The first word of the heading ("Austen, Jane" → "austen")."""
    head = name.split(",", 1)[0]
    words = fold(head).split()
    return words[0] if words else ""


def record_keys(record: NormalisedRecord) -> list[str]:
    """The keys ``record`` is matched on (see the module's docstring)."""
    kind = record.doc_type
    part = fold(record.part)
    suffix = f"|{part}" if part else ""
    keys = [f"isbn:{kind}:{isbn}{suffix}" for isbn in record.isbns]
    keys += [f"ean:{kind}:{ean}{suffix}" for ean in record.eans]
    keys += [f"issn:{kind}:{issn}{suffix}" for issn in record.issns]
    retold = adapter(record.responsibility)
    if retold:
        who = f"|adapted:{retold}"
    elif record.authors:
        who = f"|{surname(record.authors[0].name)}"
    else:
        who = ""
    for title in title_variants(record):
        if who:
            keys.append(f"t:{kind}:{title}{suffix}{who}"[:255])
        elif len(title.split()) >= _MIN_ANONYMOUS_TITLE_WORDS and record.publisher:
            publisher = title_for_key(record.publisher).split()
            if publisher:
                keys.append(f"t:{kind}:{title}{suffix}|@{publisher[0]}"[:255])
    return list(dict.fromkeys(keys))


def title_variants(record: NormalisedRecord) -> list[str]:
    """The title forms a record is matched on: the title with its subtitle (catalogues
    split "title : subtitle" differently), the title alone when it is distinctive enough
    or the subtitle only names a genre, and the uniform title (translations meet there)."""
    title = title_for_key(record.title)
    subtitle = title_for_key(record.subtitle)
    variants = []
    if title:
        variants.append(f"{title} {subtitle}".strip())
        if subtitle and (
            len(record.title.split()) >= _DISTINCTIVE_TITLE_WORDS
            or _GENERIC_SUBTITLES.match(subtitle)
        ):
            variants.append(title)
    uniform = title_for_key(record.uniform_title)
    if uniform:
        variants.append(uniform)
    return variants


# ----------------------------------------------------------------------------- clustering


class _Union:
    def __init__(self):
        self.parent: dict = {}

    def find(self, node):
        self.parent.setdefault(node, node)
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # Keep the smallest node as root so the result is deterministic.
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra

    def groups(self) -> dict:
        out: dict = {}
        for node in list(self.parent):
            out.setdefault(self.find(node), []).append(node)
        return out


Entry = tuple[int | None, list[str]]  # (the record's current work or None, its keys)


def assign_works(entries: dict[Hashable, Entry]) -> tuple[dict[Hashable, int], set[int]]:
    """Decide the work of each entry (a record being stored: ``("r", pk)`` when it exists,
    any other sortable token when it is not saved yet), given its keys; records of earlier
    batches are found through their saved keys. Works an entry bridges are merged into the
    oldest (their records moved, the others deleted); entries matching nothing get new
    works (created here, in one query). Returns each entry's work and the works whose
    membership changed, to refresh. (An entry's own saved keys lead to its own work only.)"""

    if not entries:
        return {}, set()
    union = _Union()
    by_key: dict[str, Hashable] = {}
    for token, (work_id, keys) in entries.items():
        union.find(token)
        if work_id is not None:
            union.union(("w", work_id), token)
        for key in keys:
            if key in by_key:
                union.union(by_key[key], token)
            else:
                by_key[key] = token
    for key, work_id in _matching_works(set(by_key)):
        if work_id is not None:
            union.union(by_key[key], ("w", work_id))
    assignment: dict[Hashable, int] = {}
    touched: set[int] = set()
    gone: set[int] = set()
    new_groups: list[list[Hashable]] = []
    for members in union.groups().values():
        works = sorted(node[1] for node in members if node[0] == "w")
        tokens = [node for node in members if node[0] != "w"]
        if not works:
            new_groups.append(tokens)
            continue
        target, others = works[0], works[1:]
        if others:
            # A record's work is part of its description (its permanent URL): a new
            # datestamp tells OAI-PMH harvesters.
            Record.objects.filter(work_id__in=others).update(
                work_id=target, updated_at=timezone.now()
            )
            _merged_into(others, target)
            Work.objects.filter(pk__in=others).delete()
            gone.update(others)
            touched.add(target)
        for token in tokens:
            assignment[token] = target
            current = entries[token][0]
            if current != target:
                touched.add(target)
                if current is not None:
                    touched.add(current)
    if new_groups:
        created = Work.objects.bulk_create([Work(title="", doc_type="") for _ in new_groups])
        for work, tokens in zip(created, new_groups, strict=True):
            for token in tokens:
                assignment[token] = work.pk
                if entries[token][0] is not None:
                    touched.add(entries[token][0])
            touched.add(work.pk)
    return assignment, touched - gone


def _merged_into(old_ids: list[int], target: int) -> None:
    """The permanent URLs of merged works lead to the work that absorbed them (and the
    works merged into those before, too)."""
    MergedWork.objects.filter(work_id__in=old_ids).update(work_id=target)
    MergedWork.objects.bulk_create(
        [MergedWork(old_id=old_id, work_id=target) for old_id in old_ids],
        update_conflicts=True,
        unique_fields=["old_id"],
        update_fields=["work"],
    )


def _matching_works(keys: set[str], size: int = 2000) -> Iterable[tuple[str, int]]:
    """(key, work) pairs of saved records holding these keys: one row per work, however
    many libraries hold it (a popular title's key is shared by dozens of records)."""
    keys = sorted(keys)
    for start in range(0, len(keys), size):
        yield from (
            RecordKey.objects.filter(key__in=keys[start : start + size])
            .values_list("key", "record__work_id")
            .order_by()
            .distinct()
        )


def split_works(work_ids: Iterable[int]) -> set[int]:
    """Re-check works whose records changed or left: a work whose records no longer share
    keys is split (the part holding its oldest record keeps the id); an empty work is
    deleted. Returns the works to refresh."""

    work_ids = set(work_ids)
    if not work_ids:
        return set()
    records = dict(Record.objects.filter(work_id__in=work_ids).values_list("pk", "work_id"))
    empty = work_ids - set(records.values())
    if empty:
        Work.objects.filter(pk__in=empty).delete()
    union = _Union()
    by_key: dict[tuple[int, str], int] = {}
    for record_id in records:
        union.find(record_id)
    for record_id, key in RecordKey.objects.filter(record_id__in=records).values_list(
        "record_id", "key"
    ):
        seen = by_key.setdefault((records[record_id], key), record_id)
        union.union(seen, record_id)
    touched = work_ids - empty
    groups_by_work: dict[int, list[list[int]]] = {}
    for members in union.groups().values():
        groups_by_work.setdefault(records[members[0]], []).append(sorted(members))
    for groups in groups_by_work.values():
        if len(groups) < 2:
            continue
        groups.sort()
        for group in groups[1:]:
            new = Work.objects.create(title="", doc_type="")
            Record.objects.filter(pk__in=group).update(work_id=new.pk, updated_at=timezone.now())
            touched.add(new.pk)
    return touched


def refresh_works(work_ids: Iterable[int]) -> None:
    """Copy each work's description from its oldest record; count records and libraries;
    delete works left empty. Per thousand works: one pass over their records to aggregate,
    one read of their first records, one batch of updates."""

    work_ids = sorted(set(work_ids))
    for start in range(0, len(work_ids), 1000):
        chunk = work_ids[start : start + 1000]
        stats = {
            row[0]: row[1:]
            for row in Record.objects.filter(work_id__in=chunk)
            .order_by()
            .values("work_id")
            .annotate(
                first=Min("pk"),
                year=Min("year"),
                records=Count("pk"),
                libraries=Count("library_id", distinct=True),
            )
            .values_list("work_id", "first", "year", "records", "libraries")
        }
        empty = set(chunk) - set(stats)
        if empty:
            Work.objects.filter(pk__in=empty).delete()
        firsts = {
            pk: (title, author, doc_type)
            for pk, title, author, doc_type in Record.objects.filter(
                pk__in=[first for first, *_ in stats.values()]
            ).values_list("pk", "title", "main_author", "doc_type")
        }
        rows = []
        for work_id, (first, year, records, libraries) in stats.items():
            title, author, doc_type = firsts[first]
            rows.append((title[:500], author, doc_type, year, records, libraries, work_id))
        table = connection.ops.quote_name(Work._meta.db_table)
        with connection.cursor() as cursor:
            # The table's name comes from the model; every value is a parameter.
            sql = (
                f"UPDATE {table} SET title = %s, main_author = %s, doc_type = %s, "  # noqa: S608
                "year = %s, record_count = %s, library_count = %s WHERE id = %s"
            )
            cursor.executemany(sql, rows)
        from catalogue import search  # search documents are built from the works' records

        search.queue_works(stats)


def settle(touched: Iterable[int], *, changed: Iterable[int] = (), left_works: Iterable[int] = ()):
    """After records were assigned (``touched``: the works :func:`assign_works` changed;
    ``changed``: records that existed before, whose keys may have changed) or removed
    (the works they left): split the works that no longer hold together, refresh the rest.
    """

    changed = list(changed)
    recheck = set(left_works)
    if changed:
        recheck |= set(Record.objects.filter(pk__in=changed).values_list("work_id", flat=True))
    refresh_works(set(touched) | split_works(recheck))
