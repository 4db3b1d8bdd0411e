"""Patrons' pages: login with a library card, "mon compte", "mes cartes", the metropolitan
card, personal data, and choosing the password of a card on an imported patron list."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts import cardimage, links, metrocard, patrons
from accounts import privacy as privacy_service
from accounts.forms import (
    CardLoginForm,
    ChosenPasswordForm,
    MetropolitanCardForm,
    PasswordLinkForm,
)
from accounts.models import LibraryCard, LoginEvent, MetropolitanCard, Role
from accounts.security import client_ip, over_limit, record_login_event
from connectors.base import InvalidCredentials
from connectors.patron_file import passwords

log = logging.getLogger(__name__)

PATRON_LOGIN = "accounts:login"


def patron_required(view):
    """Logged in as a patron, else to the login page (staff have the back-office)."""

    @login_required(login_url=PATRON_LOGIN)
    def wrapped(request, *args, **kwargs):
        if request.user.role != Role.PATRON:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _next_url(request) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(wanted, {request.get_host()}, request.is_secure()):
        return wanted
    return reverse("accounts:account")


def _check_card_form(request, form, *, user=None):
    """Run a card form through login: the user on success, else None with the form's
    errors set (and the libraries to choose from, when the card does not tell)."""
    data = form.cleaned_data
    if user is None and metrocard.is_card_number(data["card_number"]):
        # The network's own card: its password is a Django hash on the user.
        return authenticate(request, username=data["card_number"], password=data["pin"])
    try:
        if user is None:
            return authenticate(
                request,
                card_number=data["card_number"],
                password=data["pin"],
                library=data.get("library"),
            )
        return patrons.link_card(
            request, user, data["card_number"], data["pin"], library=data.get("library")
        )
    except patrons.ChooseLibrary as problem:
        form.fields["library"].queryset = form.fields["library"].queryset.model.objects.filter(
            pk__in=[library.pk for library in problem.libraries]
        )
        form.add_error("library", problem.message + " Choisissez votre bibliothèque.")
    except patrons.SystemUnavailable as problem:
        record_login_event(request, LoginEvent.Kind.UNAVAILABLE, library=problem.library)
        form.add_error(None, problem.message)
    return None


@never_cache
@sensitive_post_parameters("pin")
def login_view(request):
    if request.user.is_authenticated and request.user.role == Role.PATRON:
        return redirect(_next_url(request))
    form = CardLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = _check_card_form(request, form)
        if user is not None:
            login(request, user)  # a new session key: no fixation
            return HttpResponseRedirect(_next_url(request))
        if not form.errors and not getattr(request, "axes_locked_out", False):
            form.add_error(None, _refusal(request))
    context = {
        "form": form,
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "password_libraries": passwords.libraries(),
    }
    return render(request, "accounts/login.html", context, status=400 if form.errors else 200)


def _refusal(request) -> str:
    """Why the library's system refused the card: its own words when it gave some."""
    return getattr(request, "login_refusal", "") or InvalidCredentials.MESSAGE


@require_POST
def logout_view(request):
    logout(request)
    messages.success(request, "Vous êtes déconnecté·e.")
    return redirect("/")


def locked_out(request, response=None, credentials=None):
    """django-axes' lockout page: what happened and when to try again (HTTP 429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)


@never_cache
@patron_required
def account(request):
    context = {
        "accounts": patrons.gather_accounts(request.user),
        "today": timezone.localdate(),
    }
    return render(request, "accounts/account.html", context)


@require_POST
@patron_required
def renew(request):
    try:
        card_id = int(request.POST.get("card", ""))
    except ValueError:
        raise Http404 from None
    item_ids = request.POST.getlist("every" if request.POST.get("tout") else "item")
    if not item_ids:
        messages.error(request, "Choisissez au moins un document à renouveler.")
        return redirect("accounts:account")
    try:
        results = patrons.renew_loans(request.user, card_id, item_ids)
    except LibraryCard.DoesNotExist:
        raise Http404 from None
    for item_id, result in results.items():
        title = request.POST.get(f"title-{item_id}") or "Document"
        if result.ok:
            due = f" jusqu'au {result.due_date:%d/%m/%Y}" if result.due_date else ""
            messages.success(request, f"« {title} » est renouvelé{due}.")
        else:
            messages.error(request, f"« {title} » n'a pas été renouvelé : {result.message}")
    return redirect("accounts:account")


@require_POST
@patron_required
def cancel_hold(request):
    try:
        card_id = int(request.POST.get("card", ""))
        result = patrons.cancel_hold(request.user, card_id, request.POST.get("hold", ""))
    except (ValueError, LibraryCard.DoesNotExist):
        raise Http404 from None
    title = request.POST.get("title") or "Document"
    if result.ok:
        messages.success(request, f"Votre réservation de « {title} » est annulée.")
    else:
        messages.error(
            request, f"La réservation de « {title} » n'est pas annulée : {result.message}"
        )
    return redirect("accounts:account")


@never_cache
@sensitive_post_parameters("pin")
@patron_required
def cards(request):
    form = CardLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        card = _check_card_form(request, form, user=request.user)
        if card is not None:
            messages.success(request, f"La carte de {card.library} est ajoutée à votre compte.")
            return redirect("accounts:cards")
        if not form.errors:
            form.add_error(None, _refusal(request))
    context = {"form": form, "cards": patrons.patron_cards(request.user)}
    return render(request, "accounts/cards.html", context, status=400 if form.errors else 200)


@require_POST
@patron_required
def unlink_card(request, card_id: int):
    try:
        card = patrons.unlink_card(request.user, card_id)
    except LibraryCard.DoesNotExist:
        raise Http404 from None
    except patrons.LoginProblem as problem:
        messages.error(request, problem.message)
        return redirect("accounts:cards")
    messages.success(request, f"La carte de {card.library} est retirée de votre compte.")
    return redirect("accounts:cards")


@require_POST
@patron_required
def hold(request, work_id: int):
    """Place a hold from a work's page of the union catalogue."""
    from catalogue.models import Work

    work = get_object_or_404(Work, pk=work_id)
    try:
        card_id = int(request.POST.get("card", ""))
        site_id = int(request.POST.get("retrait") or 0) or None
        result = patrons.hold_work(request.user, card_id, work, site_id)
    except (ValueError, LibraryCard.DoesNotExist):
        raise Http404 from None
    if result.ok:
        messages.success(request, f"« {work.title} » est réservé. {result.message}".strip())
        return redirect("accounts:account")
    messages.error(request, f"« {work.title} » n'a pas pu être réservé : {result.message}")
    return redirect("catalogue:work", pk=work.pk)


# ---------------------------------------------------------------- the metropolitan card


def _registration(form) -> metrocard.Registration:
    data = form.cleaned_data
    return metrocard.Registration(
        first_name=data["first_name"],
        last_name=data["last_name"],
        birth_date=data["birth_date"],
        email=data.get("email") or "",
        street=data["street"],
        postal_code=data["postal_code"],
        commune=data["commune"],
        password=data["password1"],
        guardian_name=data.get("guardian_name") or "",
    )


def _send_email_link(request, card) -> None:
    if not card.patron.user.email:
        return
    links.send_link(
        request,
        to=card.patron.user.email,
        subject="Confirmez votre adresse e-mail — carte métropolitaine Métrobib",
        template="accounts/email_verify.txt",
        url_name="accounts:metro_verify",
        token=metrocard.email_token(card),
        context={"card": card},
    )


@never_cache
@sensitive_post_parameters("password1", "password2")
def metro_register(request):
    """Online self-registration for a metropolitan card."""
    form = MetropolitanCardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            card = metrocard.register(_registration(form))
        except metrocard.RegistrationError as error:
            form.add_error(None, error.message)
        else:
            _send_email_link(request, card)
            login(request, card.patron.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                f"Votre carte métropolitaine est prête : son numéro est {card.number}. "
                "Un lien de confirmation vous a été envoyé par e-mail.",
            )
            return redirect("accounts:metro_card")
    context = {"form": form, "desk": False}
    return render(
        request, "accounts/metro_register.html", context, status=400 if form.errors else 200
    )


@never_cache
@sensitive_post_parameters("password1", "password2")
def metro_desk(request):
    """The same registration, by library staff at a desk, for someone who may have no
    e-mail; the card is then shown to print."""
    if not (request.user.is_authenticated and request.user.is_staff):
        return redirect_to_login(request.get_full_path(), reverse("wagtailadmin_login"))
    form = MetropolitanCardForm(request.POST or None, desk=True)
    if request.method == "POST" and form.is_valid():
        try:
            card = metrocard.register(_registration(form), actor=request.user)
        except metrocard.RegistrationError as error:
            form.add_error(None, error.message)
        else:
            _send_email_link(request, card)
            return render(request, "accounts/metro_card.html", _card_context(card, desk=True))
    context = {"form": form, "desk": True}
    return render(
        request, "accounts/metro_register.html", context, status=400 if form.errors else 200
    )


def _card_context(card, *, desk: bool = False) -> dict:
    label = f"Carte métropolitaine numéro {card.number}"
    return {
        "card": card,
        "desk": desk,
        "full_access": metrocard.full_access(card),
        "barcode": cardimage.barcode_svg(card.number, f"Code-barres : {label}"),
        "qr": cardimage.qr_svg(card.number, f"QR code : {label}"),
        "today": timezone.localdate(),
    }


@never_cache
@patron_required
def metro_card(request):
    card = MetropolitanCard.objects.filter(patron__user=request.user).first()
    if card is None:
        return redirect("accounts:metro_register")
    return render(request, "accounts/metro_card.html", _card_context(card))


@never_cache
def metro_verify(request, token: str):
    try:
        card = metrocard.verify_email(token)
    except metrocard.RegistrationError as error:
        return render(request, "accounts/metro_verify.html", {"error": error.message}, status=400)
    return render(request, "accounts/metro_verify.html", {"card": card})


# ---------------------------------------------------------------- personal data


@never_cache
@patron_required
def privacy(request):
    patron = getattr(request.user, "patron", None)
    context = {
        "data": privacy_service.personal_data(request.user),
        "history": patron.reading_history.select_related("library") if patron else [],
    }
    return render(request, "accounts/privacy.html", context)


@never_cache
@patron_required
def privacy_export(request):
    data = privacy_service.personal_data(request.user)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = 'attachment; filename="metrobib-mes-donnees.json"'
    return response


@require_POST
@patron_required
def reading_history(request):
    """Turn the reading history on or off (off erases it)."""
    keep = request.POST.get("garder") == "oui"
    patrons.set_reading_history(request.user, keep)
    if keep:
        messages.success(
            request,
            "L'historique de vos prêts est activé : les prêts que vous verrez dans « mon "
            "compte » y seront gardés.",
        )
    else:
        messages.success(request, "L'historique de vos prêts est désactivé et effacé.")
    return redirect("accounts:privacy")


@require_POST
@patron_required
def privacy_delete(request):
    if request.POST.get("confirmer") != "oui":
        messages.error(request, "Cochez la case pour confirmer la suppression de votre compte.")
        return redirect("accounts:privacy")
    user = request.user
    logout(request)
    privacy_service.delete_patron(user)
    return render(request, "accounts/deleted.html")


# ---------------------------------------------------------------- passwords of imported lists

# A link per card and per hour at most, whatever is asked; and a bound on the requests
# from one address, so that the page cannot be used to flood mailboxes or probe numbers.
LINKS_PER_CARD_PER_HOUR = 3
LINK_REQUESTS_PER_ADDRESS_PER_HOUR = 30
PASSWORD_TOKEN_SESSION_KEY = "patron_file_password_token"  # noqa: S105 (a key, not a secret)


@never_cache
def password_request(request):
    """A card number → a link to choose a password, by e-mail, when the card is on an
    imported patron list with an address. The same answer whatever the number."""
    form = PasswordLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if over_limit(
            "password-link-address",
            client_ip(request),
            limit=LINK_REQUESTS_PER_ADDRESS_PER_HOUR,
            seconds=3600,
        ):
            return render(request, "accounts/password_throttled.html", status=429)
        number = form.cleaned_data["card_number"]
        if not over_limit(
            "password-link-card", number, limit=LINKS_PER_CARD_PER_HOUR, seconds=3600
        ):
            for patron in passwords.patrons_for_link(number):
                _send_password_link(request, patron)
        return redirect("accounts:password_sent")
    context = {"form": form, "libraries": passwords.libraries()}
    status = 400 if form.errors else 200
    return render(request, "accounts/password_request.html", context, status=status)


def _send_password_link(request, patron) -> None:
    try:
        links.send_link(
            request,
            to=patron.email,
            subject="Choisissez votre mot de passe — Métrobib",
            template="accounts/email_password.txt",
            url_name="accounts:password_link",
            token=passwords.password_token(patron),
            context={
                "patron": patron,
                "library": patron.connector.library,
                "days": passwords.LINK_DAYS,
            },
        )
    except OSError as error:  # SMTP errors too: the answer must stay the same
        log.error(
            "password link for a patron of connector %s not sent: %s",
            patron.connector_id,
            type(error).__name__,
        )


def password_sent(request):
    return render(request, "accounts/password_sent.html", {"days": passwords.LINK_DAYS})


@never_cache
def password_link(request, token: str):
    """The e-mailed link: checked, then kept in the session and out of the address bar
    (no token in the browser's history or in a Referer header), as Django does."""
    try:
        passwords.patron_for_token(token)
    except links.LinkError as error:
        return render(request, "accounts/password_set.html", {"error": error.message}, status=400)
    request.session[PASSWORD_TOKEN_SESSION_KEY] = token
    return redirect("accounts:password_set")


@never_cache
@sensitive_post_parameters("password1", "password2")
def password_set(request):
    token = request.session.get(PASSWORD_TOKEN_SESSION_KEY, "")
    try:
        patron = passwords.patron_for_token(token)
    except links.LinkError as error:
        message = (
            error.message
            if token
            else "Ouvrez le lien reçu par e-mail pour choisir votre mot de passe."
        )
        return render(request, "accounts/password_set.html", {"error": message}, status=400)
    form = ChosenPasswordForm(request.POST or None, holder=patron)
    if request.method == "POST" and form.is_valid():
        try:
            passwords.set_password(token, form.cleaned_data["password1"])
        except links.LinkError as error:
            return render(
                request, "accounts/password_set.html", {"error": error.message}, status=400
            )
        request.session.pop(PASSWORD_TOKEN_SESSION_KEY, None)
        messages.success(
            request,
            "Votre mot de passe est enregistré. Connectez-vous avec votre numéro de carte et "
            "ce mot de passe.",
        )
        return redirect("accounts:login")
    context = {"form": form, "library": patron.connector.library}
    status = 400 if form.errors else 200
    return render(request, "accounts/password_set.html", context, status=status)
