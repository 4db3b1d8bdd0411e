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
    path("cartes/<int:card_id>/retirer/", views.unlink_card, name="unlink_card"),
]
