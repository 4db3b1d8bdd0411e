"""The union catalogue: works, their editions (records) from every library, and copies."""

from django.db import models

from catalogue.records import Audience, DocType
from network.models import Library, Site


class Work(models.Model):
    """Editions of one work grouped by :mod:`catalogue.dedup`. The descriptive fields are
    copied from a representative record and refreshed whenever the group changes."""

    title = models.CharField("titre", max_length=500)
    main_author = models.CharField("auteur", max_length=255, blank=True)
    doc_type = models.CharField("type de document", max_length=20, choices=DocType.CHOICES)
    year = models.SmallIntegerField("année", null=True, blank=True)  # the earliest edition's
    record_count = models.PositiveIntegerField("éditions et notices", default=0)
    library_count = models.PositiveSmallIntegerField("bibliothèques", default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "œuvre"
        verbose_name_plural = "œuvres"

    def __str__(self):
        return self.title


class Record(models.Model):
    """One library's description of an edition, normalised from its source record."""

    source = models.OneToOneField(
        "connectors.SourceRecord", on_delete=models.CASCADE, related_name="record"
    )
    library = models.ForeignKey(
        Library, verbose_name="bibliothèque", on_delete=models.CASCADE, related_name="records"
    )
    work = models.ForeignKey(
        Work, verbose_name="œuvre", on_delete=models.PROTECT, related_name="records", null=True
    )
    title = models.CharField("titre", max_length=500)
    subtitle = models.CharField("complément du titre", max_length=500, blank=True)
    part = models.CharField("partie", max_length=255, blank=True)
    responsibility = models.CharField("mention de responsabilité", max_length=500, blank=True)
    authors = models.JSONField(
        "auteurs", default=list, blank=True
    )  # [{name, role, role_code, kind}]
    main_author = models.CharField("auteur principal", max_length=255, blank=True)
    publisher = models.CharField("éditeur", max_length=255, blank=True)
    place = models.CharField("lieu de publication", max_length=255, blank=True)
    year = models.SmallIntegerField("année", null=True, blank=True)
    isbns = models.JSONField("ISBN", default=list, blank=True)
    eans = models.JSONField("EAN", default=list, blank=True)
    issns = models.JSONField("ISSN", default=list, blank=True)
    language = models.CharField("langue", max_length=3, blank=True)
    doc_type = models.CharField("type de document", max_length=20, choices=DocType.CHOICES)
    audience = models.CharField("public", max_length=10, choices=Audience.CHOICES, blank=True)
    subjects = models.JSONField("sujets", default=list, blank=True)
    summary = models.TextField("résumé", blank=True)
    series = models.JSONField("collections", default=list, blank=True)
    contents = models.TextField("table des matières", blank=True)
    warnings = models.JSONField("remarques de lecture", default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "notice"
        verbose_name_plural = "notices"
        indexes = [
            # OAI-PMH lists records by datestamp, for the whole catalogue or one library.
            models.Index(fields=["updated_at", "id"], name="record_datestamp"),
            models.Index(fields=["library", "updated_at", "id"], name="record_set_datestamp"),
        ]

    def __str__(self):
        return self.title


class RecordKey(models.Model):
    """A key deduplication matches on: an identifier or the normalised title key, always
    prefixed by the document type so that different types never meet."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="keys")
    key = models.CharField(max_length=255, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "key"], name="recordkey_unique")]

    def __str__(self):
        return self.key


class Item(models.Model):
    """A copy, as the library's system described it at the last harvest."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="items")
    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="items")
    site = models.ForeignKey(
        Site,
        verbose_name="lieu",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="items",
    )
    site_code = models.CharField("code de lieu dans la source", max_length=40, blank=True)
    barcode = models.CharField("code-barres", max_length=64, blank=True)
    source_item_id = models.CharField(
        "identifiant dans le système", max_length=64, blank=True
    )  # Koha's itemnumber (952$9, 995$9): what ILS-DI answers about
    call_number = models.CharField("cote", max_length=120, blank=True)
    section = models.CharField("section", max_length=120, blank=True)
    status = models.CharField("statut dans la source", max_length=120, blank=True)
    loan_category = models.CharField("catégorie de prêt", max_length=64, blank=True)
    available = models.BooleanField("en rayon", null=True)

    class Meta:
        verbose_name = "exemplaire"
        verbose_name_plural = "exemplaires"

    def __str__(self):
        return self.barcode or self.call_number or f"exemplaire {self.pk}"


class WorkIndex(models.Model):
    """A work's search document: the part every engine shares. Written only by
    :mod:`catalogue.search`, which adds what its engine needs beside it (a weighted
    ``tsvector`` and facet tokens on PostgreSQL, an FTS5 table and a facet table on SQLite).
    """

    work = models.OneToOneField(
        Work, primary_key=True, on_delete=models.CASCADE, related_name="search_document"
    )
    title_key = models.CharField(max_length=255)  # folded title: exact and prefix matches, sort
    # The analysed terms of the work's own title, space-separated with a space before and
    # after (the ranking looks for " term "), and how many there are.
    title_terms = models.CharField(max_length=500, blank=True)
    title_words = models.PositiveSmallIntegerField(default=0)
    author_key = models.CharField(max_length=255, blank=True)  # folded main author: sort
    year = models.SmallIntegerField(null=True, blank=True)
    library_count = models.PositiveSmallIntegerField(default=0)
    available_count = models.PositiveIntegerField(default=0)  # copies on the shelf at a site
    # Static rank, the tie-breaker of relevance: libraries holding the work, then its year.
    rank = models.IntegerField(default=0)
    sample = models.SmallIntegerField(default=0)  # 0-999, stable: facet estimates on big sets

    class Meta:
        # The rank index is each engine's own (migration 0004): PostgreSQL's carries what
        # ranking a broad query needs, so that it is read without the table.
        indexes = [
            models.Index(fields=["title_key", "work"], name="workindex_title"),
            models.Index(fields=["author_key", "work"], name="workindex_author"),
            models.Index(fields=["-year", "work"], name="workindex_year"),
            models.Index(fields=["sample"], name="workindex_sample"),
        ]

    def __str__(self):
        return self.title_key


class PendingIndex(models.Model):
    """A work whose search document must be written again. Harvest batches queue the
    works they change, in their own transaction (so a killed run loses none), and the
    documents are written once per work when the run ends: a popular work changed by
    every batch is not described again each time. A run killed before its end leaves
    its works queued for the next run's end (or ``rebuild_search_index``)."""

    work_id = models.BigIntegerField(primary_key=True)

    def __str__(self):
        return str(self.work_id)


class FacetToken(models.Model):
    """A facet token ("t:book", "b:12", "u:Finances publiques") and its number: each
    search document keeps its work's facet tokens as these numbers, and a query's facets
    are counted over them (:mod:`catalogue.search.facet_ids`). A token keeps its number
    for good: rows are only ever added."""

    id = models.AutoField(primary_key=True)  # stored as 4 bytes in the documents
    token = models.TextField(unique=True)

    def __str__(self):
        return self.token


class SearchTerm(models.Model):
    """The catalogue's own vocabulary (folded words of titles and authors, unstemmed),
    with how many works use each: what "Vouliez-vous dire…" suggests from."""

    term = models.CharField(max_length=64, primary_key=True)
    works = models.PositiveIntegerField(default=0)

    def __str__(self):
        return self.term


class MergedWork(models.Model):
    """A work that deduplication merged into another: its permanent URL leads there."""

    old_id = models.BigIntegerField(primary_key=True)
    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="+")

    def __str__(self):
        return f"{self.old_id} → {self.work_id}"


class DeletedRecord(models.Model):
    """A record removed from the catalogue, kept for OAI-PMH harvesters
    (``deletedRecord: persistent``): its identifier, its library (the set) and when."""

    record_id = models.BigIntegerField(primary_key=True)  # the former Record's id
    # The library keeps its tombstones; a library deleted from the network leaves them,
    # with the set they were in (its slug then), so full harvests still learn of them.
    library = models.ForeignKey(
        Library, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_spec = models.CharField(max_length=200, blank=True)
    formats = models.JSONField(default=list)  # metadata prefixes it was disseminated in
    deleted_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["library", "deleted_at", "record_id"], name="deletedrecord_set")
        ]

    def __str__(self):
        return str(self.record_id)
