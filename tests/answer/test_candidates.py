"""Candidate answers and constraints: the span type a question asks for, the spans a sentence offers that the
question does not already give, and near misses (another year, quarter or side than the one asked about).
Sentences are invented; the failure classes are issue 22's."""

from __future__ import annotations

from assistant.answer.candidates import (
    NAME,
    NUMBER,
    WHEN,
    YEAR,
    answer_spans,
    answer_type,
    asked_clause,
    common_words,
    lower_case_words,
    names_quoted,
)
from assistant.answer.constraints import misses, question_constraints
from assistant.answer.question import analyse_question


def _type(question: str) -> str:
    return analyse_question(question).atype


def test_the_asked_clause_decides_the_type() -> None:
    assert asked_clause("The Delmar bridge reopened this week. What year was it built?") == "What year was it built?"
    assert _type("The Delmar bridge reopened this week. What year was it built?") == YEAR
    assert _type("Which carmaker recalled 40,000 vans this week?") == NAME
    assert _type("Police detained 12 people in a raid. In which state?") == NAME
    assert _type("What percentage of voters backed the plan?") == NUMBER
    assert _type("How long will the tax holiday last?") == NUMBER
    assert _type("Why did the town cancel its parade?") == ""
    assert _type("What is the biggest risk to the harbour, according to the mayor?") == ""
    assert _type("What kind of tree fell on the depot?") == ""
    assert _type("Which type of storm swept the coast this week?") == ""  # a kind, whichever wh-word asks it
    assert _type("What revenue did the firm report?") == ""  # a measure, not a name
    assert _type("What net profit did the firm make in the second quarter?") == ""  # money is a measure too
    assert _type("What national park does the fire threaten?") == NAME  # "what" + a kind asks as "which" does
    assert _type("An old coin was found off the coast. What sign did it bear?") == NAME
    # A gap to fill takes what the word before it takes: a naming verb a name, "since" a year.
    assert _type("The singer's new single is titled:") == NAME
    assert _type("A new variant has arrived. What is it called?") == NAME
    assert _type("The rate rise was the highest since:") == YEAR
    assert _type("The bank's chief said the rebuild will be:") == ""
    assert _type("The bank's chief said the cost of the rebuild will be:") == NUMBER  # the gap is a measure
    assert _type("After no one won, the jackpot amount rose to:") == NUMBER
    assert _type("What was the magnitude of the quake?") == NUMBER  # the copula before the measure noun
    assert answer_type("Who led the march?", "person") == NAME


def test_a_sentence_that_repeats_the_question_offers_no_answer() -> None:
    question = "Which carmaker recalled 40,000 vans this week?"
    common = lower_case_words(["police said the carmaker recalled vans", "the recall"])
    assert answer_spans(NAME, "The carmaker recalled 40,000 vans this week.", question, common) == []
    spans = answer_spans(NAME, "Velto Motors Inc. recalled 40,000 vans on Tuesday.", question, common)
    assert [s.text for s in spans] == ["Velto Motors Inc"]
    # A sentence's capitalised first word is a name only when the articles never write it in lower case.
    assert answer_spans(NAME, "Police said the vans were faulty.", question, common) == []
    # A credit line is not an answer.
    assert answer_spans(NAME, "(WNS) The carmaker recalled its vans.", question, common) == []


def test_a_common_word_that_opens_a_sentence_is_no_name() -> None:
    """"However, ..." and "Losing ..." are capitalised only because they open their sentences, and the corpus writes
    them in lower case elsewhere: no answer to "which landmark". A word the texts also capitalise inside a sentence
    ("Apple", though the corpus writes "apple" too) and one the corpus never writes in lower case ("Glenbrae") stay
    names where they open one; without the corpus's word, only the texts' own lower-case words are common."""
    texts = ["However, the old landmark is instead being painted, the council said.",
             "Losing the two clubs would hurt the league.",
             "Apple data leak: files were lost.", "Officials at Apple said files were lost.",
             "Glenbrae lowers its fares."]
    question = "Which old landmark is to be painted?"
    asked: list[set[str]] = []

    def in_lower_case(words: set[str]) -> set[str]:  # the corpus, as the keyword index tells
        asked.append(words)
        return words & {"however", "losing", "apple", "officials"}

    common = common_words(texts, in_lower_case)
    # Asked: the openers the texts neither write in lower case nor capitalise inside a sentence.
    assert asked == [{"however", "losing", "glenbrae", "officials"}]
    assert [answer_spans(NAME, text, question, common) for text in texts[:2]] == [[], []]
    assert [s.text for s in answer_spans(NAME, texts[2], question, common)] == ["Apple"]
    assert [s.text for s in answer_spans(NAME, texts[4], question, common)] == ["Glenbrae"]
    assert common_words(texts) == lower_case_words(texts)
    assert [s.text for s in answer_spans(NAME, texts[0], question, common_words(texts))] == ["However"]


def test_a_sentences_first_word_before_a_name_the_question_gives_is_no_new_name() -> None:
    """"Repeated Kell-19 waves ..." opens with a word capitalised as every sentence's first is, before the question's
    own name: nothing new. The words of the "which ..." phrase describe the answer and do not count as given."""
    question = "Two years since the Kell-19 pandemic began, a new variant has arrived. What is it called?"
    assert answer_spans(NAME, "Repeated Kell-19 waves have left millions ill.", question, set()) == []
    assert [s.text for s in answer_spans(NAME, "Since Kell-19 began, Orla Vane has led the effort.", question,
                                         set())] == ["Orla Vane"]  # "Since Kell-19" goes, the new name stays
    park = "Which national park was closed by the floods this week?"
    assert [s.text for s in answer_spans(NAME, "Pinecrest National Park officials closed the roads.", park,
                                         set())] == ["Pinecrest National Park"]


def test_numbers_and_dates_not_in_the_question() -> None:
    question = "How many vans did Velto recall after 3 crashes?"
    spans = [s.text for s in answer_spans(NUMBER, "Velto recalled 2.9 million vans after 3 crashes, 45% of its fleet.",
                                          question)]
    assert spans == ["2.9 million", "45%"]
    assert [s.text for s in answer_spans(NUMBER, "It cost $19 million, or twelve times more.", "How much?")] == [
        "$19 million", "twelve"]
    assert [s.text for s in answer_spans(WHEN, "The bridge opened in 1995, on May 4.", "When did it open?")] == [
        "May 4", "1995"]
    assert answer_spans(WHEN, "The bridge opened on Monday.", "Did the bridge open on Monday?") == []


def test_near_misses_of_year_quarter_and_side() -> None:
    women = question_constraints("Which club won the women's final?")
    assert misses(women, "The Harbour Wolves won the men's final on Saturday.")
    assert not misses(women, "In the women's final the Herons won; in the men's final the Wolves won.")
    assert not misses(women, "The Herons won 72-65.")  # says nothing either way: not a near miss
    quake = question_constraints("Which town was shaken by a 6.1-magnitude earthquake?")
    assert misses(quake, "Port Elwin was shaken by a magnitude-5.4 earthquake on Sunday.")
    assert not misses(quake, "A magnitude 6.1 earthquake shook Saltmere.")
    assert not misses(quake, "The earthquake shook Saltmere.")
    recall = question_constraints("Which carmaker recalled 2.9 million vans?")
    assert misses(recall, "Dorn recalled 1.2 million vans.") and not misses(recall, "Velto recalled 2.9 million vans.")
    coin = question_constraints("A 1,850-year-old coin was found. What sign did it bear?")  # one number, not 1 and 850
    assert [(c.kind, c.value, c.word) for c in coin] == [("number", "1850.0", "year")]
    assert misses(coin, "The 2,000-year-old coin bears a lion.")
    assert not misses(coin, "The 1,850-year-old coin bears Cancer.")
    year = question_constraints("Who won the 2019 final?")
    assert misses(year, "Alder beat Birch in the 2018 final.")
    assert not misses(year, "Alder beat Birch in the 2019 final, a year after the 2018 final.")
    # The sentence before or the title decides when the sentence does not say.
    assert misses(year, "Alder won it.", "The 2018 final. A tight game.")
    # A year may follow its word: the first quarter of 2027 is not the first quarter of 2026.
    first = question_constraints("What revenue did Quillon report for the first quarter of 2026?")
    assert misses(first, "The chips will be sold with Quillon's from the first quarter of 2027.")
    assert not misses(first, "Revenue in the first quarter of 2026 was $3.6 billion.")
    assert not misses(first, "First-quarter revenue was $3.6 billion.")  # says nothing of the year
    title = question_constraints("Which club won the title in 2024?")
    assert misses(title, "Alder won the title in 2023.") and not misses(title, "Alder won the 2024 title.")
    assert question_constraints("What share of power will be nuclear by 2025?") == []  # a deadline, not a year's
    quarter = question_constraints("What was Quillon's third-quarter revenue?")
    assert misses(quarter, "Second-quarter revenue was $3.95 billion.")
    assert not misses(quarter, "Third-quarter revenue was $4.12 billion, up from the second quarter.")
    assert question_constraints("What was Quillon's revenue?") == []  # a name's possessive is not a qualifier
    # A number written in words constrains as one in figures: half a point is no three-quarters of one.
    hike = question_constraints("The Ardent Bank raised its rate by three-quarters of a percentage point. Why?")
    assert [(c.kind, c.value) for c in hike] == [("number", "0.75")]
    assert misses(hike, "The bank raised its rate by a half percentage point, its largest rise since 2009.")
    assert misses(hike, "The bank raised its rate by half a percentage point.")
    assert not misses(hike, "The bank raised its rate by 0.75 percentage point.")
    assert not misses(hike, "The bank raised its rate by three-quarters of a percentage point on Tuesday.")
    assert misses(question_constraints("Who died in the two attacks?"), "Five people died in the three attacks.")
    # A word with a number of its own is a name, which the number before it does not count ("Pac-12").
    schools = question_constraints("Which two Pac-12 schools will join the Big Ten?")
    assert not misses(schools, "Two schools are leaving the Pac-12 for the Big Ten.")


def test_credits_and_year_questions() -> None:
    question = "Which dish did the chain roll out?"
    assert answer_spans(NAME, "The chain just rolled out a new dish to attract a younger crowd - WNS", question) == []
    spans = answer_spans(YEAR, "It opened on Wednesday, 27 years after 1995.", "What year?")
    assert [s.text for s in spans] == ["1995"]


def test_abbreviations_commas_and_other_spellings_of_the_question() -> None:
    question = "Which U.S. Transport Department spokesman criticised the recall?"
    assert asked_clause(question) == question  # "U.S." does not end the question's first sentence
    assert _type(question) == NAME
    sentence = "A spokesperson for the United States Department of Transport, Lena Ortiz, criticised the recall."
    # The comma ends a name; "United States Department of Transport" is the question's "U.S. Transport Department".
    assert [s.text for s in answer_spans(NAME, sentence, question)] == ["Lena Ortiz"]
    assert [s.text for s in answer_spans(NAME, "The US Transport Department criticised it.", question)] == []


def test_the_day_of_a_date_is_no_amount() -> None:
    """"How long will the probe operate?" is not answered by the 12 of "July 12"."""
    sentence = "The probe will send its first images on July 12, 2022, and can operate for 10 years."
    assert [s.text for s in answer_spans(NUMBER, sentence, "How long will the probe operate?")] == ["10"]
    sentence = "The ferry sank on 14 June with 30 people on board."
    assert [s.text for s in answer_spans(NUMBER, sentence, "How many people were on board?")] == ["30"]


def test_the_questions_own_person_under_a_title_is_no_answer() -> None:
    question = "Justice Mara Quell Denton joined the court this week. Whose seat is she filling?"
    sentence = "Judge Mara Quell Denton, a Vell-trained lawyer, takes the seat of Omar Feld."
    # "Judge Mara Quell Denton" is the question's justice; "Vell-trained" an adjective, not a name.
    assert [s.text for s in answer_spans(NAME, sentence, question)] == ["Omar Feld"]
    # A name's head stands last: another club of the same city is another name.
    spans = answer_spans(NAME, "The Port Arlen Rovers beat them.", "Which team beat the Port Arlen Comets?")
    assert [s.text for s in spans] == ["Port Arlen Rovers"]
    # The words of the asked phrase describe the answer: "Yarrow National Park" is the park asked for.
    spans = answer_spans(NAME, "Floods closed Yarrow National Park.", "Which national park did floods close?")
    assert [s.text for s in spans] == ["Yarrow National Park"]
    assert [s.text for s in answer_spans(NAME, "Jean-Luc Brandt met Coca-Cola.", "Who met?")] == [
        "Jean-Luc Brandt", "Coca-Cola"]
    # A lower-case part is not always a participle: "Miyako-jima" is an island.
    assert [s.text for s in answer_spans(NAME, "It erupted on Miyako-jima, a Texas-born guide said.", "Where?")] == [
        "Miyako-jima"]


def test_a_name_must_be_quoted_word_for_word() -> None:
    """Issue 22's class 2: a draft that builds a name out of quoted words gives a name no article gives."""
    quote = "The Ridge Fire burned from Tallis National Park, threatening Corran Grove."
    question = "What national park does the Ridge Fire threaten?"
    assert not names_quoted("The National Park of Corran Grove is threatened by the Ridge Fire.", question, [quote])
    assert names_quoted("Corran Grove is threatened by the Ridge Fire.", question, [quote])
    assert names_quoted("The fire threatens the Tallis National Park's grove.", question, [quote])


def test_a_span_cut_off_by_an_ellipsis_is_no_answer() -> None:
    """A teaser cut in the middle of a name ("..., sending Nick..") does not give the name."""
    question = "Corva withdrew from the open, paving the way for whom to reach the final?"
    assert answer_spans(NAME, "Corva withdraws from the open with injury, sending Lenn..", question) == []
    assert [s.text for s in answer_spans(NAME, "Corva withdraws, sending Lenn Ardo to the final.", question)] == [
        "Lenn Ardo"]
    assert answer_spans(NUMBER, "The toll rose to 12…", "How many died?") == []


def test_a_title_in_quotation_marks_is_one_name_and_quoted_speech_is_none() -> None:
    sentence = 'The singer\'s latest single, "Hold My Lantern," dropped late Monday and calls listeners to "rest".'
    assert [s.text for s in answer_spans(NAME, sentence, "The singer released a new song, titled:")] == [
        "Hold My Lantern"]
    assert [s.text for s in answer_spans(NAME, "He starred in “Home to Castor” for six years.", "Which show?")] == [
        "Home to Castor"]
    spoken = "“I’m so sorry, but my show is not ready,” Mira Dalt said on Friday."
    assert [s.text for s in answer_spans(NAME, spoken, "Who postponed the show?")] == ["Mira Dalt"]
