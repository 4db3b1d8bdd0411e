from django.db import migrations

FEATURES = [
    ("service", "wifi", "Wi-Fi gratuit"),
    ("service", "ordinateurs", "Ordinateurs publics"),
    ("service", "impression", "Impression et photocopie"),
    ("service", "fablab", "Fablab / makerspace"),
    ("service", "jeux", "Jeux et jeux vidéo"),
    ("service", "salles-travail", "Salles de travail"),
    ("service", "espace-jeunesse", "Espace jeunesse"),
    ("service", "presse", "Presse sur place"),
    ("service", "boite-retour", "Boîte de retour"),
    ("accessibility", "plain-pied", "Accès de plain-pied ou ascenseur"),
    ("accessibility", "boucle-magnetique", "Boucle magnétique"),
    ("accessibility", "grands-caracteres", "Livres en grands caractères"),
    ("accessibility", "falc", "Collections FALC (facile à lire et à comprendre)"),
    ("accessibility", "livres-audio", "Livres audio"),
    ("accessibility", "toilettes-adaptees", "Toilettes adaptées"),
    ("accessibility", "stationnement-pmr", "Stationnement réservé"),
]


def add_features(apps, schema_editor):
    Feature = apps.get_model("network", "Feature")
    for position, (kind, slug, name) in enumerate(FEATURES):
        Feature.objects.update_or_create(
            slug=slug, defaults={"kind": kind, "name": name, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("network", "0001_initial")]
    operations = [migrations.RunPython(add_features, migrations.RunPython.noop)]
