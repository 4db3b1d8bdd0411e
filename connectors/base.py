"""What every connector driver is: a small interface, typed records, one error type.

A driver talks to one kind of library system (a MARC export file, an OAI-PMH
repository, an SRU server, a SIP2 server...). It declares the ``capabilities`` it has;
the portal asks :meth:`Driver.supports` before offering a feature, so a system that
cannot do something simply does not offer it. Drivers return our own dataclasses, never
a vendor's raw structures, and raise :class:`ConnectorError` for anything that goes
wrong, saying whether trying again later can help.
"""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar
from urllib.parse import urlsplit

from django import forms

CAPABILITIES = frozenset(
    {"harvest", "availability", "authenticate", "account", "hold", "events", "usage_reports"}
)

# Formats of the raw records a harvest returns, and that the catalogue knows how to read.
ISO2709 = "iso2709"
MARCXML = "marcxml"
OAI_DC = "oai_dc"
FORMATS = (ISO2709, MARCXML, OAI_DC)


class ConnectorError(Exception):
    """A driver could not do its job. ``message`` is French (staff read it in the
    back-office); ``retryable`` says whether the same call may succeed later (a timeout,
    a 503) or not (bad settings, a protocol error)."""

    def __init__(self, message: str, *, retryable: bool = False):
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class InvalidCredentials(ConnectorError):
    """The system refused a card number and PIN. One error, one message, for an unknown
    card and for a wrong PIN, so that the login form cannot be used to probe which card
    numbers exist. Never retryable."""

    MESSAGE = "Numéro de carte ou code confidentiel incorrect."

    def __init__(self, message: str = MESSAGE):
        super().__init__(message, retryable=False)


class ResumptionLost(ConnectorError):
    """The source no longer accepts the saved resume point (an expired OAI-PMH token): the
    harvest must start again from its beginning."""


@dataclass(frozen=True)
class HarvestedRecord:
    """One record as the source gave it.

    ``local_id`` is the record's identifier in the source when the protocol gives one
    (an OAI identifier); for a file it is ``""`` and the catalogue reads it from the
    record itself. ``rejected`` is set when the driver could not even cut the record
    out of what it received (broken XML): the raw bytes are kept with that reason.
    """

    payload: bytes
    format: str
    local_id: str = ""
    deleted: bool = False
    datestamp: str = ""
    rejected: str = ""


@dataclass(frozen=True)
class Checkpoint:
    """Everything yielded before a checkpoint may be committed.

    ``resume`` is what :meth:`Driver.harvest` needs to go on from here after a crash
    (a file offset, an OAI-PMH resumption token...). The last checkpoint of a harvest has
    ``done=True`` and ``next_since``: where the next incremental harvest starts.
    """

    resume: Mapping[str, Any] = field(default_factory=dict)
    done: bool = False
    next_since: str = ""


# ---------------------------------------------------------------- patrons


@dataclass(frozen=True)
class PatronRef:
    """Who a patron is in their library's system, once authenticated: the card number,
    and the system's own identifier when it has one (Koha's borrowernumber). Account
    calls after login identify the patron by this alone: the PIN is never kept, the
    portal's own SIP2 login (93) or ILS-DI access is what the system trusts."""

    card_number: str
    system_id: str = ""


@dataclass(frozen=True)
class PatronIdentity:
    """What a system says of a patron at login. ``blocked`` with ``block_reason`` (French)
    when the system refuses them service; ``messages`` are the system's screen messages."""

    card_number: str
    system_id: str = ""
    first_name: str = ""
    last_name: str = ""
    full_name: str = ""
    email: str = ""
    birth_date: date | None = None
    expires_on: date | None = None
    postal_code: str = ""
    city: str = ""
    blocked: bool = False
    block_reason: str = ""
    messages: tuple[str, ...] = ()

    @property
    def ref(self) -> PatronRef:
        return PatronRef(self.card_number, self.system_id)

    @property
    def display_name(self) -> str:
        joined = f"{self.first_name} {self.last_name}".strip()
        return joined or self.full_name or self.card_number


@dataclass(frozen=True)
class Loan:
    """A copy on loan to a patron. ``item_id`` is what :meth:`PatronDriver.renew` takes
    (a barcode for SIP2, an itemnumber for Koha). ``renewable`` is None when the system
    does not say; ``not_renewable_reason`` is French."""

    item_id: str
    title: str
    due_date: date | None = None
    barcode: str = ""
    author: str = ""
    overdue: bool = False
    renewable: bool | None = None
    not_renewable_reason: str = ""
    renewals: int | None = None
    record_id: str = ""


@dataclass(frozen=True)
class Hold:
    """A hold of a patron. ``status`` is French ("En attente", "Disponible au retrait",
    "En transit"); ``ready`` when it waits for the patron at ``pickup_location``."""

    hold_id: str
    title: str
    status: str = ""
    ready: bool = False
    position: int | None = None
    pickup_location: str = ""
    placed_on: date | None = None
    expires_on: date | None = None
    cancellable: bool = True
    record_id: str = ""
    item_id: str = ""


@dataclass(frozen=True)
class Account:
    """A patron's loans, holds and messages, as one system says them now."""

    patron: PatronIdentity
    loans: tuple[Loan, ...] = ()
    holds: tuple[Hold, ...] = ()
    messages: tuple[str, ...] = ()
    fines: str = ""  # an amount as the system writes it, with its currency, when owed


@dataclass(frozen=True)
class ActionResult:
    """The answer to a renewal, a hold placed or cancelled. ``message`` is French, shown
    to the patron as is (why a renewal was refused, say)."""

    ok: bool
    message: str = ""
    due_date: date | None = None


class PatronDriver:
    """The patron capabilities: ``authenticate`` (:meth:`authenticate`), ``account``
    (:meth:`account`, :meth:`renew`) and ``hold`` (:meth:`place_hold`,
    :meth:`cancel_hold`). Every call is bounded by ``timeout`` seconds in all and raises
    :class:`ConnectorError` (``retryable`` when the system did not answer in time or
    could not be reached)."""

    def authenticate(self, card_number: str, pin: str, *, timeout: float) -> PatronIdentity:
        """The patron with this card, if the PIN is theirs; :class:`InvalidCredentials`
        otherwise. An expired or blocked card still authenticates: the portal decides
        what to say."""
        raise NotImplementedError

    def account(self, patron: PatronRef, *, timeout: float) -> Account:
        raise NotImplementedError

    def renew(self, patron: PatronRef, item_id: str, *, timeout: float) -> ActionResult:
        """Renew one loan (by :attr:`Loan.item_id`). A refusal is ``ok=False`` with the
        reason, not an exception."""
        raise NotImplementedError

    def place_hold(
        self,
        patron: PatronRef,
        *,
        record_id: str,
        item_id: str = "",
        pickup_location: str = "",
        timeout: float,
    ) -> ActionResult:
        raise NotImplementedError

    def cancel_hold(self, patron: PatronRef, hold_id: str, *, timeout: float) -> ActionResult:
        raise NotImplementedError


class Driver(PatronDriver):
    """Base class of the drivers. Subclasses set the class attributes and implement the
    methods of the capabilities they declare."""

    name: ClassVar[str]
    label: ClassVar[str]  # French, shown to staff
    capabilities: ClassVar[frozenset[str]] = frozenset()
    settings_form: ClassVar[type[forms.Form]] = forms.Form
    incremental: ClassVar[bool] = False  # whether harvest(since=...) returns only changes
    takes_uploads: ClassVar[bool] = False  # whether staff give it export files to read
    # Whether it answers from the portal's own data (the demo) rather than a remote system:
    # then it is asked in the calling thread, not given one of its own.
    answers_locally: ClassVar[bool] = False
    # The connector this driver serves, set by ``Connector.get_driver()``: a driver whose
    # data the portal itself holds (the patron_file driver's patron list) finds it by this.
    connector_id: int | None = None

    def __init__(self, settings: Mapping[str, Any] | None = None):
        self.settings = dict(settings or {})

    @classmethod
    def supports(cls, capability: str) -> bool:
        return capability in cls.capabilities

    @classmethod
    def validate_settings(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """The settings as the driver will use them, or :class:`ConnectorError` listing
        what is wrong (French)."""
        form = cls.settings_form(data=data)
        if not form.is_valid():
            problems = [
                f"{form.fields[name].label if name in form.fields else ''} : {message}".strip(" :")
                for name, messages in form.errors.items()
                for message in messages
            ]
            raise ConnectorError("Réglages invalides : " + " ; ".join(problems))
        return {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}

    @classmethod
    def runs_unattended(cls, settings: Mapping[str, Any]) -> bool:
        """Whether these settings are enough to harvest (on a schedule, say), without a
        file being given."""
        return True

    def estimate_total(self) -> int | None:
        """How many records a harvest will read, when the driver can tell cheaply."""
        return None

    def harvest(
        self, *, since: str = "", resume: Mapping[str, Any] | None = None
    ) -> Iterator[HarvestedRecord | Checkpoint]:
        """Every record of the source (changed since ``since`` when the driver is
        incremental and ``since`` is given), with a :class:`Checkpoint` after each batch
        and a final one with ``done=True``. Given ``resume`` (from a checkpoint), goes on
        from there. Raises :class:`ConnectorError`."""
        raise NotImplementedError

    # ------------------------------------------------------------ availability

    def availability(
        self,
        items: Sequence["ItemQuery"],
        *,
        timeout: float,
        mapping: Mapping[str, Any] | None = None,
    ) -> dict[int, "ItemStatus"]:
        """The live status of these copies, by :attr:`ItemQuery.key`, asked of the system
        in at most ``timeout`` seconds in all. Copies the system does not know are left
        out. ``mapping`` is the connector's resolved item mapping, for drivers that read
        copies out of MARC records (SRU). Raises :class:`ConnectorError` (``retryable``
        for a timeout or an unreachable system)."""
        raise NotImplementedError


@dataclass(frozen=True)
class ItemQuery:
    """A copy the portal asks a system about, with what the harvest knows of it."""

    key: int  # the catalogue's Item id
    barcode: str = ""
    record_id: str = ""  # the record's identifier in the source (SourceRecord.local_id)
    item_id: str = ""  # the copy's identifier in the source (Koha's itemnumber), if known
    site_code: str = ""


@dataclass(frozen=True)
class ItemStatus:
    """What a system says of a copy now. ``label`` is French, shown to patrons
    ("En rayon", "En prêt jusqu'au 12/12/2026", "En transit", "Réservé", "En réparation").
    ``available`` is None when the system's answer cannot be read as on-the-shelf or not."""

    available: bool | None
    label: str
    due_date: date | None = None
    location: str = ""  # where the system says the copy is now, when it says


DEFAULT_TIMEOUT = 30  # seconds


class ServerSettings(forms.Form):
    """Settings every driver talking to a server over HTTP shares: its address, checked,
    and a timeout. Subclasses declare ``base_url`` (label, help) and may add checks of the
    address's query in :meth:`check_query`."""

    timeout = forms.IntegerField(
        label="Délai d'attente (secondes)",
        required=False,
        min_value=1,
        max_value=300,
        initial=DEFAULT_TIMEOUT,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timeout"] = self.fields.pop("timeout")  # last, after the driver's own

    def check_query(self, query: str) -> None:
        """Raise ``forms.ValidationError`` when the address carries protocol parameters."""

    def clean_base_url(self) -> str:
        url = self.cleaned_data["base_url"]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise forms.ValidationError("L'adresse doit commencer par http:// ou https://.")
        if parts.username or parts.password:
            raise forms.ValidationError(
                "L'adresse ne doit pas contenir d'identifiant ni de mot de passe."
            )
        if parts.fragment:
            raise forms.ValidationError("L'adresse ne doit pas contenir de « # ».")
        self.check_query(parts.query)
        return url

    def clean_timeout(self) -> int:
        return self.cleaned_data.get("timeout") or DEFAULT_TIMEOUT
