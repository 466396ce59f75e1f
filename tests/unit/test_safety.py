"""The acute-danger safety net (bot/core/safety.py + data/knowledge/danger_phrases.yml).

None of these messages is in data/nlu/: they check that the phrase list
generalises, including typos, and stays quiet on questions about danger.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import safety
from bot.core.knowledge import load_yaml
from tests.unit.test_risks import CONTRACT_KEYS

# The contract's keys, from the test's own copy (not from bot.core.risks, so a change there is caught).
RISK_KEYS = set(CONTRACT_KEYS)

ACUTE = [
    # Kinds missed in blind set 5 (written anew here, not copied): English smoke, gas, a head
    # injury and a dike breach; a person gone under in a canal; hypothermia; "fikkie".
    "smoke in the hallway and the fire alarm is beeping, we are on the top floor",
    "I can smell gas everywhere in the kitchen",
    "my mother fell down the stairs and she isn't waking up",
    "the levee near our street has breached, water is rushing into the houses",
    "een jongen is in de gracht gesprongen en is niet meer boven gekomen",
    "opa heeft uren in de kou gelegen, hij is ijskoud en verward",
    "fikkie in de schuur, wat moet ik doen",
    # Flames close by, a fire coming at the house, a sparking power line (issue 14's list).
    "er komen vlammen uit het stopcontact in de slaapkamer",
    "het vuur komt naar ons huis toe",
    "er ligt een stroomkabel op straat die vonkt",
    "help mijn huis staat in brand",
    "Er is brand in de keuken!!",
    "de pan staat in de fik wat nu",
    "mijn vader ademt niet meer",
    "mijn vrouw is bewustelos",  # typo
    "ik ruik gas in de gang",
    "het stinkt hier naar gas",
    "het water komt ons huis binnen",
    "er staat een man met een mes voor de deur",
    "er zit een inbreker beneden",
    "mijn buurman heeft een hartaanval denk ik",
    "er komt rook uit het stopcontact",
    "de woonkamer staat vol rook",
    "we zijn met de auto in de sloot beland",
    "mijn zoontje is in de vijver gevallen",
    "ik zie mijn dochtertje niet meer bij het water",
    "de dijk is doorgebroken het water stijgt",
    "brnad in de slaapkamer",  # typo
    "mijn opa reageert niet meer",
    "er hangt een gifwolk boven onze straat",
    "mijn ex bedreigt me",
    "er wordt ingebroken bij de buren",
    "HELP VUUR",
    "gaslugt in huis",  # typo
    "het water staat tot aan mijn knieen in de woonkamer",
    "mijn man krijgt geen lucht",
    "er is een explosie bij de fabriek",
    "iemand schiet om zich heen in het winkelcentrum",
    "mijn baby ademd niet",  # typo
    "de vlammen slaan uit het dak",
    "hellup er is brannnd",  # typo + stretched letters
    "mijn moeder is in elkaar gezakt en reageert niet",
    "er breekt iemand in bij ons",
    "Wat moet ik doen? Er is brand in de flat.",
    "ik denk dat mijn broer niet ademt",
    "Mijn kelder loopt vol en het blijft stijgen",
    "de bosbrand komt steeds dichterbij",
    # Second round (issue 14): trouble breathing, a swelling throat, blue lips, a ticking
    # package, English water-and-trapped wording, dialect spellings.
    "er hangt een rare wolk en ik krijg moeilijk adem",
    "mijn tong wordt steeds dikker na die pinda",
    "mijn opa reageert bijna niet en zijn lippen zijn helemaal blauw",
    "er staat een koffer bij de ingang en het tikt",
    "the water keeps coming into the house and we can't get out",
    "we are trapped upstairs, the ground floor is flooding",
    "ut hoes brent",
    "t wotter kump binne",
    "ik ruik brandlucht in de gang",
    # A guard word right after the danger ("als ik hem roep") does not switch it off.
    "mijn moeder reageert niet als ik haar roep",
    # A cloud and people coughing in different sentence parts.
    "er drijft een bruine wolk over het dorp, de kinderen op het schoolplein hoesten allemaal",
    # Not over yet.
    "het vuur is nog niet geblust en komt naar ons huis",
    "de brand is geblust maar mijn vader ademt niet meer",
    "het gebouw aan de overkant van de straat staat helemaal in brand",
    "hij steekt met een mes iedereen neer",
    "there is smoke coming from the flat below us",
    # Issue 14, round 4: wording residents use for the seven emergencies.
    "er drijft een man in de vaart en hij beweegt niet",
    "mijn zoontje is in de haven gegleden en kan niet zwemmen",
    "my son fell into the river and went under",
    "iedereen hier is misselijk en suf en de geiser doet raar",
    "chloorgas bij het zwembad, de kinderen hoesten",
    "het water staat tot mn middel in de gang",
    "de deur krijgen we niet meer open, het water stijgt",
    "we zitten boven, beneden is alles onder water",
    "de rivier stroomt over en we kunnen niet meer weg met de auto, het water staat al bij de deuren",
    "we hoorden schoten in het winkelcentrum en hebben ons verstopt in een opslag",
    "de steiger is naar beneden gekomen en er ligt iemand onder",
    "rook komt onder de voordeur door",
    "de powerbank is ontploft op de bank en het vuur slaat over naar de gordijnen",
    "het vuur in het bos springt over naar de camping",
    # ... and wording only DIET caught before (the safety net is the backstop).
    "onze kleine is in het zwembad gevallen en ik zie hem niet meer",
    "kind in vijver",
    "opa is met zijn scootmobiel de vaart in gereden",
    "de kajak is omgeslagen en hij komt niet boven",
    "hij grijpt naar zn borst en valt om",
    "ik voel geen hartslag bij mijn vader",
    "er ligt een vrouw op straat te bloeden",
    "een busje rijdt met opzet in op de mensen bij de markt",
    "een man bij de kassa heeft een pistool en houdt de klanten vast",
]

NOT_ACUTE = [
    # Real words that are not typos of danger words, and a phone screen saying SOS.
    "de rivier gaat nog een meter stijgen, moeten we zandzakken halen",
    "op mijn telefoon staat alleen sos, wat is er aan de hand",
    "my phone only shows sos since this morning",
    # A smell of burning outdoors is a question about the risk, not a fire at home.
    "het ruikt in de hele wijk naar verbrand plastic",
    "het stinkt buiten naar rook, wat is er aan de hand",
    # The danger is over, a cloud without anyone ill, stranded (not trapped).
    "de brandweer heeft het vuur in de duinen geblust, mogen we weer naar het strand",
    "er hangt een grote zwarte rookwolk boven het industrieterrein",
    "the trains are cancelled and we are stuck in a hotel in amsterdam",
    "wat moet ik doen als er vlammen uit het stopcontact komen",
    "hoe voorkom ik dat er vlammen uit mijn wasdroger komen",
    "ik zie vlammen in de verte bij de heide, 5 km van ons huis",
    "wat moet ik doen bij brand",
    "hoe voorkom ik brand in huis",
    "wanneer bel je 112",
    "wat zit er in een noodpakket",
    "wat is het nummer van de politie",
    "wanneer bel ik 112 en wanneer 0900-8844",
    "hoi",
    "hallo, wie ben jij?",
    "hoe maak ik mijn huis brandveilig",
    "hoeveel rookmelders heb ik nodig",
    "wat doe je als je gas ruikt",
    "hoe herken je een hartaanval",
    "wat moet ik doen bij een overstroming",
    "hoe bereid ik me voor op een overstroming",
    "wat te doen als de sirene gaat",
    "hoeveel water moet ik in huis hebben",
    "moet ik een blusdeken kopen",
    "wat moet ik doen als iemand niet meer ademt",
    "hoe leer ik reanimeren",
    "wat doe ik bij een gaslek",
    "is er een noodpakket voor mensen met weinig geld",
    "in welke veiligheidsregio woon ik",
    "bedankt",
    "kan ik 112 bellen als het netwerk plat ligt",
    "wat moet ik doen na een brand",
    "hoe voorkom ik dat mijn kelder onder water loopt",
    "wat als er een inbreker in huis is",
    "welke radiozender moet ik aanzetten bij een ramp",
    "er is geen brand hoor",
    "wat is een gifwolk",
    "ik snij brood met een mes",
    "mijn computer reageert niet",
    "ik zie rook uit de schoorsteen van de buren",
    "vorig jaar was er brand in ons huis",
    "wat moet er in mijn noodpakket voor mijn hond",
    # Fear and hearsay are questions, not danger now.
    "ik ben bang dat de schuur in de fik vliegt met al dat vuurwerk",
    "er gaan berichten rond over een aanslag in rotterdam, is het veilig om te gaan",
    "mijn kind kan nog niet zwemmen, wanneer moet hij op zwemles",
    "mijn vriendin reageert niet op mijn appjes, is ze boos",
    "ik sta in vuur en vlam voor de nieuwe buurman",
    "",
    "   ",
]


@pytest.mark.parametrize("text", ACUTE)
def test_acute_danger_is_caught(text):
    assert safety.is_acute_danger(text) is True


@pytest.mark.parametrize("text", NOT_ACUTE)
def test_questions_and_chat_are_not_acute(text):
    assert safety.is_acute_danger(text) is False


@pytest.mark.parametrize(
    "text,risk",
    [
        ("help de keuken staat in brand", "brand"),
        ("het water komt de woonkamer in en stijgt", "overstroming"),
        ("er hangt een gifwolk boven het dorp", "gevaarlijke_stoffen"),
        ("de heide staat in brand vlak achter ons huis", "natuurbrand"),
        ("er wordt geschoten op het plein", "terrorisme"),
        # No risk advice fits a gas leak at home or a medical emergency.
        ("ik ruik gas in de keuken", None),
        ("mijn vader is bewusteloos", None),
        ("wat doe je als je gas ruikt", None),
    ],
)
def test_danger_risk_maps_to_a_risk_key(text, risk):
    assert safety.danger_risk(text) == risk


@pytest.mark.parametrize(
    "text,kind",
    [
        ("ik ruik gas in de keuken", "gas"),
        ("mijn vader ademt niet", "medical"),
        ("onze auto is te water geraakt", "car_water"),
        ("iemand slaat mijn moeder", "violence"),
        ("hoi", None),
    ],
)
def test_danger_kind(text, kind):
    assert safety.danger_kind(text) == kind


def test_typos_in_key_words_are_corrected_but_real_words_kept():
    assert safety.normalise("Brnad in de keukn") == "brand in de keuken"
    assert safety.normalise("Bewustloos") == "bewusteloos"
    # "brandweer" is a real word and must not become "brand".
    assert safety.normalise("de brandweer") == "de brandweer"
    assert safety.normalise("Ééndracht, café!") == "eendracht cafe"


def test_help_overrides_a_question_frame():
    assert safety.is_acute_danger("als je nu niet helpt, help, het huis staat in brand")
    assert not safety.is_acute_danger("als het huis in brand staat, wat doe ik dan")


def test_data_file_uses_only_known_risk_keys_and_groups():
    data = load_yaml(safety.PHRASES_FILE)
    # Entries are unique by name (default: the kind); several entries may share a kind that the
    # templates key on ("smell_fire" is a fire that `outdoors` can switch off).
    names = [entry.get("name", entry["kind"]) for entry in data["dangers"]]
    assert len(names) == len(set(names)), "danger entries must be unique"
    kinds = {entry["kind"] for entry in data["dangers"]}
    assert not (set(names) - kinds) & kinds
    for entry in data["dangers"]:
        assert entry.get("risk") is None or entry["risk"] in RISK_KEYS, entry["kind"]
        assert entry.get("phrases"), entry["kind"]
    # Compiling checks every {group} reference and phrase syntax.
    safety._compiled.cache_clear()
    safety._correct_word.cache_clear()
    assert safety._compiled().rules


@pytest.mark.parametrize("bad", [None, 12, b"brand", ["brand"], "\x00\x01", "🔥🔥🔥", "a" * 20000])
def test_odd_input_never_raises(bad):
    assert safety.is_acute_danger(bad) in (True, False)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_a_bool(text):
    assert isinstance(safety.is_acute_danger(text), bool)


def _nlu_examples(path):
    """(intent, plain text) pairs from a Rasa NLU YAML file, entity markup removed."""
    import re
    from pathlib import Path

    import yaml

    data = yaml.safe_load((Path(__file__).resolve().parents[2] / path).read_text(encoding="utf-8"))
    for block in data["nlu"]:
        for line in block["examples"].splitlines():
            if line.strip().startswith("- "):
                text = re.sub(r"\[([^\]]+)\](\([^)]*\)|\{[^}]*\})", r"\1", line.strip()[2:])
                yield block["intent"], text


@pytest.mark.parametrize("path", ["data/nlu/core.yml", "tests/nlu/emergency_heldout.yml"])
def test_small_talk_and_questions_in_nlu_data_do_not_trigger(path):
    fired = [text for intent, text in _nlu_examples(path) if intent != "emergency" and safety.is_acute_danger(text)]
    assert fired == []
