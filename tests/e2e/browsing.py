"""What every browser test relies on: a context that never leaves 127.0.0.1, and axe-core.

A ``Browsing`` wraps one Playwright browser context. Every request to another host is
aborted and recorded (the map's tiles come from tile.openstreetmap.org), every console
error, Content Security Policy report and uncaught script error is kept, so a test can
say what it expected and fail on anything else.
"""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response, Route

LOCAL_HOST = "127.0.0.1"
# WCAG 2.1 A and AA, nothing disabled: what the accessibility statement promises.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
_AXE = Axe()


def assert_accessible(page: Page, state: str = "") -> None:
    """Run axe-core on the page as it is now; fail with a readable list of violations."""
    results = _AXE.run(page, options=AXE_OPTIONS)
    where = f"{page.url} ({state})" if state else page.url
    assert results.violations_count == 0, f"axe-core on {where}:\n{results.generate_report()}"


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"data", "blob", "about"} or parts.hostname == LOCAL_HOST


@dataclass
class Browsing:
    browser: Browser
    base_url: str
    options: dict = field(default_factory=dict)
    blocked: list[str] = field(default_factory=list)
    escaped: list[str] = field(default_factory=list)
    console_errors: list[tuple[str, str]] = field(default_factory=list)
    csp_reports: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.context = self.browser.new_context(
            base_url=self.base_url,
            locale="fr-FR",
            timezone_id="Europe/Paris",
            **self.options,
        )
        self.context.route("**/*", self._route)
        self.context.on("response", self._check_response)
        self.context.on("requestfinished", self._check_request)
        self.context.on("page", self._watch)

    def new_page(self) -> Page:
        return self.context.new_page()

    def close(self) -> None:
        self.context.close()

    def _route(self, route: Route) -> None:
        if _is_local(route.request.url):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort("blockedbyclient")

    def _check_response(self, response: Response) -> None:
        if not _is_local(response.url):
            self.escaped.append(response.url)

    def _check_request(self, request: Request) -> None:
        if not _is_local(request.url):
            self.escaped.append(request.url)

    def _watch(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.csp_reports.append(message.text)
        if message.type == "error":
            self.console_errors.append((message.text, message.location.get("url", "")))

    def unexpected_console_errors(self, expected_urls=()) -> list[str]:
        """Console errors, except failed loads of what we blocked or of ``expected_urls``."""
        ignored = set(self.blocked) | set(expected_urls)
        return [
            f"{text} ({url})"
            for text, url in self.console_errors
            if not (text.startswith("Failed to load resource") and url in ignored)
        ]

    def assert_stayed_local(self) -> None:
        assert not self.escaped, f"Requests left {LOCAL_HOST}: {self.escaped}"

    def assert_clean_console(self, expected_urls=()) -> None:
        assert not self.csp_reports, "CSP violations:\n" + "\n".join(self.csp_reports)
        assert not self.page_errors, "Script errors:\n" + "\n".join(self.page_errors)
        errors = self.unexpected_console_errors(expected_urls)
        assert not errors, "Console errors:\n" + "\n".join(errors)
