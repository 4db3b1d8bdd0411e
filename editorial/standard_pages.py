"""The pages every public body's site must have, created once with their fixed URLs.

Texts are a starting point written for the network; the Métropole's staff edit them in
the back-office (they are ordinary Wagtail pages after creation).
"""

ACCESSIBILITY = [
    ("heading", "État de conformité"),
    (
        "paragraph",
        "<p>Le portail Métrobib est <b>partiellement conforme</b> avec le référentiel général "
        "d'amélioration de l'accessibilité (RGAA), version 4.1, en attendant l'audit complet "
        "prévu avant l'ouverture au public. Chaque page publique est testée automatiquement "
        "(axe-core, critères WCAG 2.1 niveaux A et AA) à chaque modification du logiciel.</p>",
    ),
    ("heading", "Résultats des tests"),
    (
        "paragraph",
        "<p>L'audit de conformité complet n'a pas encore été réalisé : le taux de conformité "
        "sera publié ici à son issue. Les tests automatisés ne relèvent aucune non-conformité "
        "sur les pages testées ; ils ne couvrent qu'une partie des critères du RGAA.</p>",
    ),
    ("heading", "Contenus non accessibles"),
    (
        "paragraph",
        "<p>La carte interactive des bibliothèques n'est pas entièrement utilisable au clavier "
        "ni avec un lecteur d'écran : la liste des lieux, sur la même page, en donne toutes "
        "les informations (dérogation pour charge disproportionnée non invoquée ; équivalent "
        "accessible fourni). Les horaires et services marqués « de démonstration » n'ont pas "
        "encore été vérifiés par les bibliothèques.</p>",
    ),
    ("heading", "Établissement de cette déclaration d'accessibilité"),
    (
        "paragraph",
        "<p>Cette déclaration a été établie le 25 novembre 2026.</p>"
        "<p>Technologies utilisées : HTML5, CSS, JavaScript (facultatif).</p>"
        "<p>Environnement de test : Chromium avec axe-core ; navigation au clavier seul ; "
        "affichage à 320 pixels de large et zoom à 200 %.</p>"
        "<p>Outils : axe-core (Deque), Playwright.</p>"
        "<p>Pages testées : accueil, liste et carte des bibliothèques, page d'un lieu, pages "
        "d'une bibliothèque, mentions légales, données personnelles, accessibilité, "
        "plan du site.</p>",
    ),
    ("heading", "Retour d'information et contact"),
    (
        "paragraph",
        "<p>Si vous n'arrivez pas à accéder à un contenu ou à un service, contactez le réseau "
        "des bibliothèques de la Métropole pour être orienté vers une alternative accessible "
        "ou obtenir le contenu sous une autre forme : "
        '<a href="mailto:accessibilite@metrobib.example">accessibilite@metrobib.example</a>.</p>',
    ),
    ("heading", "Voies de recours"),
    (
        "paragraph",
        "<p>Si vous constatez un défaut d'accessibilité vous empêchant d'accéder à un contenu "
        "ou à une fonctionnalité du site, que vous nous le signalez et que vous ne parvenez "
        "pas à obtenir une réponse de notre part, vous êtes en droit de faire parvenir vos "
        "doléances ou une demande de saisine au Défenseur des droits :</p>"
        "<ul><li>écrire un message au Défenseur des droits (formulaire en ligne sur "
        "defenseurdesdroits.fr) ;</li><li>contacter le délégué du Défenseur des droits dans "
        "votre région ;</li><li>envoyer un courrier par la poste (gratuit, ne pas mettre de "
        "timbre) : Défenseur des droits, Libre réponse 71120, 75342 Paris CEDEX 07.</li></ul>",
    ),
]

LEGAL = [
    ("heading", "Éditeur"),
    (
        "paragraph",
        "<p>Ce portail est édité par le réseau des bibliothèques publiques de la Métropole de "
        "Lyon. Directeur ou directrice de la publication : la présidence de la Métropole de "
        "Lyon.</p>",
    ),
    ("heading", "Hébergement"),
    ("paragraph", "<p>Hébergeur : à préciser lors de la mise en production.</p>"),
    ("heading", "Données ouvertes et logiciel"),
    (
        "paragraph",
        "<p>La liste des bibliothèques provient de la liste des bibliothèques publiques du "
        "ministère de la Culture (Observatoire de la lecture publique, Licence Ouverte) ; les "
        "contours des communes de l'IGN (ADMIN EXPRESS, Licence Ouverte). Les fonds de carte "
        "sont © les contributeurs OpenStreetMap. Le logiciel Métrobib est libre, sous licence "
        "GNU AGPL version 3 ou ultérieure.</p>",
    ),
]

PRIVACY = [
    ("heading", "Ce que nous enregistrons"),
    (
        "paragraph",
        "<p>La consultation du portail (liste des bibliothèques, horaires) ne demande aucun "
        "compte et ne dépose aucun cookie de mesure d'audience ni de publicité. Seuls les "
        "membres du personnel des bibliothèques ont un compte, pour l'administration du site : "
        "nom, adresse e-mail, bibliothèque, rôle et date de dernière connexion.</p>",
    ),
    ("heading", "Cookies"),
    (
        "paragraph",
        "<p>Un cookie de session et un cookie de protection des formulaires (CSRF) sont "
        "déposés lors de la connexion à l'espace d'administration ; ils sont strictement "
        "nécessaires et ne demandent pas de consentement.</p>",
    ),
    ("heading", "Vos droits"),
    (
        "paragraph",
        "<p>Vous pouvez accéder aux données qui vous concernent, les rectifier ou les faire "
        "effacer en écrivant au délégué à la protection des données de la Métropole de Lyon. "
        "Vous pouvez aussi saisir la CNIL.</p>",
    ),
]

STANDARD_PAGES = [
    ("mentions-legales", "Mentions légales", "", LEGAL),
    (
        "donnees-personnelles",
        "Données personnelles",
        "Ce que le portail enregistre, pourquoi, et vos droits.",
        PRIVACY,
    ),
    (
        "accessibilite",
        "Déclaration d'accessibilité",
        "Le réseau des bibliothèques de la Métropole de Lyon s'engage à rendre son portail "
        "accessible conformément à l'article 47 de la loi n° 2005-102 du 11 février 2005.",
        ACCESSIBILITY,
    ),
]
