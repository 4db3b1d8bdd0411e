import datetime

from django.core.exceptions import ValidationError
from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from editorial.blocks import BodyBlock, HomeBlock, SelectionBlock

HOME_EVENTS = 12  # the most any "prochaines animations" block shows


class HomePage(Page):
    intro = RichTextField("introduction", blank=True, features=["bold", "italic", "link"])
    body = StreamField(HomeBlock(), verbose_name="contenu", blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    max_count = 1
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = "page d'accueil"

    def serve(self, request, *args, **kwargs):
        # The busiest page lists the sites open now: served by the page cache until the
        # next opening or closing, like the site list.
        from metrobib.pagecache import cached_response
        from network.views import current_time

        now = current_time()

        def build():
            response = super(HomePage, self).serve(request, *args, **kwargs)
            response.render()
            return response, response.context_data["valid_until"]

        return cached_response(request, "home", now, build)

    def get_context(self, request, *args, **kwargs):
        from django.db.models import Exists, OuterRef

        from agenda.filters import AgendaFilters
        from agenda.models import NetworkOperation, Occurrence
        from agenda.selectors import list_occurrences
        from network import hours
        from network.filters import SiteFilters
        from network.selectors import list_sites
        from network.views import current_time

        context = super().get_context(request, *args, **kwargs)
        now = current_time()
        results = list_sites(SiteFilters(), now)
        open_sites = [r for r in results if r.status.is_open]
        context["open_sites"] = open_sites[:6]
        context["open_count"] = len(open_sites)
        upcoming = list(
            list_occurrences(AgendaFilters(), now).exclude(status="annulee")[:HOME_EVENTS]
        )
        context["upcoming_events"] = upcoming
        context["latest_news"] = latest(NewsPage, 6)
        context["latest_selections"] = latest(SelectionPage, 6)
        to_come = Occurrence.objects.filter(
            event__operations=OuterRef("pk"), event__published=True, ends_at__gt=now
        )
        context["operations"] = list(NetworkOperation.objects.filter(Exists(to_come)))
        # Every site counts, closed ones too: the list changes when one of them opens; the
        # events listed change when any of them ends (the list is by start: an exhibition
        # listed first may end last).
        moments = [hours.valid_until((r.status for r in results), now)]
        moments += [o.ends_at for o in upcoming]
        context["valid_until"] = min(moments)
        return context


def latest(model, count: int) -> list[Page]:
    """The newest live, public pages of a kind, with the library that signs them."""
    pages = model.objects.live().public().order_by("-first_published_at")[:count]
    return list(pages)


class StandardPage(Page):
    """Legal notice, privacy, accessibility statement… pages whose URLs never change."""

    intro = models.CharField("chapeau", max_length=300, blank=True)
    body = StreamField(BodyBlock(), verbose_name="contenu", blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = Page.search_fields

    class Meta:
        verbose_name = "page simple"
        verbose_name_plural = "pages simples"


class SiteMapPage(Page):
    """The human site map (plan du site), generated from the page tree and the sites."""

    max_count = 1

    class Meta:
        verbose_name = "plan du site"

    def get_context(self, request, *args, **kwargs):
        from network.models import Site

        context = super().get_context(request, *args, **kwargs)
        home = self.get_parent()
        context["tree"] = page_tree(home.specific)
        context["sites"] = Site.objects.select_related("commune").order_by("commune__name", "name")
        return context


def page_tree(root: Page, depth: int = 3) -> list[dict]:
    """Live, public pages below ``root`` as nested dicts (for the site map)."""
    descendants = (
        root.get_descendants()
        .live()
        .public()
        .filter(depth__lte=root.depth + depth)
        .order_by("path")
    )
    nodes: dict[str, dict] = {root.path: {"page": root, "children": []}}
    for page in descendants:
        node = {"page": page, "children": []}
        parent_path = page.path[: -Page.steplen]
        if parent_path in nodes:
            nodes[parent_path]["children"].append(node)
            nodes[page.path] = node
    return nodes[root.path]["children"]


class LibraryIndexPage(Page):
    """The network's libraries (/reseau/); each library's page lives below it."""

    intro = RichTextField("introduction", blank=True, features=["bold", "italic", "link"])
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["editorial.LibraryPage"]
    max_count = 1

    class Meta:
        verbose_name = "index des bibliothèques"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["library_pages"] = (
            LibraryPage.objects.child_of(self)
            .live()
            .select_related("library")
            .prefetch_related("library__sites__commune", "library__communes")
            .order_by("title")
        )
        return context


class LibraryPage(Page):
    """A library's own page, edited by its staff; later issues add its events and news."""

    library = models.OneToOneField(
        "network.Library",
        verbose_name="bibliothèque",
        on_delete=models.PROTECT,
        related_name="page",
    )
    intro = RichTextField("présentation", blank=True, features=["bold", "italic", "link", "ul"])
    body = StreamField(BodyBlock(), verbose_name="contenu", blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("library", permission="network.change_library"),
        FieldPanel("intro"),
        FieldPanel("body"),
    ]
    parent_page_types = ["editorial.LibraryIndexPage"]
    subpage_types = ["editorial.NewsPage", "editorial.SelectionPage"]

    class Meta:
        verbose_name = "page de bibliothèque"
        verbose_name_plural = "pages de bibliothèque"

    def get_context(self, request, *args, **kwargs):
        from datetime import datetime

        from network import hours
        from network.selectors import sites_queryset, status_of

        context = super().get_context(request, *args, **kwargs)
        now = datetime.now(hours.TZ)
        sites = sites_queryset(now.date()).filter(library=self.library)
        context["sites"] = [(site, status_of(site, now)) for site in sites]
        context["events"] = library_events(self.library, now)
        context["news"] = NewsPage.objects.child_of(self).live().order_by("-date")[:3]
        context["selections"] = (
            SelectionPage.objects.child_of(self).live().order_by("-first_published_at")[:3]
        )
        return context


def library_events(library, now, count: int = 5):
    from agenda.filters import AgendaFilters
    from agenda.selectors import list_occurrences

    return list(list_occurrences(AgendaFilters(library=library.slug), now)[:count])


class NewsIndexPage(Page):
    """The network's news (/actualites/): network-wide items below it, moderated by the
    network's coordination; each library's news lives below its own page."""

    intro = RichTextField("introduction", blank=True, features=["bold", "italic", "link"])
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["editorial.NewsPage"]
    max_count = 1

    class Meta:
        verbose_name = "index des actualités"

    def get_context(self, request, *args, **kwargs):
        from django.core.paginator import Paginator

        context = super().get_context(request, *args, **kwargs)
        news = NewsPage.objects.live().public().order_by("-date", "-first_published_at")
        context["news_page"] = Paginator(news, 12).get_page(request.GET.get("page"))
        return context


class SignedByLibrary:
    """Pages a library signs: the one whose page they sit below, or the one chosen."""

    @property
    def signing_library(self):
        parent = self.get_parent().specific
        if isinstance(parent, LibraryPage):
            return parent.library
        return getattr(self, "library", None)


class NewsPage(SignedByLibrary, Page):
    date = models.DateField("date", default=datetime.date.today)
    intro = models.CharField("chapeau", max_length=300)
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name="image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    image_alt = models.CharField(
        "texte alternatif de l'image",
        max_length=250,
        blank=True,
        help_text="Ce que montre l'image, pour les personnes qui ne la voient pas.",
    )
    body = StreamField(BodyBlock(), verbose_name="contenu", blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("date"),
        FieldPanel("intro"),
        FieldPanel("image"),
        FieldPanel("image_alt"),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    parent_page_types = ["editorial.NewsIndexPage", "editorial.LibraryPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = "actualité"
        verbose_name_plural = "actualités"

    def clean(self):
        super().clean()
        if self.image_id and not self.image_alt:
            raise ValidationError({"image_alt": "Décrivez l'image pour qui ne la voit pas."})


class SelectionIndexPage(Page):
    """The librarians' selections (/selections/), network-wide ones below it."""

    intro = RichTextField("introduction", blank=True, features=["bold", "italic", "link"])
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["editorial.SelectionPage"]
    max_count = 1

    class Meta:
        verbose_name = "index des sélections"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["selections"] = (
            SelectionPage.objects.live().public().order_by("-first_published_at")
        )
        return context


class SelectionPage(SignedByLibrary, Page):
    """Coups de cœur, thematic lists: works of the union catalogue and free text, signed
    by the librarian and their library."""

    intro = models.CharField("chapeau", max_length=300, blank=True)
    signed_by = models.CharField(
        "signée par", max_length=150, help_text="Le nom de la ou du bibliothécaire."
    )
    library = models.ForeignKey(
        "network.Library",
        verbose_name="bibliothèque",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Pour une sélection du réseau ; sous la page d'une bibliothèque, c'est elle.",
    )
    body = StreamField(SelectionBlock(), verbose_name="sélection")

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("signed_by"),
        FieldPanel("library"),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    parent_page_types = ["editorial.SelectionIndexPage", "editorial.LibraryPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = "sélection"
        verbose_name_plural = "sélections"
