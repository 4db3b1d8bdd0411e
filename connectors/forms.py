import copy

from django import forms
from wagtail.admin.panels import Panel

from accounts.viewsets import LibraryScopedForm
from connectors import mapping, registry
from connectors.models import Schedule
from network.permissions import library_policy, site_policy

SETTING_PREFIX = "setting_"
# Fields that only mean something for a connector that harvests records.
HARVEST_FIELDS = ("item_preset", "schedule", "next_since")


class ConnectorForm(LibraryScopedForm):
    """The connector's own fields, plus its driver's settings as form fields
    (``setting_<name>``), validated by the driver and stored in ``settings``."""

    scoped_fields = {"library": (library_policy, "view")}

    item_preset = forms.ChoiceField(
        label="Lecture des exemplaires",
        required=False,
        help_text="Où le système range les exemplaires dans ses notices (zone et sous-zones).",
    )

    def __init__(self, *args, driver: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.driver_name = self.instance.driver or driver
        self.instance.driver = self.driver_name
        self.fields["item_preset"].choices = [("", "Aucun exemplaire dans les notices")] + list(
            mapping.preset_choices()
        )
        self.fields["item_preset"].initial = (self.instance.item_mapping or {}).get("preset", "")
        try:
            driver_class = registry.get_driver(self.driver_name)
        except KeyError:
            return
        self.driver_class = driver_class
        for name, field in driver_class.settings_form().fields.items():
            self.fields[SETTING_PREFIX + name] = copy.deepcopy(field)
            if name in (self.instance.settings or {}) and not _is_secret(field):
                self.initial[SETTING_PREFIX + name] = self.instance.settings[name]
        if not self.reads_records:
            # A SIP2 or ILS-DI connector answers live questions: no schedule, no copies to read
            # in records (the panels of fields that are not in the form are not shown).
            for name in HARVEST_FIELDS:
                self.fields.pop(name, None)
            self.instance.schedule = Schedule.MANUAL
            self.instance.item_mapping = {}
        if not driver_class.supports("authenticate"):
            self.fields.pop("card_pattern", None)

    @property
    def reads_records(self) -> bool:
        """Whether the connector's records pass through the portal: harvested, or read live
        (SRU availability reads copies in records with the item mapping)."""
        driver = getattr(self, "driver_class", None)
        return driver is None or driver.supports("harvest")

    def clean(self):
        # The settings fields are already the driver's own (cleaned by them); the model's
        # clean() validates them as a whole and reports an unknown driver.
        cleaned = super().clean()
        stored = dict(self.instance.settings or {}) if self.instance.pk else {}
        settings = {
            name[len(SETTING_PREFIX) :]: value
            for name, value in cleaned.items()
            if name.startswith(SETTING_PREFIX) and value not in (None, "")
        }
        for name, field in self.fields.items():
            key = name[len(SETTING_PREFIX) :]
            # A password field left empty keeps the stored password.
            secret = name.startswith(SETTING_PREFIX) and _is_secret(field)
            if secret and key not in settings and stored.get(key):
                settings[key] = stored[key]
        self.instance.settings = settings
        driver = getattr(self, "driver_class", None)
        if (
            driver is not None
            and not driver.runs_unattended(self.instance.settings)
            and cleaned.get("schedule") not in (None, Schedule.MANUAL)
        ):
            self.add_error(
                "schedule",
                "Sans chemin de fichier sur le serveur, ce connecteur ne peut être moissonné "
                "qu'à la demande, en téléversant un export : choisissez « À la demande "
                "seulement » ou indiquez un chemin.",
            )
        if self.reads_records:
            preset = cleaned.get("item_preset") or ""
            self.instance.item_mapping = {"preset": preset} if preset else {}
        return cleaned


def _is_secret(field: forms.Field) -> bool:
    """A password: never sent back to the browser, kept when left empty."""
    return isinstance(field.widget, forms.PasswordInput)


class DriverSettingsPanel(Panel):
    """Renders the driver's settings fields added by :class:`ConnectorForm`."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "connectors/admin/driver_settings_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["fields"] = [
                self.form[name] for name in self.form.fields if name.startswith(SETTING_PREFIX)
            ]
            context["driver_label"] = getattr(self.form, "driver_class", None) and (
                self.form.driver_class.label
            )
            return context


class SiteCodeForm(LibraryScopedForm):
    scoped_fields = {"site": site_policy}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from connectors.permissions import connector_policy

        user = getattr(self, "for_user", None)
        if user is not None and "connector" in self.fields:
            self.fields["connector"].queryset = connector_policy.instances_user_has_permission_for(
                user, "change"
            )


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Fichier d'export",
        help_text="ISO 2709 (.mrc, .iso, .dat) ou MARCXML (.xml), UNIMARC ou MARC 21.",
    )
    complete = forms.BooleanField(
        label="Le fichier contient tout le catalogue",
        required=False,
        initial=True,
        help_text="Coché : les notices absentes du fichier sont retirées du catalogue.",
    )


class PatronFileForm(forms.Form):
    file = forms.FileField(
        label="Liste des lecteurs (CSV)",
        help_text=(
            "Une ligne par lecteur, la première nommant les colonnes : numero_carte, nom, "
            "prenom, email, date_expiration (JJ/MM/AAAA). Séparateur « ; » ou « , », codage "
            "UTF-8 ou Windows-1252 : l'enregistrement « CSV » de votre tableur convient."
        ),
    )

    def clean_file(self):
        from connectors.patron_file.importer import MAX_BYTES

        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"Fichier trop volumineux (plus de {MAX_BYTES // (1024 * 1024)} Mo) : est-ce "
                "bien la liste des lecteurs au format CSV ?"
            )
        return upload
