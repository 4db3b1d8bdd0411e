from django import forms
from wagtail.admin.forms import WagtailAdminModelForm

from accounts.models import LIBRARY_ROLES, Role, StaffMember, User
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


class CardLoginForm(forms.Form):
    """Card number and PIN; the library only when the number does not tell it."""

    card_number = forms.CharField(
        label="Numéro de carte",
        max_length=40,
        help_text="Le numéro inscrit sous le code-barres de votre carte de bibliothèque.",
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "inputmode": "text", "spellcheck": "false"}
        ),
    )
    pin = forms.CharField(
        label="Code confidentiel",
        max_length=128,
        help_text="Le code ou mot de passe que vous utilisez déjà à votre bibliothèque.",
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
        from accounts.patrons import login_libraries

        choices = libraries if libraries is not None else login_libraries()
        self.fields["library"].queryset = Library.objects.filter(
            pk__in=[library.pk for library in choices]
        ).order_by("name")

    def clean_card_number(self) -> str:
        from accounts.security import normalise_card_number

        number = normalise_card_number(self.cleaned_data["card_number"])
        if not number:
            raise forms.ValidationError("Indiquez le numéro de votre carte.")
        return number
