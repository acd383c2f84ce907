"""bot/privacy.py: personal data is masked before it is stored; library facts are left alone."""
from __future__ import annotations

import pytest

from bot.privacy import KINDS, mask, scan


@pytest.mark.parametrize("text, expected", [
    ("Mijn BSN is 111222333, kunt u helpen?", "Mijn BSN is [BSN], kunt u helpen?"),
    ("bsn 1112.22.333", "bsn [BSN]"),
    ("mijn burgerservicenummer is 111 222 333", "mijn burgerservicenummer is [BSN]"),
    ("Bel mij op 06-12345678 aub", "Bel mij op [TELEFOON] aub"),
    ("mijn nummer: +31 6 12345678.", "mijn nummer: [TELEFOON]."),
    ("vast nummer 020-1234567", "vast nummer [TELEFOON]"),
    ("Stort het op NL91ABNA0417164300 graag", "Stort het op [IBAN] graag"),
    ("rekening NL91 ABNA 0417 1643 00, dank u", "rekening [IBAN], dank u"),
    ("rekening nl91abna0417164300", "rekening [IBAN]"),
    ("Mail naar jan@example.nl of j.de.vries+bieb@gemeente.example.nl",
     "Mail naar [E-MAIL] of [E-MAIL]"),
    ("Ik woon op 1234 AB 12 in Zuidhoek", "Ik woon op [ADRES] in Zuidhoek"),
    ("postcode 1234AB 12a", "postcode [ADRES]"),
    ("Ik ben Jan, BSN 111222333, tel 06 12345678, jan@example.nl, 1234 AB 12",
     "Ik ben Jan, BSN [BSN], tel [TELEFOON], [E-MAIL], [ADRES]"),
])
def test_personal_data_is_masked(text, expected):
    assert mask(text) == expected


def test_a_nine_digit_number_that_fails_the_elfproef_is_no_bsn():
    assert "[BSN]" not in mask("Mijn klantnummer is 123456789")
    assert "123456789" in mask("Mijn klantnummer is 123456789")


def test_an_invalid_iban_stays():
    assert mask("NL91ABNA0417164399") == "NL91ABNA0417164399"


@pytest.mark.parametrize("answer", [
    "Het Jeugdpakket is 58,5 miljoen euro. Daarvan gaat 40.000.000 euro via het gemeentefonds.",
    "In 2019 werd de bibliotheek 63,1 miljoen keer bezocht. Bron: handboek Bibliotheken na corona (maart 2021).",
    "Het IDO in Kaatsheuvel is open sinds 2021-11-01. Bron: voedselbankeemsdelta.nl (2021).",
    "Er zijn 28.000 e-books. In 2020 en 2021 waren er 450 IDO's.",
    "Nationaal Programma Onderwijs: 8,5 miljard euro, vanaf schooljaar 2021-2022.",
])
def test_library_facts_are_not_masked(answer):
    assert mask(answer) == answer


def test_empty_and_huge_input():
    assert mask("") == ""
    assert mask(None) == ""
    assert len(mask("a" * 100_000)) <= 5000


@pytest.mark.parametrize("text, kinds", [
    ("wat is boekstart", []),
    ("Mijn klantnummer is 123456789", []),
    ("Mijn BSN is 111222333", ["BSN"]),
    ("Ik ben Jan, BSN 111222333, tel 06 12345678, jan@example.nl, 1234 AB 12, NL91ABNA0417164300",
     ["E-MAIL", "IBAN", "ADRES", "BSN", "TELEFOON"]),
    ("bel 06-12345678 of 020-1234567", ["TELEFOON"]),
    ("ik typte zelf [BSN]", []),
])
def test_scan_names_the_kinds_it_masked_never_the_values(text, kinds):
    masked, found = scan(text)
    assert masked == mask(text) and found == kinds
    assert all(kind in KINDS for kind in found)


def test_the_broker_gets_masked_events_too(tmp_path):
    """Second line behind the door: Rasa's save() streams events to the broker before it stores them."""
    import asyncio

    from rasa.core.brokers.broker import EventBroker
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.stores import MaskingSQLTrackerStore

    class Collecting(EventBroker):
        def __init__(self):
            self.published = []

        def publish(self, event):
            self.published.append(event)

    domain = Domain.from_path("domain.yml")
    broker = Collecting()
    store = MaskingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "tracker.db"), event_broker=broker)
    tracker = DialogueStateTracker.from_events("iemand", [UserUttered("mijn bsn is 111222333", {"name": "out_of_scope"},
                                                                      [{"entity": "place", "value": "06-12345678"}])],
                                               slots=domain.slots)
    asyncio.run(store.save(tracker))
    users = [e for e in broker.published if e["event"] == "user"]
    assert len(users) == 1 and users[0]["text"] == "mijn bsn is [BSN]" and users[0]["sender_id"] == "iemand"
    assert "111222333" not in str(broker.published) and "12345678" not in str(broker.published)
