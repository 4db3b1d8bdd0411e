"""The demo driver's library system: made-up patrons who log in, borrow, renew and hold.

Patrons come from ``demo/patrons/demo-patrons.json`` (card number, PIN, name, how many
loans and holds), per demo export. Their loans are copies of that export, chosen by a hash
of the card so that they are the same in every process. What patrons do (renewals, holds
placed or cancelled) is kept in the shared cache, so it holds across web processes and
restarts of ``make run`` with the database cache; forgetting it only resets the demo.

Rules, as a small library would set them: a loan runs 21 days and is renewed at most
twice; a copy another patron holds (one in four, by a hash of its barcode) is not
renewable; a blocked or expired card renews and holds nothing.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from connectors import mapping as item_mapping
from connectors import parsing
from connectors.base import (
    Account,
    ActionResult,
    HarvestedRecord,
    Hold,
    InvalidCredentials,
    Loan,
    PatronIdentity,
    PatronRef,
)
from connectors.marc_file.driver import MarcFileDriver

PATRONS_FILE = Path("demo") / "patrons" / "demo-patrons.json"
LOAN_DAYS = 21
MAX_RENEWALS = 2
STATE_SECONDS = 60 * 60 * 24 * 90
PICKUP_DEFAULT = "Médiathèque"


@dataclass(frozen=True)
class DemoCopy:
    barcode: str
    record_id: str
    title: str
    author: str


@lru_cache(maxsize=1)
def demo_systems() -> dict:
    path = Path(settings.BASE_DIR) / PATRONS_FILE
    return json.loads(path.read_text(encoding="utf-8"))["systems"]


def card_pattern(export: str) -> str:
    return demo_systems().get(export, {}).get("card_pattern", "")


@lru_cache(maxsize=8)
def export_copies(path: str, mapping: item_mapping.CompiledMapping) -> tuple[DemoCopy, ...]:
    """The copies of a demo export with their record's title (read once per process), each
    record named by the local id its harvest gives it (its 001, or a digest without one)."""
    copies = []
    for harvested in MarcFileDriver({"path": path}).harvest():
        if not isinstance(harvested, HarvestedRecord):
            continue
        parsed = parsing.parse(harvested, parsing.checksum(harvested.payload), mapping)
        if parsed.record is None:
            continue
        described = parsed.record
        author = described.authors[0].name if described.authors else ""
        for item in parsed.items:
            if item.barcode:
                copies.append(DemoCopy(item.barcode, parsed.local_id, described.title, author))
    return tuple(copies)


def _rank(*parts: str) -> bytes:
    return hashlib.sha256("|".join(parts).encode()).digest()


class DemoLibrarySystem:
    """One demo export's library system."""

    def __init__(self, export: str, copies: tuple[DemoCopy, ...]):
        self.export = export
        self.copies = copies
        self.patrons = {p["card"]: p for p in demo_systems().get(export, {}).get("patrons", [])}

    # ------------------------------------------------------------ patrons

    def _patron(self, card: str) -> dict:
        patron = self.patrons.get(card)
        if patron is None:
            raise InvalidCredentials()
        return patron

    def identity(self, patron: dict, today: date) -> PatronIdentity:
        expires = today + timedelta(days=patron.get("expires_in_days", 365))
        birth = date(today.year - patron.get("birth_year_offset", 30), 3, 1)
        reason = patron.get("block_reason", "")
        return PatronIdentity(
            card_number=patron["card"],
            system_id=f"demo-{patron['card']}",
            first_name=patron.get("first_name", ""),
            last_name=patron.get("last_name", ""),
            email=patron.get("email", ""),
            birth_date=birth,
            expires_on=expires,
            postal_code=patron.get("postal_code", ""),
            city=patron.get("city", ""),
            blocked=bool(reason),
            block_reason=reason,
        )

    def authenticate(self, card: str, pin: str) -> PatronIdentity:
        patron = self._patron(card)
        if not pin or pin != patron["pin"]:
            raise InvalidCredentials()
        return self.identity(patron, timezone.localdate())

    # ------------------------------------------------------------ state

    def _key(self, card: str) -> str:
        return f"demo-ils:{self.export}:{card}"

    def _state(self, card: str, today: date) -> dict:
        state = cache.get(self._key(card))
        if state is None:
            state = self._first_state(self._patron(card), today)
            self._save(card, state)
        return state

    def _save(self, card: str, state: dict) -> None:
        cache.set(self._key(card), state, STATE_SECONDS)

    def _first_state(self, patron: dict, today: date) -> dict:
        ordered = sorted(self.copies, key=lambda c: _rank(patron["card"], c.barcode))
        wanted_loans = patron.get("loans", 0)
        overdue = patron.get("overdue", 0)
        loans = []
        for position, copy in enumerate(ordered[:wanted_loans]):
            if position < overdue:
                due = today - timedelta(days=3 + 4 * position)
            else:
                due = today + timedelta(days=4 + 5 * position)
            loans.append({"barcode": copy.barcode, "due": due.isoformat(), "renewals": 0})
        holds = []
        for position, copy in enumerate(
            ordered[wanted_loans : wanted_loans + patron.get("holds", 0)]
        ):
            holds.append(
                {
                    "id": f"H{_rank(patron['card'], copy.barcode).hex()[:8]}",
                    "record_id": copy.record_id,
                    "barcode": "",
                    "placed": (today - timedelta(days=6 + position)).isoformat(),
                    "ready": position == 0,
                    "pickup": PICKUP_DEFAULT,
                }
            )
        return {"loans": loans, "holds": holds}

    def _copy(self, barcode: str) -> DemoCopy | None:
        return next((c for c in self.copies if c.barcode == barcode), None)

    def _record(self, record_id: str) -> DemoCopy | None:
        return next((c for c in self.copies if c.record_id == record_id), None)

    def _held_by_another(self, barcode: str) -> bool:
        return _rank("held", barcode)[0] % 4 == 0

    # ------------------------------------------------------------ account

    def account(self, ref: PatronRef) -> Account:
        today = timezone.localdate()
        patron = self._patron(ref.card_number)
        identity = self.identity(patron, today)
        state = self._state(ref.card_number, today)
        loans = []
        for loan in state["loans"]:
            copy = self._copy(loan["barcode"])
            due = date.fromisoformat(loan["due"])
            renewable, reason = self._renewable(identity, loan, today)
            loans.append(
                Loan(
                    item_id=loan["barcode"],
                    barcode=loan["barcode"],
                    title=copy.title if copy else "",
                    author=copy.author if copy else "",
                    record_id=copy.record_id if copy else "",
                    due_date=due,
                    overdue=due < today,
                    renewable=renewable,
                    not_renewable_reason=reason,
                    renewals=loan["renewals"],
                )
            )
        holds = []
        for position, hold in enumerate(state["holds"]):
            copy = self._record(hold["record_id"])
            placed = date.fromisoformat(hold["placed"])
            holds.append(
                Hold(
                    hold_id=hold["id"],
                    title=copy.title if copy else "",
                    status="Disponible au retrait" if hold["ready"] else "En attente",
                    ready=hold["ready"],
                    position=None if hold["ready"] else position + 1,
                    pickup_location=hold["pickup"],
                    placed_on=placed,
                    expires_on=today + timedelta(days=7) if hold["ready"] else None,
                    cancellable=True,
                    record_id=hold["record_id"],
                    item_id=hold["barcode"],
                )
            )
        messages = ()
        if any(loan.overdue for loan in loans):
            messages = ("Vous avez des documents en retard : merci de les rapporter.",)
        return Account(patron=identity, loans=tuple(loans), holds=tuple(holds), messages=messages)

    def _renewable(self, identity: PatronIdentity, loan: dict, today: date) -> tuple[bool, str]:
        if identity.blocked:
            return False, "votre carte est bloquée"
        if identity.expires_on and identity.expires_on < today:
            return False, "votre abonnement a pris fin"
        if loan["renewals"] >= MAX_RENEWALS:
            return False, f"déjà renouvelé {MAX_RENEWALS} fois"
        if self._held_by_another(loan["barcode"]):
            return False, "un autre lecteur l'a réservé"
        return True, ""

    def renew(self, ref: PatronRef, item_id: str) -> ActionResult:
        today = timezone.localdate()
        identity = self.identity(self._patron(ref.card_number), today)
        state = self._state(ref.card_number, today)
        loan = next((loan for loan in state["loans"] if loan["barcode"] == item_id), None)
        if loan is None:
            return ActionResult(ok=False, message="Ce document n'est pas en prêt sur votre carte.")
        renewable, reason = self._renewable(identity, loan, today)
        if not renewable:
            return ActionResult(ok=False, message=reason[:1].upper() + reason[1:] + ".")
        due = max(today, date.fromisoformat(loan["due"])) + timedelta(days=LOAN_DAYS)
        loan["due"] = due.isoformat()
        loan["renewals"] += 1
        self._save(ref.card_number, state)
        return ActionResult(ok=True, due_date=due)

    def place_hold(self, ref: PatronRef, record_id: str, item_id: str, pickup: str) -> ActionResult:
        today = timezone.localdate()
        identity = self.identity(self._patron(ref.card_number), today)
        if identity.blocked or (identity.expires_on and identity.expires_on < today):
            return ActionResult(ok=False, message="Votre carte ne permet pas de réserver.")
        copy = self._copy(item_id) if item_id else self._record(record_id)
        if copy is None:
            return ActionResult(ok=False, message="Ce document n'est pas dans le catalogue.")
        state = self._state(ref.card_number, today)
        if any(h["record_id"] == copy.record_id for h in state["holds"]):
            return ActionResult(ok=False, message="Vous avez déjà réservé ce document.")
        if any(loan["barcode"] == copy.barcode for loan in state["loans"]):
            return ActionResult(ok=False, message="Vous avez déjà ce document en prêt.")
        state["holds"].append(
            {
                "id": f"H{_rank(ref.card_number, copy.record_id, today.isoformat()).hex()[:8]}",
                "record_id": copy.record_id,
                "barcode": item_id,
                "placed": today.isoformat(),
                "ready": False,
                "pickup": pickup or PICKUP_DEFAULT,
            }
        )
        self._save(ref.card_number, state)
        return ActionResult(ok=True, message="Réservation enregistrée.")

    def cancel_hold(self, ref: PatronRef, hold_id: str) -> ActionResult:
        state = self._state(ref.card_number, timezone.localdate())
        kept = [h for h in state["holds"] if h["id"] != hold_id]
        if len(kept) == len(state["holds"]):
            return ActionResult(ok=False, message="Cette réservation n'existe plus.")
        state["holds"] = kept
        self._save(ref.card_number, state)
        return ActionResult(ok=True)
