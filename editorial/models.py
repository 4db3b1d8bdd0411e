from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page

from editorial.blocks import BodyBlock


class HomePage(Page):
    intro = RichTextField("introduction", blank=True, features=["bold", "italic", "link"])
    body = StreamField(BodyBlock(), verbose_name="contenu", blank=True)

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
        # Every site counts, closed ones too: the list changes when one of them opens.
        context["valid_until"] = hours.valid_until((r.status for r in results), now)
        return context


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
    subpage_types: list[str] = []

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
        return context
