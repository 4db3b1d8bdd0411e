"""Journey: a librarian of Villeurbanne publishes a weekly story time for 3 to 6 year-olds
with 15 places a date in the back-office; on her phone, a parent finds it in the agenda
(this week-end, Villeurbanne, a child of 4), opens it and registers three places with the
keyboard alone, and is e-mailed. The date fills up (two neighbours online, a grandfather
by phone at the desk); the next family lands on the waiting list; a neighbour cancels
from her e-mailed link, and the waiting family gets the places and an e-mail saying so.
axe-core on every public page and state."""

import re
import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.agenda_pages import (
    body_of,
    day_heading,
    day_of_heading,
    filters_in_url,
    mail_to,
    next_saturday,
    register_online,
    registration_link,
    sign_in_to_back_office,
    tab_to,
    today,
)
from tests.e2e.browsing import assert_accessible

pytestmark = pytest.mark.e2e

TITLE = f"Heure du conte des petites oreilles {uuid.uuid4().hex[:6]}"
LIBRARY, SITE, COMMUNE = "Bibliothèques de Villeurbanne", "Médiathèque du Rize", "Villeurbanne"
VILLEURBANNE = "69266"  # INSEE code
PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True}
PARENT = ("Camille Martin", "camille.martin@example.org", 3)
NEIGHBOURS = [
    ("Sofia Benali", "sofia.benali@example.org", 4),
    ("Léo Garnier", "leo.garnier@example.org", 4),
]
GRANDFATHER = ("Marcel Dupuis", "04 78 00 00 00", 4)
WAITING = ("Inès Haddad", "ines.haddad@example.org", 2)


def publish_story_time(page: Page, first: date, until: date) -> None:
    """The librarian's part: the back-office's event form, as she fills it."""
    page.get_by_role("button", name="Agenda").click()
    page.get_by_role("link", name="Événements", exact=True).click()
    page.get_by_role("link", name=re.compile(r"^Ajouter")).first.click()
    expect(page).to_have_url(re.compile(r"/admin/evenements/new/$"))

    page.get_by_role("combobox", name=re.compile(r"^Bibliothèque")).select_option(label=LIBRARY)
    page.get_by_role("textbox", name=re.compile(r"^Titre")).fill(TITLE)
    page.get_by_role("textbox", name=re.compile(r"^Résumé")).fill(
        "Des histoires, des comptines et des jeux de doigts, chaque samedi matin."
    )
    page.get_by_role("combobox", name=re.compile(r"^Catégorie")).select_option(
        label="Conte, lecture"
    )
    page.get_by_role("combobox", name="Répéter").select_option(label="Chaque semaine, le même jour")
    page.get_by_label("Jusqu'au (inclus)").fill(until.isoformat())
    page.get_by_role("combobox", name="Lieu du réseau").select_option(label=SITE)
    page.get_by_role("combobox", name=re.compile(r"^Public")).select_option(label="Jeunesse")
    page.get_by_role("spinbutton", name="À partir de (ans)").fill("3")
    page.get_by_role("spinbutton", name="Jusqu'à (ans)").fill("6")
    page.get_by_label("Sur inscription").check()
    page.get_by_role("spinbutton", name="Places par date").fill("15")
    page.get_by_role("spinbutton", name=re.compile(r"^Places au plus par inscription")).fill("4")
    # The dates last, and the form sent from the keyboard: the date-time picker opens
    # over the fields below and the button when they are focused.
    for label, at in (("Début", "10:30"), ("Fin", "11:15")):
        page.get_by_role("textbox", name=re.compile(rf"^{label}")).fill(f"{first:%Y-%m-%d} {at}")
    page.get_by_role("button", name="Créer").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/admin/evenements/(\?.*)?$"))
    expect(page.get_by_role("status")).to_contain_text(TITLE)


def open_first_date_registrations(page: Page, first: date, dates: int) -> str:
    """From the list of events to the registrations of the first date; returns its URL."""
    page.get_by_role("textbox", name="Terme de recherche").fill(TITLE)
    event_row = page.locator("tbody tr").filter(has_text=TITLE)
    event_row.get_by_role("link", name="Dates et inscriptions").click()
    rows = page.locator("tbody tr").filter(has_text=TITLE)
    expect(rows).to_have_count(dates)
    expect(rows.first).to_contain_text("0 / 15")
    rows.first.get_by_role("link", name="Inscriptions").click()
    expect(page).to_have_url(re.compile(r"/admin/dates/\d+/inscriptions/$"))
    when = re.escape(f"{day_heading(first)}, 10:30")
    expect(page.get_by_role("heading", name=re.compile(when, re.IGNORECASE))).to_be_visible()
    expect(page.locator("main")).to_contain_text("0 places réservées sur 15")
    return page.url


def register_by_phone(page: Page, url: str, name: str, phone: str, places: int) -> None:
    page.goto(url)
    page.get_by_role("textbox", name=re.compile(r"^Nom et prénom")).fill(name)
    page.get_by_role("textbox", name=re.compile(r"^Téléphone")).fill(phone)
    page.get_by_role("spinbutton", name=re.compile(r"^Places")).fill(str(places))
    page.get_by_role("combobox", name=re.compile(r"^Inscription")).select_option(
        label="Par téléphone"
    )
    page.get_by_role("button", name="Inscrire", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(f"{name} : inscription confirmée.")


def test_a_story_time_published_in_the_back_office_fills_up_and_frees_a_place(
    page: Page, open_browsing, staff_credentials, sent_mail, screenshot_dir
):
    first = next_saturday(today())
    until = first + timedelta(weeks=8)  # nine Saturdays, about two months
    sign_in_to_back_office(page, *staff_credentials)
    publish_story_time(page, first, until)
    staff_page = open_first_date_registrations(page, first, dates=9)

    # On a phone, a parent looks for something for a 4-year-old this week-end.
    parent = open_browsing(**PHONE)
    phone = parent.new_page()
    phone.goto("/agenda/")
    assert_accessible(phone, "agenda on a phone")
    if today().weekday() < 5:
        phone.get_by_label("Ce week-end").tap()
        period = {"quand": "week-end"}
    else:  # on a Saturday or a Sunday, « ce week-end » is today's: ask for the next one
        phone.get_by_label("Du", exact=True).fill(first.isoformat())
        phone.get_by_label("Au", exact=True).fill(first.isoformat())
        period = {"du": first.isoformat(), "au": first.isoformat()}
    phone.get_by_label("Commune", exact=True).select_option(label=COMMUNE)
    phone.get_by_label("Âge de l'enfant (ans)").fill("4")
    phone.get_by_role("button", name="Afficher les animations").tap()
    expect(phone.get_by_role("heading", name=re.compile("correspond"))).to_be_visible()
    assert filters_in_url(phone) == {**period, "commune": VILLEURBANNE, "age": "4"}
    day = phone.get_by_role("region", name=day_heading(first))
    story_time = day.locator(".event-card").filter(has_text=TITLE)
    expect(story_time).to_contain_text("Jeunesse (de 3 à 6 ans) · Médiathèque du Rize")
    expect(story_time).to_contain_text("Sur inscription : 15 places restantes")
    # Nothing after the week-end (a date that began before and still runs is listed).
    last_day = first + timedelta(days=1)
    days = [day_of_heading(text) for text in phone.locator(".agenda-day-title").all_inner_texts()]
    assert max(days) <= last_day, days
    assert_accessible(phone, "agenda: this week-end, Villeurbanne, 4 years old")
    phone.screenshot(path=screenshot_dir / "agenda-story-time-375.png", full_page=True)

    # Keyboard only from here: past the filters, to the story time, then the form.
    tab_to(phone, phone.get_by_role("link", name="Aller aux animations"))
    phone.keyboard.press("Enter")
    tab_to(phone, story_time.get_by_role("link", name=TITLE))
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", level=1)).to_have_text(TITLE)
    registration = phone.get_by_role("region", name="Inscription")
    expect(registration).to_contain_text("15 places disponibles sur 15")
    expect(registration).to_contain_text("Jusqu'à 4 places par inscription")
    assert_accessible(phone, "story time, 15 places left")
    story_time_url = phone.url

    name, email, places = PARENT
    tab_to(phone, phone.get_by_label("Nom et prénom", exact=True))
    phone.keyboard.type(name)
    phone.keyboard.press("Tab")
    phone.keyboard.type(email)
    phone.keyboard.press("Tab")
    expect(phone.get_by_label("Nombre de places")).to_be_focused()
    for _ in range(places - 1):
        phone.keyboard.press("ArrowDown")
    expect(phone.get_by_label("Nombre de places")).to_have_value(str(places))
    phone.keyboard.press("Tab")
    expect(phone.get_by_role("button", name="M'inscrire")).to_be_focused()
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Mon inscription")
    expect(phone.locator("main")).to_contain_text("Inscription confirmée")
    expect(phone.locator("dt:text-is('Places') + dd")).to_have_text(str(places))
    assert_accessible(phone, "registration confirmed")
    confirmation = mail_to(sent_mail, email, f"Inscription confirmée : {TITLE}")
    assert f"Votre inscription est confirmée ({places} places)" in body_of(confirmation)
    assert "10:30" in body_of(confirmation) and SITE in body_of(confirmation)
    parent.assert_clean_console()

    # The date fills up: two neighbours online, a grandfather by phone at the desk.
    visitor = open_browsing(**PHONE).new_page()  # the others, in turn
    for name, email, places in NEIGHBOURS:
        register_online(visitor, story_time_url, name, email, places)
    register_by_phone(page, staff_page, *GRANDFATHER)
    expect(page.locator("main")).to_contain_text("15 places réservées sur 15")

    phone.goto(story_time_url)
    expect(registration).to_contain_text("Cette date est complète.")
    assert_accessible(phone, "story time full")

    # The next family goes on the waiting list.
    name, email, places = WAITING
    register_online(visitor, story_time_url, name, email, places)
    expect(visitor.locator("main")).to_contain_text("Sur la liste d'attente")
    assert_accessible(visitor, "registration on the waiting list")
    waiting = mail_to(sent_mail, email, f"Liste d'attente : {TITLE}")
    assert "vous êtes sur la liste d'attente (2 places demandées)" in body_of(waiting)

    # A neighbour cannot come: she cancels from the link she was e-mailed.
    name, email, places = NEIGHBOURS[0]
    visitor.goto(registration_link(mail_to(sent_mail, email, f"Inscription confirmée : {TITLE}")))
    expect(visitor.locator("main")).to_contain_text("Inscription confirmée")
    assert_accessible(visitor, "registration page from the e-mailed link")
    visitor.get_by_role("button", name="Annuler mon inscription").click()
    expect(visitor.locator(".messages")).to_contain_text("Votre inscription est annulée.")
    expect(visitor.locator("main")).to_contain_text("Inscription annulée")
    assert_accessible(visitor, "registration cancelled")
    mail_to(sent_mail, email, f"Inscription annulée : {TITLE}")

    # The waiting family gets the places, and an e-mail says so.
    promoted = mail_to(sent_mail, WAITING[1], f"Une place s'est libérée : {TITLE}")
    assert "votre inscription est maintenant confirmée (2 places)" in body_of(promoted)
    visitor.goto(registration_link(promoted))
    expect(visitor.locator("main")).to_contain_text("Inscription confirmée")
    assert_accessible(visitor, "registration confirmed after the waiting list")

    page.goto(staff_page)
    expect(page.locator("main")).to_contain_text("13 places réservées sur 15")
    expect(page.get_by_role("heading", name="Liste d'attente (0)")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text(WAITING[0])
