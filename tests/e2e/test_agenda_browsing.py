"""Journey: browsing the agenda. axe-core on the list (as it comes, filtered, empty), the
month's calendar, a date open for registration, one without registration, a cancelled
date, a registration's page and a broken link; the filters with the keyboard alone;
filtering and registering without JavaScript; nothing wider than a 320 px screen; the
.ics link. The programme is made in the database: the back-office is not the subject."""

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.agenda_pages import (
    body_of,
    day_heading,
    filters_in_url,
    in_django,
    mail_to,
    page_overflow,
    tab_to,
    today,
)
from tests.e2e.browsing import assert_accessible
from tests.e2e.catalogue_pages import assert_accessible_without_javascript
from tests.e2e.conftest import STAFF_USERNAME

pytestmark = pytest.mark.e2e

RUN = uuid.uuid4().hex[:6]
WORKSHOP = f"Atelier bande dessinée {RUN}"
TALK = f"Rencontre avec une autrice {RUN}"
EXHIBITION = f"Exposition de planches originales {RUN}"

# A weekly workshop from tomorrow with registration (its second date cancelled), a talk
# the day after tomorrow without registration, and an exhibition that opened three days
# ago and runs three weeks more, all in a library of Vénissieux.
PROGRAMME = f"""
from datetime import datetime, time, timedelta
from accounts.models import User
from agenda import services
from agenda.models import TZ, Audience, Category, Event
from network.models import Site

site = Site.objects.filter(library__slug="bibliotheques-de-venissieux").order_by("name").first()
tomorrow = datetime.now(TZ).date() + timedelta(days=1)
start = datetime.combine(tomorrow, time(14, 0), TZ)
workshop = Event.objects.create(
    library=site.library, site=site, title={WORKSHOP!r},
    summary="Inventer un personnage, puis sa première planche.",
    category=Category.WORKSHOP, audience=Audience.YOUTH, age_min=8, age_max=12,
    starts_at=start, ends_at=start + timedelta(hours=2), rrule="FREQ=WEEKLY;COUNT=3",
    registration_required=True, capacity=10, max_places_per_registration=2,
)
services.sync_occurrences(workshop)
dates = list(workshop.occurrences.order_by("starts_at"))
services.cancel_occurrence(
    dates[1], actor=User.objects.get(username={STAFF_USERNAME!r}),
    note="L'illustratrice est malade ; la séance suivante a bien lieu.",
)
evening = datetime.combine(tomorrow + timedelta(days=1), time(18, 30), TZ)
talk = Event.objects.create(
    library=site.library, site=site, title={TALK!r}, category=Category.MEETING,
    audience=Audience.ADULTS, starts_at=evening, ends_at=evening + timedelta(hours=1),
)
services.sync_occurrences(talk)
opening = datetime.combine(tomorrow - timedelta(days=4), time(10, 0), TZ)
exhibition = Event.objects.create(
    library=site.library, site=site, title={EXHIBITION!r}, category=Category.EXHIBITION,
    starts_at=opening, ends_at=opening + timedelta(days=24, hours=8),
)
services.sync_occurrences(exhibition)
result = {{
    "commune": site.commune.name,
    "insee": site.commune.insee_code,
    "dates": [occurrence.get_absolute_url() for occurrence in dates],
    "month": f"{{tomorrow:%Y-%m}}",
    "talk": talk.occurrences.get().get_absolute_url(),
}}
"""


@pytest.fixture(scope="module")
def programme(demo_env) -> dict:
    return in_django(demo_env, PROGRAMME)


def results_heading(page: Page):
    return page.get_by_role("heading", level=2, name=re.compile(r"^\d+ dates? "))


def test_every_agenda_page_and_state_passes_axe_core(page: Page, programme, screenshot_dir):
    first, cancelled, third = programme["dates"]

    page.goto("/agenda/")
    expect(results_heading(page)).to_contain_text("à venir")
    assert_accessible(page, "agenda as it comes")
    page.screenshot(path=screenshot_dir / "agenda-1280.png", full_page=True)

    page.goto(f"/agenda/?q={RUN}&commune={programme['insee']}")
    expect(results_heading(page)).to_have_text("5 dates correspondent à vos critères")
    # The exhibition still running leads, under today, with its first and last days.
    first_day = page.locator(".agenda-day").first
    expect(first_day.get_by_role("heading", level=3)).to_have_text(day_heading(today()))
    running = first_day.locator(".event-card").first
    expect(running.get_by_role("heading", level=4)).to_have_text(EXHIBITION)
    expect(running.locator(".event-time")).to_have_text(
        re.compile(r"^Du \d+ \S+ au \d+ \S+ \d{4}$")
    )
    cancelled_card = page.locator(".event-card").filter(has=page.locator(f"a[href='{cancelled}']"))
    expect(cancelled_card.locator(".badge")).to_have_text("Annulé")
    assert_accessible(page, "agenda filtered")

    page.goto(f"/agenda/?q={RUN}&categorie=concert")
    expect(results_heading(page)).to_have_text("0 dates correspondent à vos critères")
    expect(page.locator("#resultats")).to_contain_text("Aucune animation ne correspond")
    assert_accessible(page, "agenda, nothing found")

    page.goto(f"/agenda/?vue=calendrier&mois={programme['month']}&q={RUN}")
    month = page.get_by_role("table")
    expect(month.locator(f"a[href='{first}']")).to_contain_text(f"14:00 {WORKSHOP}")
    assert_accessible(page, "calendar of the month")

    page.goto(first)
    expect(page.get_by_role("heading", level=1)).to_have_text(WORKSHOP)
    registration = page.get_by_role("region", name="Inscription")
    expect(registration).to_contain_text("10 places disponibles sur 10")
    assert_accessible(page, "a date open for registration")

    registration.get_by_role("button", name="M'inscrire").click()  # nothing filled in
    expect(page.get_by_role("alert")).to_contain_text("Le formulaire contient une erreur.")
    expect(page.get_by_label("E-mail", exact=True)).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "registration form with errors")

    page.goto(cancelled)
    expect(page.get_by_role("note")).to_contain_text("Cette date est annulée.")
    expect(page.get_by_role("note")).to_contain_text("L'illustratrice est malade")
    expect(page.get_by_role("region", name="Inscription")).to_contain_text(
        "Les inscriptions sont fermées"
    )
    assert_accessible(page, "a cancelled date")

    page.goto(programme["talk"])
    expect(page.get_by_role("heading", level=1)).to_have_text(TALK)
    expect(page.locator("main")).to_contain_text("Entrée libre, sans inscription")
    assert_accessible(page, "a date without registration")

    page.goto(third)
    page.get_by_label("Nom et prénom", exact=True).fill("Yanis Belkacem")
    page.get_by_label("E-mail", exact=True).fill("yanis.belkacem@example.org")
    page.get_by_label("Nombre de places").select_option("2")
    page.get_by_role("button", name="M'inscrire").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon inscription")
    expect(page.locator("main")).to_contain_text("Inscription confirmée")
    assert_accessible(page, "a registration")
    page.get_by_role("button", name="Annuler mon inscription").click()
    expect(page.locator("main")).to_contain_text("Inscription annulée")
    assert_accessible(page, "a registration cancelled")

    response = page.goto("/agenda/inscription/ce-lien-a-ete-coupe/")
    assert response.status == 410, response.status
    expect(page.get_by_role("heading", level=1)).to_have_text("Lien d'inscription")
    expect(page.get_by_role("note")).to_be_visible()
    assert_accessible(page, "a broken registration link")


def test_the_filters_work_with_the_keyboard_alone(page: Page, programme):
    page.goto("/agenda/")
    tab_to(page, page.get_by_label("Mot-clé"))
    page.keyboard.type(RUN)
    commune = page.get_by_label("Commune", exact=True)
    tab_to(page, commune)
    for _ in range(200):  # down the list of communes to the programme's
        if commune.evaluate("select => select.selectedOptions[0].text") == programme["commune"]:
            break
        page.keyboard.press("ArrowDown")
    expect(commune).to_have_value(programme["insee"])
    tab_to(page, page.get_by_label("Avec des places disponibles"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Afficher les animations"))
    page.keyboard.press("Enter")

    # The cancelled date has no places to give: the two others, the talk and the
    # exhibition remain.
    expect(results_heading(page)).to_have_text("4 dates correspondent à vos critères")
    assert filters_in_url(page) == {"q": RUN, "commune": programme["insee"], "places": "on"}
    expect(page.get_by_label("Avec des places disponibles")).to_be_checked()
    expect(page.get_by_role("link", name="Effacer les filtres")).to_be_visible()
    cards = page.locator(".event-card")
    expect(cards.filter(has_text=WORKSHOP)).to_have_count(2)
    expect(cards.filter(has_text=TALK)).to_have_count(1)
    assert_accessible(page, "filtered with the keyboard")

    # Then this week-end only, from the keyboard too: the radio buttons answer the arrows.
    tab_to(page, page.get_by_label("Toutes les dates à venir"))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Ce week-end")).to_be_checked()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]quand=week-end(&|$)"))
    assert_accessible(page, "this week-end, filtered with the keyboard")


def test_filtering_and_registering_work_without_javascript(open_browsing, programme, sent_mail):
    page = open_browsing(java_script_enabled=False).new_page()
    page.goto("/agenda/")
    page.get_by_label("Mot-clé").fill(RUN)
    page.get_by_label("Commune", exact=True).select_option(programme["insee"])
    page.get_by_label("Public", exact=True).select_option(label="Jeunesse")
    page.get_by_role("button", name="Afficher les animations").click()
    expect(results_heading(page)).to_have_text("3 dates correspondent à vos critères")
    assert_accessible_without_javascript(open_browsing, page.url, "agenda filtered")

    page.get_by_role("link", name=WORKSHOP).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(WORKSHOP)
    page.get_by_label("Nom et prénom", exact=True).fill("Maëlle Roux")
    page.get_by_label("E-mail", exact=True).fill("maelle.roux@example.org")
    page.get_by_label("Nombre de places").select_option("2")
    page.get_by_role("button", name="M'inscrire").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon inscription")
    expect(page.locator("main")).to_contain_text("Inscription confirmée")
    confirmation = mail_to(
        sent_mail, "maelle.roux@example.org", f"Inscription confirmée : {WORKSHOP}"
    )
    assert "(2 places)" in body_of(confirmation)

    page.get_by_role("button", name="Annuler mon inscription").click()
    expect(page.locator(".messages")).to_contain_text("Votre inscription est annulée.")
    expect(page.locator("main")).to_contain_text("Inscription annulée")


def test_nothing_is_wider_than_a_320_px_screen(open_browsing, programme, screenshot_dir):
    page = open_browsing(viewport={"width": 320, "height": 720}).new_page()
    page.goto("/agenda/")
    width, viewport = page_overflow(page)
    page.screenshot(path=screenshot_dir / "agenda-320.png", full_page=True)
    assert width <= viewport, f"the agenda is {width} px wide in {viewport} px"

    page.goto(programme["dates"][0])
    width, viewport = page_overflow(page)
    page.screenshot(path=screenshot_dir / "evenement-320.png", full_page=True)
    assert width <= viewport, f"the event's page is {width} px wide in {viewport} px"

    page.goto(f"/agenda/?vue=calendrier&mois={programme['month']}")
    width, viewport = page_overflow(page)
    assert width <= viewport, f"the calendar is {width} px wide in {viewport} px"


def test_add_to_my_calendar_gives_an_icalendar_file(page: Page, programme):
    page.goto(programme["dates"][0])
    link = page.get_by_role("link", name="Ajouter à mon agenda (.ics)")
    response = page.request.get(link.get_attribute("href"))
    assert response.ok, response.status
    assert response.headers["content-type"].startswith("text/calendar"), response.headers
    assert response.headers["content-disposition"].startswith("attachment"), response.headers
    text = response.text()
    assert text.startswith("BEGIN:VCALENDAR"), text[:200]
    assert f"SUMMARY:{WORKSHOP}" in text, text

    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".ics")
