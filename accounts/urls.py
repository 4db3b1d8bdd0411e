from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.account, name="account"),
    path("connexion/", views.login_view, name="login"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("renouveler/", views.renew, name="renew"),
    path("reservations/annuler/", views.cancel_hold, name="cancel_hold"),
    path("reserver/<int:work_id>/", views.hold, name="hold"),
    path("cartes/", views.cards, name="cards"),
    path("donnees/", views.privacy, name="privacy"),
    path("donnees/export.json", views.privacy_export, name="privacy_export"),
    path("donnees/supprimer/", views.privacy_delete, name="privacy_delete"),
    path("donnees/historique/", views.reading_history, name="reading_history"),
    path("carte-metropolitaine/", views.metro_register, name="metro_register"),
    path("carte-metropolitaine/guichet/", views.metro_desk, name="metro_desk"),
    path("carte-metropolitaine/ma-carte/", views.metro_card, name="metro_card"),
    path("carte-metropolitaine/confirmer/<str:token>/", views.metro_verify, name="metro_verify"),
    path("cartes/<int:card_id>/retirer/", views.unlink_card, name="unlink_card"),
    path("mot-de-passe/", views.password_request, name="password_request"),
    path("mot-de-passe/envoye/", views.password_sent, name="password_sent"),
    path("mot-de-passe/nouveau/", views.password_set, name="password_set"),
    path("mot-de-passe/<str:token>/", views.password_link, name="password_link"),
]
