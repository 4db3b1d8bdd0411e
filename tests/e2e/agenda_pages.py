"""What the agenda's browser journeys share: moving with the keyboard, signing in to the
back-office, reading the e-mails the live server wrote, French dates as the pages write
them, and setting up a programme in the database where the back-office is not the subject.
"""

import json
import re
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import _manage

PARIS = ZoneInfo("Europe/Paris")
REGISTRATION_LINK = re.compile(r"https?://[^/\s]+(/agenda/inscription/[^/\s]+/)")
WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
MONTHS = [
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
]  # fmt: skip


def today() -> date:
    """Today in Lyon, whatever the machine's zone: what the agenda's periods count from."""
    return datetime.now(PARIS).date()


def next_saturday(day: date) -> date:
    """The first Saturday strictly after ``day``."""
    return day + timedelta(days=(5 - day.weekday()) % 7 or 7)


def day_heading(day: date) -> str:
    """A day as the agenda's list heads it: « Samedi 12 décembre 2026 »."""
    return f"{WEEKDAYS[day.weekday()].capitalize()} {day.day} {MONTHS[day.month - 1]} {day.year}"


def filters_in_url(page: Page) -> dict[str, str]:
    """The filters the page's URL carries (a GET form also sends its empty fields)."""
    return {name: value for name, value in parse_qsl(urlsplit(page.url).query) if value}


def day_of_heading(heading: str) -> date:
    """The day a list heading names (the inverse of :func:`day_heading`)."""
    _, day, month, year = heading.split()
    return date(int(year), MONTHS.index(month) + 1, int(day))


def tab_to(page: Page, target: Locator, limit: int = 120) -> None:
    """Press Tab until ``target`` has the focus, as a keyboard user gets there; fail if
    the focus never reaches it."""
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
    raise AssertionError(f"{limit} presses of Tab never reached {target}; focus is on {focused}")


def sign_in_to_back_office(page: Page, username: str, password: str) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Nom d’utilisateur").fill(username)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="S'identifier").click()
    expect(page).to_have_title(re.compile(r"^Tableau de bord"))


def mail_to(sent_mail, address: str, subject: str) -> EmailMessage:
    """The last e-mail to ``address`` with exactly ``subject``."""
    messages = [m for m in sent_mail() if address in m["To"]]
    # Django folds a long encoded subject after « Subject: »; unfolded, it starts with a space.
    subjects = [" ".join(m["Subject"].split()) for m in messages]
    found = [m for m, text in zip(messages, subjects, strict=True) if text == subject]
    assert found, f"no e-mail « {subject} » to {address}; sent to them: {subjects}"
    return found[-1]


def body_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def registration_link(message: EmailMessage) -> str:
    """The path of the registration's page that the e-mail links to."""
    found = REGISTRATION_LINK.search(body_of(message))
    assert found, body_of(message)
    return found.group(1)


def register_online(page: Page, url: str, name: str, email: str, places: int) -> None:
    """Fill and send an occurrence's registration form (the journey is not this form)."""
    page.goto(url)
    page.get_by_label("Nom et prénom", exact=True).fill(name)
    page.get_by_label("E-mail", exact=True).fill(email)
    places_field = page.get_by_label("Nombre de places")
    if places_field.count():
        places_field.select_option(str(places))
    page.locator("#inscription").get_by_role("button").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon inscription")


def page_overflow(page: Page) -> tuple[int, int]:
    """The page's scroll width and the viewport's width: more than the viewport means a
    horizontal scrollbar (WCAG 1.4.10, reflow)."""
    return page.evaluate(
        "[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
    )


def in_django(env: dict, code: str) -> dict:
    """Run ``code`` in ``manage.py shell`` on the journeys' database; it sets ``result``,
    which comes back decoded from JSON."""
    out = _manage(env, "shell", "-c", f"{code}\nimport json\nprint('RESULT=' + json.dumps(result))")
    line = next(line for line in out.splitlines() if line.startswith("RESULT="))
    return json.loads(line.removeprefix("RESULT="))
