"""The access rules, as a table: who the visitor is × what the resource requires."""

import pytest

from digital.access import ResourceTerms, Visitor, decide

BRON, VENISSIEUX = 1, 2  # library ids
COMMUNE_BRON, COMMUNE_VENISSIEUX = 10, 20

ANONYMOUS = Visitor()
BRON_PATRON = Visitor(logged_in=True, is_patron=True, valid_libraries=frozenset({BRON}),
                      commune_id=COMMUNE_BRON, age_band="26-64")  # fmt: skip
EXPIRED = Visitor(logged_in=True, is_patron=True, expired_or_blocked=True,
                  commune_id=COMMUNE_BRON, age_band="26-64")  # fmt: skip
METRO_FULL = Visitor(logged_in=True, is_patron=True, metropolitan=True, metropolitan_full=True,
                     commune_id=COMMUNE_VENISSIEUX, age_band="18-25")  # fmt: skip
METRO_PENDING = Visitor(logged_in=True, is_patron=True, metropolitan=True,
                        commune_id=COMMUNE_VENISSIEUX, age_band="18-25")  # fmt: skip
CHILD = Visitor(logged_in=True, is_patron=True, valid_libraries=frozenset({BRON}),
                commune_id=COMMUNE_BRON, age_band="0-14")  # fmt: skip
STAFF = Visitor(logged_in=True)
ON_SITE_BRON = Visitor(on_site_library=BRON)
ON_SITE_BRON_PATRON = Visitor(**{**BRON_PATRON.__dict__, "on_site_library": BRON})

NETWORK = ResourceTerms(is_free=False, on_site_only=False, whole_network=True,
                        audience="tout_public")  # fmt: skip
FREE = ResourceTerms(is_free=True, on_site_only=False, whole_network=True, audience="tout_public")
BRON_ONLY = ResourceTerms(is_free=False, on_site_only=False, whole_network=False,
                          audience="tout_public", communes=frozenset({COMMUNE_BRON}))  # fmt: skip
BRON_LIBRARY = ResourceTerms(is_free=False, on_site_only=False, whole_network=False,
                             audience="tout_public", libraries=frozenset({BRON}))  # fmt: skip
ADULTS = ResourceTerms(is_free=False, on_site_only=False, whole_network=True, audience="adultes")
TABLETS = ResourceTerms(is_free=False, on_site_only=True, whole_network=False,
                        audience="tout_public", libraries=frozenset({BRON}))  # fmt: skip

CASES = [
    # visitor, resource, allowed?, reason
    (ANONYMOUS, FREE, True, ""),
    (ANONYMOUS, NETWORK, False, "login"),
    (STAFF, NETWORK, False, "login"),
    (BRON_PATRON, NETWORK, True, ""),
    (EXPIRED, NETWORK, False, "card_expired"),
    (EXPIRED, FREE, True, ""),
    (METRO_FULL, NETWORK, True, ""),
    (METRO_PENDING, NETWORK, False, "proof_of_address"),
    (METRO_PENDING, FREE, True, ""),
    (BRON_PATRON, BRON_ONLY, True, ""),
    (METRO_FULL, BRON_ONLY, False, "not_offered"),
    (BRON_PATRON, BRON_LIBRARY, True, ""),
    (METRO_FULL, BRON_LIBRARY, False, "not_offered"),
    (CHILD, ADULTS, False, "adults_only"),
    (BRON_PATRON, ADULTS, True, ""),
    (ANONYMOUS, TABLETS, False, "on_site"),
    (BRON_PATRON, TABLETS, False, "on_site"),
    (ON_SITE_BRON, TABLETS, True, ""),
    (ON_SITE_BRON_PATRON, TABLETS, True, ""),
    (Visitor(on_site_library=VENISSIEUX), TABLETS, False, "not_offered_here"),
]


@pytest.mark.parametrize("visitor, terms, allowed, reason", CASES)
def test_access_rules(visitor, terms, allowed, reason):
    decision = decide(visitor, terms)
    assert (decision.allowed, decision.reason) == (allowed, reason)
    assert bool(decision) is allowed
    if not allowed:
        assert decision.message  # a French sentence saying what to do
