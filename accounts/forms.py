from django import forms
from django.contrib.auth import password_validation
from django.utils import timezone
from wagtail.admin.forms import WagtailAdminModelForm

from accounts.models import LIBRARY_ROLES, Role, StaffMember, User
from accounts.security import normalise_card_number
from network.models import Library


class StaffForm(WagtailAdminModelForm):
    """Invite or edit a staff member; a library administrator only handles their editors."""

    class Meta:
        model = StaffMember
        fields = ["first_name", "last_name", "email", "role", "library", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["first_name"].required = True
        self.fields["last_name"].required = True
        staff_roles = [(r.value, r.label) for r in Role if r != Role.PATRON]
        self.fields["role"].choices = staff_roles
        user = getattr(self, "for_user", None)
        if user is not None and not user.is_network_admin:
            self.fields["role"].choices = [(Role.LIBRARY_EDITOR.value, Role.LIBRARY_EDITOR.label)]
            self.fields["role"].initial = Role.LIBRARY_EDITOR
            self.fields["library"].queryset = Library.objects.filter(pk=user.library_id)
            self.fields["library"].initial = user.library_id
            self.fields["library"].required = True

    def clean(self):
        data = super().clean()
        role, library = data.get("role"), data.get("library")
        if role in LIBRARY_ROLES and library is None:
            self.add_error("library", "Choisissez la bibliothèque de ce membre du personnel.")
        if role == Role.NETWORK_ADMIN:
            data["library"] = None
        email = (data.get("email") or "").lower()
        clash = User.objects.filter(username__iexact=email).exclude(pk=self.instance.pk)
        if email and clash.exists():
            self.add_error("email", "Un compte existe déjà avec cette adresse e-mail.")
        return data

    def save(self, commit=True):
        user = super().save(commit=False)
        user.email = user.email.lower()
        if not user.username:
            user.username = user.email
        if commit:
            user.save()
        return user


def _text(autocomplete: str) -> forms.TextInput:
    return forms.TextInput(attrs={"autocomplete": autocomplete})


class CardNumberForm(forms.Form):
    """A library card's number, as the patron types it (spaces and dashes taken out)."""

    card_number = forms.CharField(
        label="Numéro de carte",
        max_length=40,
        help_text="Le numéro inscrit sous le code-barres de votre carte de bibliothèque.",
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "inputmode": "text", "spellcheck": "false"}
        ),
    )

    def clean_card_number(self) -> str:
        number = normalise_card_number(self.cleaned_data["card_number"])
        if not number:
            raise forms.ValidationError("Indiquez le numéro de votre carte.")
        return number


class CardLoginForm(CardNumberForm):
    """Card number and PIN; the library only when the number does not tell it."""

    pin = forms.CharField(
        label="Code confidentiel",
        max_length=128,
        help_text=(
            "Le code que vous utilisez déjà à votre bibliothèque, ou le mot de passe que "
            "vous avez choisi sur Métrobib (carte métropolitaine, ou bibliothèque qui vous "
            "fait choisir le vôtre ici)."
        ),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    library = forms.ModelChoiceField(
        label="Ma bibliothèque",
        queryset=Library.objects.none(),
        required=False,
        empty_label="Reconnue d'après le numéro de carte",
    )

    def __init__(self, *args, libraries=None, **kwargs):
        super().__init__(*args, **kwargs)
        from accounts.patrons import login_connectors

        if libraries is None:  # lazy: a login that names no library asks nothing of it
            wanted = Library.objects.filter(pk__in=login_connectors().values("library_id"))
        else:
            wanted = Library.objects.filter(pk__in=[library.pk for library in libraries])
        self.fields["library"].queryset = wanted.order_by("name")


class MetropolitanCardForm(forms.Form):
    """Registration for a metropolitan card, online or at a library's desk (``desk``: the
    e-mail becomes optional)."""

    first_name = forms.CharField(label="Prénom", max_length=150, widget=_text("given-name"))
    last_name = forms.CharField(label="Nom", max_length=150, widget=_text("family-name"))
    birth_date = forms.DateField(
        label="Date de naissance",
        help_text="Par exemple 14/05/1987.",
        input_formats=["%d/%m/%Y", "%Y-%m-%d", "%d%m%Y"],
        widget=forms.TextInput(attrs={"autocomplete": "bday", "inputmode": "numeric"}),
    )
    email = forms.EmailField(
        label="Adresse e-mail",
        required=False,
        help_text="Un lien vous y sera envoyé pour la confirmer.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    street = forms.CharField(label="Adresse", max_length=200, widget=_text("street-address"))
    postal_code = forms.RegexField(
        label="Code postal",
        regex=r"^\d{5}$",
        error_messages={"invalid": "Un code postal a cinq chiffres."},
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    commune = forms.CharField(
        label="Commune",
        max_length=100,
        help_text="Le nom de votre commune, ou son code INSEE.",
        widget=_text("address-level2"),
    )
    guardian_name = forms.CharField(
        label="Nom du parent ou représentant légal",
        required=False,
        max_length=200,
        help_text="Seulement pour une inscription avant 15 ans.",
    )
    guardian_consent = forms.BooleanField(
        label="Je suis le parent ou représentant légal et j'autorise cette inscription.",
        required=False,
    )
    password1 = forms.CharField(
        label="Mot de passe",
        help_text="Au moins 12 caractères, pas uniquement des chiffres.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Mot de passe, une seconde fois",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    privacy = forms.BooleanField(
        label=(
            "J'ai lu la notice sur les données personnelles et j'accepte que Métrobib "
            "conserve ces informations pour gérer ma carte."
        ),
        error_messages={"required": "Votre accord est nécessaire pour délivrer la carte."},
    )

    def __init__(self, *args, desk: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.desk = desk
        if not desk:
            self.fields["email"].required = True
            self.fields["email"].error_messages["required"] = "Indiquez votre adresse e-mail."

    def clean_commune(self):
        from accounts.metrocard import find_commune

        commune = find_commune(self.cleaned_data["commune"])
        if commune is None:
            raise forms.ValidationError(
                "Cette commune n'est pas l'une des 58 communes de la Métropole de Lyon : la "
                "carte métropolitaine est réservée à leurs habitants."
            )
        return commune

    def clean_birth_date(self):
        from datetime import date

        born = self.cleaned_data["birth_date"]
        if born > timezone.localdate() or born < date(1900, 1, 1):
            raise forms.ValidationError("Cette date de naissance n'est pas possible.")
        return born

    def clean(self):
        from accounts.metrocard import GUARDIAN_BELOW, age_on

        data = super().clean()
        born = data.get("birth_date")
        if born and age_on(born, timezone.localdate()) < GUARDIAN_BELOW:
            if not data.get("guardian_name"):
                self.add_error(
                    "guardian_name",
                    "Avant 15 ans, indiquez le nom du parent ou représentant légal.",
                )
            if not data.get("guardian_consent"):
                self.add_error(
                    "guardian_consent", "Avant 15 ans, l'accord du parent est nécessaire."
                )
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "Les deux mots de passe sont différents.")
        elif first:
            candidate = User(
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                email=data.get("email", ""),
            )
            try:
                password_validation.validate_password(first, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class PasswordLinkForm(CardNumberForm):
    """A card number, to send its holder the link to choose a password (libraries whose
    patron list is imported into the portal)."""


class ChosenPasswordForm(forms.Form):
    """A new password, twice, checked by the site's password validators against what the
    portal knows of its holder (``holder``: their names, e-mail and card number)."""

    password1 = forms.CharField(
        label="Nouveau mot de passe",
        strip=False,
        help_text=(
            "Au moins 12 caractères, pas uniquement des chiffres, ni votre nom ni votre "
            "numéro de carte."
        ),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Nouveau mot de passe, une seconde fois",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, holder, **kwargs):
        super().__init__(*args, **kwargs)
        self.holder = holder

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "Les deux mots de passe sont différents.")
        elif first:
            candidate = User(
                username=self.holder.card_number,
                first_name=self.holder.first_name,
                last_name=self.holder.last_name,
                email=self.holder.email,
            )
            try:
                password_validation.validate_password(first, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data
