"""The SIP2 client and driver against a real SIP2 server (pysip2's, over TCP on
127.0.0.1) and against broken peers: one that never answers, one that answers garbage,
one that drops the connection in the middle of a message, one with bad checksums."""

import time
from datetime import date

import pytest
from pysip2 import (
    ItemInformationRequest,
    LoginRequest,
    LoginResponse,
    decode_message,
    encode_message,
)

from connectors.base import ConnectorError, ItemQuery, ItemStatus
from connectors.registry import get_driver
from connectors.sip2.client import Sip2Client
from connectors.sip2.driver import Sip2Driver, parse_due_date
from tests.connectors.sip2_peers import (
    INSTITUTION,
    Copy,
    RawPeer,
    Sip2Peer,
    free_port,
    hangs,
    item_answer,
    self_signed_context,
    sip2_peer_fixture,  # noqa: F401 (the fixture)
)

pytestmark = pytest.mark.sip2

ON_SHELF, ON_LOAN, IN_TRANSIT, RESHELVING = (
    "3700000000017",
    "3700000000024",
    "3700000000031",
    "3700000000048",
)


def driver(port: int, **settings) -> Sip2Driver:
    return Sip2Driver(
        {"host": "127.0.0.1", "port": port, "institution_id": INSTITUTION, **settings}
    )


def ask(port: int, *barcodes: str, timeout: float = 2.0, **settings) -> dict[int, ItemStatus]:
    queries = [ItemQuery(key=n, barcode=b) for n, b in enumerate(barcodes, start=1)]
    return driver(port, **settings).availability(queries, timeout=timeout)


# ---------------------------------------------------------------- the client


def test_the_client_asks_for_a_copy_with_a_sequence_number_and_a_checksum(sip2_peer):
    with Sip2Client("127.0.0.1", sip2_peer.port, timeout=2) as client:
        first = client.item_information(ON_SHELF, INSTITUTION)
        second = client.item_information(ON_LOAN, INSTITUTION)
    assert (first.circulation_status, first.title_identifier) == ("03", "Lollipop")
    assert (second.circulation_status, second.due_date) == ("04", "20261212    235900")
    requests = sip2_peer.requests(ItemInformationRequest)
    assert [r.item_identifier for r in requests] == [ON_SHELF, ON_LOAN]
    assert all(r.institution_id == INSTITUTION for r in requests)


def test_the_client_logs_in_when_an_account_is_configured():
    with Sip2Peer(accounts={"metrobib": "s3cret"}, login_required=True) as peer:
        with Sip2Client("127.0.0.1", peer.port, timeout=2) as client:
            client.login("metrobib", "s3cret", "BRON-JP")
            assert client.item_information(ON_SHELF, INSTITUTION).circulation_status == "03"
        (login,) = peer.requests(LoginRequest)
    assert (login.login_user_id, login.location_code) == ("metrobib", "BRON-JP")


def test_a_refused_login_is_an_error_that_retrying_will_not_fix():
    peer = Sip2Peer(accounts={"metrobib": "s3cret"}, login_required=True)
    with peer, pytest.raises(ConnectorError) as refused:
        ask(peer.port, ON_SHELF, login_user="metrobib", login_password="wrong")
    assert "refuse la connexion du compte « metrobib »" in refused.value.message
    assert not refused.value.retryable


def test_the_server_status_is_asked_when_configured(sip2_peer):
    with Sip2Client("127.0.0.1", sip2_peer.port, timeout=2) as client:
        status = client.sc_status()
    assert status.online_status == "Y" and status.institution_id == INSTITUTION
    assert ask(sip2_peer.port, ON_SHELF, check_status=True)[1].available is True


def test_a_server_in_another_character_set_is_read_with_the_encoding_setting():
    store = {ON_SHELF: Copy("03", "Les Misérables", location="Médiathèque")}
    with Sip2Peer(items=store, encoding="cp850") as peer:
        with Sip2Client("127.0.0.1", peer.port, timeout=2, encoding="cp850") as client:
            answer = client.item_information(ON_SHELF, INSTITUTION)
        assert answer.title_identifier == "Les Misérables"
        with pytest.raises(ConnectorError) as misread:
            ask(peer.port, ON_SHELF, encoding="utf-8")
    assert "caractères illisibles en utf-8" in misread.value.message


def test_a_refused_connection_is_retryable():
    started = time.monotonic()
    with pytest.raises(ConnectorError) as refused:
        ask(free_port(), ON_SHELF)
    assert "refuse la connexion" in refused.value.message
    assert refused.value.retryable
    assert time.monotonic() - started < 1


def test_a_server_that_never_answers_times_out_within_the_deadline():
    with RawPeer(hangs) as peer:
        started = time.monotonic()
        with pytest.raises(ConnectorError) as silent:
            ask(peer.port, ON_SHELF, ON_LOAN, timeout=0.5)
        elapsed = time.monotonic() - started
    assert "ne répond pas dans le délai imparti" in silent.value.message
    assert silent.value.retryable
    assert 0.45 <= elapsed < 0.8, elapsed


def test_an_answer_that_is_not_sip2_is_a_protocol_error():
    peer = RawPeer(lambda frame: b"HTTP/1.1 400 Bad Request\r\n\r\n")
    with peer, pytest.raises(ConnectorError) as garbage:
        ask(peer.port, ON_SHELF)
    assert garbage.value.message.startswith("Réponse SIP2 illisible de 127.0.0.1:")
    assert not garbage.value.retryable


def test_an_answer_of_the_wrong_kind_is_a_protocol_error():
    def login_answer(frame: bytes) -> bytes:  # a correct 94, to a 17
        sequence = decode_message(frame, encoding="utf-8").sequence_number
        return encode_message(LoginResponse(ok="1"), sequence_number=sequence, checksum=True)

    with RawPeer(login_answer) as peer, pytest.raises(ConnectorError) as wrong:
        ask(peer.port, ON_SHELF)
    assert "LoginResponse" in wrong.value.message


def test_a_connection_dropped_in_the_middle_of_a_message_is_retryable():
    peer = RawPeer(lambda frame: item_answer(frame)[:25], close_after=True)
    with peer, pytest.raises(ConnectorError) as dropped:
        ask(peer.port, ON_SHELF)
    assert "a coupé la connexion au milieu d'un message" in dropped.value.message
    assert dropped.value.retryable


def test_a_wrong_checksum_is_asked_again_then_refused():
    sent: list[bytes] = []

    def corrupt(frame: bytes) -> bytes:
        if frame.startswith(b"97"):  # "resend": the same wrong answer again
            return sent[-1]
        answer = item_answer(frame)
        wrong = b"0000" if answer[-5:-1] != b"0000" else b"1111"
        sent.append(answer[:-5] + wrong + b"\r")
        return sent[-1]

    with RawPeer(corrupt) as peer:
        with pytest.raises(ConnectorError) as bad:
            ask(peer.port, ON_SHELF)
        assert [f[:2] for f in peer.frames] == [b"17", b"97"]  # asked once to resend
    assert "somme de contrôle (AZ) incorrecte" in bad.value.message


def test_messages_ending_with_cr_lf_are_read_too():
    with RawPeer(lambda frame: item_answer(frame) + b"\n") as peer:
        statuses = ask(peer.port, ON_SHELF, ON_LOAN)
    assert [s.label for s in statuses.values()] == ["En rayon", "En rayon"]


def test_a_tls_server_is_reached_only_with_a_certificate_it_trusts(tmp_path):
    with RawPeer(item_answer, tls=self_signed_context(tmp_path)) as peer:
        with pytest.raises(ConnectorError) as untrusted:
            ask(peer.port, ON_SHELF, tls=True)
        assert "Certificat du serveur SIP2" in untrusted.value.message
        assert not untrusted.value.retryable
        assert ask(peer.port, ON_SHELF, tls=True, tls_insecure=True)[1].available is True


# ---------------------------------------------------------------- the driver


def test_circulation_statuses_become_french_labels(sip2_peer):
    statuses = ask(sip2_peer.port, ON_SHELF, ON_LOAN, IN_TRANSIT, RESHELVING, "inconnu")
    assert statuses == {
        1: ItemStatus(True, "En rayon", location="Médiathèque Jean Prévost"),
        2: ItemStatus(False, "En prêt jusqu'au 12/12/2026", due_date=date(2026, 12, 12)),
        3: ItemStatus(False, "En transit", location="Navette"),
        4: ItemStatus(True, "En cours de rangement"),
    }  # the unknown barcode (5) is left out: it keeps its harvested status


@pytest.mark.parametrize(
    ("code", "available", "label"),
    [
        ("02", False, "En commande"),
        ("05", False, "En prêt"),
        ("06", False, "En traitement"),
        ("07", False, "Rappelé"),
        ("08", False, "Réservé, en attente du lecteur"),
        ("11", False, "Déclaré rendu"),
        ("12", False, "Perdu"),
        ("13", False, "Manquant"),
        ("01", None, "Statut non précisé par la bibliothèque"),
    ],
)
def test_every_circulation_status_of_sip2_2_00_has_its_label(code, available, label):
    with Sip2Peer(items={ON_SHELF: Copy(code, "Lollipop")}) as peer:
        assert ask(peer.port, ON_SHELF)[1] == ItemStatus(available, label)


def test_the_driver_logs_in_and_asks_every_copy_over_one_connection():
    with Sip2Peer(accounts={"metrobib": "s3cret"}, login_required=True) as peer:
        statuses = ask(peer.port, ON_SHELF, ON_LOAN, login_user="metrobib", login_password="s3cret")
        assert len(peer.requests(LoginRequest)) == 1
        assert len(peer.requests(ItemInformationRequest)) == 2
    assert [s.available for s in statuses.values()] == [True, False]


def test_copies_without_a_barcode_are_not_asked(sip2_peer):
    queries = [ItemQuery(key=1, barcode=""), ItemQuery(key=2, barcode=ON_SHELF)]
    assert set(driver(sip2_peer.port).availability(queries, timeout=2)) == {2}
    assert len(sip2_peer.requests(ItemInformationRequest)) == 1


def test_a_slow_server_gives_what_it_answered_within_the_deadline():
    with Sip2Peer(delay=0.4) as peer:
        started = time.monotonic()
        statuses = ask(peer.port, ON_SHELF, ON_LOAN, IN_TRANSIT, RESHELVING, timeout=1.0)
        elapsed = time.monotonic() - started
    # Answers come at 0.4 s and 0.8 s; the third would come at 1.2 s, too late.
    assert {1} <= set(statuses) <= {1, 2}
    assert elapsed < 1.3, elapsed


def test_due_dates_are_read_in_the_formats_acs_write():
    assert parse_due_date("20261212    235900") == date(2026, 12, 12)
    assert parse_due_date("2026-12-12 23:59") == date(2026, 12, 12)
    assert parse_due_date("12/12/2026") == date(2026, 12, 12)
    assert parse_due_date("") is None
    assert parse_due_date("bientôt") is None
    assert parse_due_date("20261332    000000") is None


def test_the_driver_is_registered_for_availability_only():
    sip2 = get_driver("sip2")
    assert sip2.supports("availability") and not sip2.supports("harvest")


def test_settings_are_validated_in_french():
    with pytest.raises(ConnectorError) as invalid:
        Sip2Driver.validate_settings({"host": "sip2://koha", "port": 70000})
    message = invalid.value.message
    assert "Adresse du serveur SIP2" in message and "Port" in message
    assert "Code de l'établissement (AO)" in message
    valid = Sip2Driver.validate_settings(
        {"host": "sip.koha.example.org", "port": "6001", "institution_id": "BRON"}
    )
    assert valid == {
        "host": "sip.koha.example.org",
        "port": 6001,
        "institution_id": "BRON",
        "tls": False,
        "tls_insecure": False,
        "encoding": "utf-8",
        "check_status": False,
        "without_checksum": False,
        "timeout": 10,
    }
