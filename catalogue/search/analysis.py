"""How text becomes search terms, the same way for documents and queries, on every engine.

One analyser for PostgreSQL and SQLite, so that both find the same works (the relevance
tests run on both). For each word:

1. fold: lower case, accents removed, œ/æ spelt out, U+FFFD (a byte the source's
   encoding lost) dropped without splitting the word — so "Etat", "État" and "état" are
   one word, and so are an accented query and a record catalogued without accents;
2. split on anything that is not a letter or a digit: elisions ("l'étranger",
   "qu'il") leave a one-letter or "qu" word, which is a stop word; hyphenated names
   give their parts ("Leroy-Beaulieu" → "leroy", "beaulieu");
3. drop stop words: French and English articles, prepositions, conjunctions and
   pronouns — a short list on purpose (a catalogue's titles are short: "L'été", "Est",
   "Être et avoir" must stay findable; the Snowball list drops "été", "est", "as"…).
   A query made of stop words only ("Nous", "À la") is searched with them;
4. stem: a final plural "s" is removed first (Snowball's French stemmer treats
   "étranger" and "étrangers" differently; with the "s" gone they meet), then the
   Snowball French stemmer (PyStemmer, the same algorithm as PostgreSQL's
   ``french_stem``) — "chevaux" and "cheval" meet, "finances" and "finance",
   "préjugés" and "préjugé".

Stems are ASCII letters and digits only, which the engines' query syntaxes can take
without quoting.
"""

import re
import unicodedata
from functools import lru_cache

import Stemmer

_WORD = re.compile(r"[0-9a-z]+")
_STEMMER = Stemmer.Stemmer("french")

_FRENCH = (
    "a au aux avec c ce ces d dans de des du elle en et eux il ils j je l la le les leur "
    "leurs lui m ma mais me mes moi mon n ne nos notre nous on ou par pas pour qu que qui "
    "s sa se ses son sur t ta te tes toi ton tu un une vos votre vous y"
)
_ENGLISH = "an and at by for from in of on or the to with"
STOP_WORDS = frozenset(f"{_FRENCH} {_ENGLISH}".split(" "))


def fold(text: str) -> str:
    """Lower case, without accents; punctuation kept (callers split)."""
    text = text.replace("\ufffd", "").replace("’", "'")
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    text = text.replace("ß", "ss").lower()
    if text.isascii():
        return text
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def words(text: str) -> list[str]:
    """The folded words of ``text``, stop words included (the vocabulary, phrases)."""
    return _WORD.findall(fold(text))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The stem of one folded word. Digits are kept as they are."""
    if word.isdigit():
        return word
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return _STEMMER.stemWord(word)


def terms(text: str) -> list[str]:
    """The search terms of ``text``, in order: stems of its words, stop words dropped."""
    return [stem(word) for word in words(text) if word not in STOP_WORDS]


def query_terms(text: str) -> list[str]:
    """:func:`terms` for what a patron typed: a query of stop words only keeps them."""
    found = terms(text)
    if found:
        return found
    return [stem(word) for word in words(text)]


def analysed(text: str) -> str:
    """``text`` as the engines index it: its terms joined by spaces."""
    return " ".join(terms(text))
