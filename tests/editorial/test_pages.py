"""News, selections, library pages and the home page; who may publish where."""

import html
import re
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page, WorkflowState
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from agenda import services as agenda_services
from agenda.models import TZ, NetworkOperation
from catalogue.models import Work
from editorial.models import (
    HomePage,
    LibraryPage,
    NewsIndexPage,
    NewsPage,
    SelectionIndexPage,
    SelectionPage,
)
from editorial.services import ensure_library_page
from tests.factories import EventFactory

NOW = datetime(2030, 3, 5, 11, 0, tzinfo=TZ)  # a Tuesday


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr("network.views.current_time", lambda: NOW)


@pytest.fixture
def pages(cast):
    """Each library's page, the network's news and selections indexes."""
    return {
        "a": ensure_library_page(cast.library_a),
        "b": ensure_library_page(cast.library_b),
        "news": NewsIndexPage.objects.get(),
        "selections": SelectionIndexPage.objects.get(),
    }


def upcoming(library, site, title: str, days: int):
    start = NOW + timedelta(days=days)
    return EventFactory(
        library=library, site=site, title=title, starts_at=start, ends_at=start + timedelta(hours=1)
    )


def publish(parent, page):
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_the_site_structure_has_news_and_selections_under_moderation(db):
    home = HomePage.objects.get()
    assert [b.block_type for b in home.body] == [
        "search", "open_now", "events", "selections", "news", "operations"
    ]  # fmt: skip
    news, selections = NewsIndexPage.objects.get(), SelectionIndexPage.objects.get()
    assert news.url == "/actualites/" and selections.url == "/selections/"
    for index in (news, selections):
        workflow = index.get_workflow()
        assert workflow.name == "Modération des contenus du réseau"
        assert [t.name for t in workflow.tasks] == ["Validation par la coordination du réseau"]


def test_home_page_brings_events_selections_news_and_operations(client, cast, pages, frozen):
    nuit = NetworkOperation.objects.create(name="Nuit de la lecture", slug="nuit-de-la-lecture")
    event = upcoming(cast.library_a, cast.site_a, "Contes à la lampe", days=2)
    event.operations.add(nuit)
    agenda_services.sync_occurrences(event, now=NOW)
    publish(
        pages["news"],
        NewsPage(
            title="Le réseau s'agrandit", slug="reseau", intro="Deux nouvelles bibliothèques."
        ),
    )
    publish(pages["a"], SelectionPage(title="Coups de cœur de l'hiver", slug="hiver",
                                      signed_by="Camille Martin", body=[]))  # fmt: skip
    response = client.get("/")
    page = text(response)
    assert response.status_code == 200
    for expected in ["Contes à la lampe", "Le réseau s'agrandit", "Coups de cœur de l'hiver",
                     "Par Camille Martin, Bibliothèques de Bron", "Nuit de la lecture",
                     'id="home-q"']:  # fmt: skip
        assert expected in page, expected
    # The catalogue's search box stays in the header, where it is on every page.
    assert 'id="recherche-portail"' in page


def test_home_page_cache_follows_a_new_event(client, cast, pages, frozen):
    assert "Atelier tricot" not in text(client.get("/"))
    event = upcoming(cast.library_a, cast.site_a, "Atelier tricot", days=1)
    agenda_services.sync_occurrences(event, now=NOW)
    assert "Atelier tricot" in text(client.get("/"))


def test_library_page_shows_its_events_news_and_selections_only(client, cast, pages, frozen):
    for side, library, site in (
        ("A", cast.library_a, cast.site_a),
        ("B", cast.library_b, cast.site_b),
    ):
        event = upcoming(library, site, f"Heure du conte {side}", days=1)
        agenda_services.sync_occurrences(event, now=NOW)
    publish(
        pages["a"],
        NewsPage(title="Travaux à Jean Prévost", slug="travaux", intro="Fermeture en mars."),
    )
    page = text(client.get(pages["a"].url))
    assert "Heure du conte A" in page and "Heure du conte B" not in page
    assert "Travaux à Jean Prévost" in page
    assert f"?bibliotheque={cast.library_a.slug}" in page


def test_selection_page_shows_catalogue_works_and_books_signed_by_the_librarian(client, pages):
    work = Work.objects.create(title="L'Étranger", main_author="Albert Camus", doc_type="livre",
                               year=1942, library_count=12)  # fmt: skip
    selection = publish(
        pages["a"],
        SelectionPage(
            title="Classiques à relire", slug="classiques", signed_by="Dominique Martin",
            intro="Des romans courts.",
            body=[
                ("work", {"work": work, "comment": "Un premier roman sec et lumineux."}),
                ("book", {"title": "La Vie devant soi", "author": "Romain Gary",
                          "isbn": "9782070373628", "comment": ""}),
                ("text", rich_text("<p>Tous disponibles dans le réseau.</p>")),
            ],
        ),
    )  # fmt: skip
    page = text(client_get(selection))
    assert f'href="{reverse("catalogue:work", args=[work.pk])}"' in page
    assert "dans 12 bibliothèques du réseau" in page
    assert "Un premier roman sec et lumineux." in page
    assert "ISBN 9782070373628" in page
    assert "Une sélection de Dominique Martin, Bibliothèques de Bron" in page
    assert 'aria-label="Fil d\'Ariane"' in page
    sitemap = text(client_get(Page.objects.get(slug="plan-du-site")))
    assert "Classiques à relire" in sitemap and "Actualités" in sitemap


def client_get(page):
    from django.test import Client

    return Client().get(page.url)


def test_an_invalid_isbn_is_refused_in_the_selection_form(client, cast, pages):
    client.force_login(cast.editor_a)
    response = client.post(
        reverse("wagtailadmin_pages:add", args=["editorial", "selectionpage", pages["a"].pk]),
        selection_form(isbn="978-2-07-037362-9"),
    )
    assert response.status_code == 200
    assert "Cet ISBN n'est pas valide" in text(response)


def selection_form(**book) -> dict:
    return nested_form_data({
        "title": "Albums pour l'hiver", "slug": "albums-hiver", "intro": "", "signed_by": "Noa",
        "library": "",
        "body": streamfield([("book", {"title": "Flocon", "author": "", "isbn": "", "comment": "",
                                        **book})]),
    })  # fmt: skip


def news_form(title: str, slug: str, **extra) -> dict:
    return nested_form_data({
        "title": title, "slug": slug, "date": "2030-03-05", "intro": "Un chapeau.",
        "image": "", "image_alt": "", "body": streamfield([]), **extra,
    })  # fmt: skip


def add_url(model: str, parent) -> str:
    return reverse("wagtailadmin_pages:add", args=["editorial", model, parent.pk])


def test_library_editors_publish_news_under_their_own_library_page_only(client, cast, pages):
    client.force_login(cast.editor_a)
    response = client.post(
        add_url("newspage", pages["a"]),
        news_form("Nuit du conte", "nuit", **{"action-publish": "publish"}),
    )
    assert response.status_code == 302
    assert NewsPage.objects.get(slug="nuit").live
    response = client.post(
        add_url("newspage", pages["b"]),
        news_form("Intrusion", "intrusion", **{"action-publish": "publish"}),
    )
    assert response.status_code in (302, 403)
    assert not NewsPage.objects.filter(slug="intrusion").exists()
    assert client.get(add_url("newspage", pages["b"])).status_code in (302, 403)


def test_network_news_from_a_library_editor_waits_for_the_coordination(client, cast, pages):
    client.force_login(cast.editor_a)
    # Publishing directly is not theirs to do below /actualites/…
    client.post(
        add_url("newspage", pages["news"]),
        news_form("Fête du livre", "fete", **{"action-publish": "publish"}),
    )
    assert not NewsPage.objects.filter(slug="fete", live=True).exists()
    # …submitting for moderation is.
    response = client.post(
        add_url("newspage", pages["news"]),
        news_form("Fête du livre de Bron", "fete-du-livre", **{"action-submit": "submit"}),
    )
    assert response.status_code == 302
    news = NewsPage.objects.get(slug="fete-du-livre")
    assert not news.live
    state = WorkflowState.objects.get(object_id=str(news.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    # The network's coordinator approves: the news goes live.
    client.force_login(cast.network_admin)
    task_state = state.current_task_state
    response = client.post(
        reverse("wagtailadmin_pages:workflow_action", args=[news.pk, "approve", task_state.pk]),
        {"comment": ""},
    )
    assert response.status_code in (200, 302)
    news.refresh_from_db()
    assert news.live


def test_news_index_lists_network_and_library_news(client, pages):
    publish(
        pages["news"],
        NewsPage(title="Nouvelle carte", slug="carte", intro="La carte métropolitaine."),
    )
    publish(pages["b"], NewsPage(title="Concert à Lucie Aubrac", slug="concert", intro="Samedi."))
    page = text(client.get("/actualites/"))
    assert "Nouvelle carte" in page and "Réseau Métrobib" in page
    assert "Concert à Lucie Aubrac" in page and "Bibliothèques de Vénissieux" in page
    assert re.search(r'<nav aria-label="Fil d\'Ariane"', page)


def test_news_with_an_image_needs_its_alternative_text(pages):
    from django.core.exceptions import ValidationError
    from wagtail.images.models import Image
    from wagtail.images.tests.utils import get_test_image_file

    image = Image.objects.create(title="Affiche", file=get_test_image_file())
    news = NewsPage(title="Affiche", slug="affiche", intro="…", image=image)
    with pytest.raises(ValidationError, match="Décrivez l'image"):
        pages["news"].add_child(instance=news)


def test_library_page_offers_news_and_selections_as_children():
    assert set(LibraryPage.allowed_subpage_models()) == {NewsPage, SelectionPage}


def test_a_cached_home_page_is_served_before_wagtails_routing(
    client, cast, pages, frozen, django_assert_max_num_queries
):
    first = client.get("/")
    assert first.status_code == 200
    with django_assert_max_num_queries(1):  # the shared cache's version, at most
        again = client.get("/")
    assert again.content == first.content
    # An edit anywhere bumps the version: the next visitor gets a fresh page.
    event = upcoming(cast.library_a, cast.site_a, "Atelier origami", days=1)
    agenda_services.sync_occurrences(event, now=NOW)
    assert "Atelier origami" in text(client.get("/"))


def test_a_selection_recommends_a_digital_resource(client, cast, pages):
    from digital.chooser import resource_chooser_viewset
    from digital.models import Resource

    press = Resource.objects.create(
        name="Europresse", slug="europresse", kind="presse",
        summary="La presse du jour.", url="https://nouveau.europresse.com/",
    )  # fmt: skip
    selection = publish(
        pages["a"],
        SelectionPage(title="S'informer", slug="s-informer", signed_by="Noa",
                      body=[("resource", {"resource": press, "comment": "Le Progrès aussi."})]),
    )  # fmt: skip
    page = text(client_get(selection))
    assert f'href="{press.get_absolute_url()}"' in page
    assert "Ressource numérique — Presse, avec votre carte" in page
    assert "Le Progrès aussi." in page
    client.force_login(cast.editor_a)  # editors choose among the published resources
    chooser = client.get(reverse(resource_chooser_viewset.get_url_name("choose")))
    assert chooser.status_code == 200 and "Europresse" in chooser.json()["html"]


def test_editors_choose_works_from_the_union_catalogue(client, cast):
    from catalogue.chooser import work_chooser_viewset

    Work.objects.create(title="Lollipop", main_author="Nöstlinger, Christine", doc_type="book",
                        library_count=3)  # fmt: skip
    client.force_login(cast.editor_a)
    chooser = client.get(reverse(work_chooser_viewset.get_url_name("choose")))
    assert chooser.status_code == 200
    modal = chooser.json()["html"]
    assert "Lollipop" in modal and "Nöstlinger" in modal


def test_the_work_chooser_searches_with_the_catalogue_search(client, cast):
    """Accents and plurals as patrons type them: the chooser asks the catalogue's search."""
    from catalogue import search
    from catalogue.chooser import work_chooser_viewset
    from catalogue.models import Record
    from connectors.models import Connector, SourceRecord

    connector = Connector.objects.create(library=cast.library_a, name="Koha", driver="demo")
    for n, title in enumerate(["Les Chevaux de Camargue", "Le Petit Prince"]):
        source = SourceRecord.objects.create(
            connector=connector, local_id=f"r{n}", format="marcxml", payload=b"",
            checksum=str(n), last_seen_at=timezone.now(),
        )  # fmt: skip
        work = Work.objects.create(title=title, doc_type="book", record_count=1)
        Record.objects.create(
            source=source, library=cast.library_a, work=work, title=title, doc_type="book"
        )
        search.index_works([work.pk])
    client.force_login(cast.editor_a)
    url = reverse(work_chooser_viewset.get_url_name("choose_results"))
    found = client.get(url, {"q": "cheval camargue"}).content.decode()
    assert "Les Chevaux de Camargue" in found and "Le Petit Prince" not in found
