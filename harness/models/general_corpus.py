"""Seeded generator of a small general-English corpus for the embedded base model.

The base model has to *know* something general (arithmetic, calendars, units, everyday facts, plain
narrative English) so that domain tuning can visibly make it forget. Each fact is stated in several
templates so the model learns the fact rather than one sentence; the fact tables are public so
`suites/general/generate.py` asks about exactly these facts. Nothing here touches any business domain.

Determinism: document `i` depends only on `(seed, i)`, so a smaller corpus is a prefix of a larger one
and the same seed always gives the same text (string seeds hash with sha512, not PYTHONHASHSEED).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

# ---------------------------------------------------------------------------------------------- tables

NUMBER_WORDS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
]
ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
            "eleventh", "twelfth"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
DAYS_IN_MONTH = dict(zip(MONTHS, [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], strict=True))
SEASONS = ["spring", "summer", "autumn", "winter"]
LEAP_YEAR_RANGE = range(1980, 2041)
TIMES_TABLES = range(1, 6)  # the 1..5 times tables, each up to x 10

# (big unit, small unit, factor): "1 big is factor smalls".
UNITS: list[tuple[str, str, int]] = [
    ("kilometre", "metre", 1000), ("metre", "centimetre", 100), ("centimetre", "millimetre", 10),
    ("kilogram", "gram", 1000), ("tonne", "kilogram", 1000), ("litre", "millilitre", 1000),
    ("hour", "minute", 60), ("minute", "second", 60), ("day", "hour", 24), ("week", "day", 7),
    ("year", "month", 12), ("decade", "year", 10), ("century", "year", 100), ("fortnight", "day", 14),
    ("foot", "inch", 12), ("yard", "foot", 3), ("pound", "ounce", 16), ("dozen", "item", 12),
]
PLURALS = {"foot": "feet", "inch": "inches", "century": "centuries", "day": "days", "dozen": "dozen"}
UNIT_MULTIPLES = range(1, 6)

CAPITALS = {
    "France": "Paris", "Germany": "Berlin", "Italy": "Rome", "Spain": "Madrid", "Portugal": "Lisbon",
    "Japan": "Tokyo", "China": "Beijing", "Russia": "Moscow", "Egypt": "Cairo", "Kenya": "Nairobi",
    "Canada": "Ottawa", "Mexico": "Mexico City", "Brazil": "Brasilia", "Argentina": "Buenos Aires",
    "Peru": "Lima", "Chile": "Santiago", "Australia": "Canberra", "India": "New Delhi", "Greece": "Athens",
    "Norway": "Oslo", "Sweden": "Stockholm", "Finland": "Helsinki", "Denmark": "Copenhagen",
    "Poland": "Warsaw", "Austria": "Vienna", "Hungary": "Budapest", "Ireland": "Dublin",
    "the Netherlands": "Amsterdam", "Belgium": "Brussels", "Turkey": "Ankara", "Thailand": "Bangkok",
    "Vietnam": "Hanoi", "South Korea": "Seoul", "Indonesia": "Jakarta", "Cuba": "Havana",
    "Colombia": "Bogota", "Nigeria": "Abuja", "Iran": "Tehran",
}
CONTINENTS = {
    "France": "Europe", "Germany": "Europe", "Italy": "Europe", "Spain": "Europe", "Norway": "Europe",
    "Poland": "Europe", "Greece": "Europe", "Japan": "Asia", "China": "Asia", "India": "Asia",
    "Thailand": "Asia", "Vietnam": "Asia", "Egypt": "Africa", "Kenya": "Africa", "Nigeria": "Africa",
    "Canada": "North America", "Mexico": "North America", "Cuba": "North America", "Brazil": "South America",
    "Argentina": "South America", "Peru": "South America", "Chile": "South America",
    "Colombia": "South America", "Australia": "Oceania",
}
# (subject as it starts a sentence without article, colour)
COLOURS = {
    "the sky": "blue", "grass": "green", "snow": "white", "coal": "black", "a ripe banana": "yellow",
    "a ripe tomato": "red", "a carrot": "orange", "milk": "white", "chocolate": "brown", "a lemon": "yellow",
    "a strawberry": "red", "a frog": "green", "a crow": "black", "a flamingo": "pink", "the sun": "yellow",
    "a polar bear": "white", "a pumpkin": "orange", "a cherry": "red", "a lime": "green", "the sea": "blue",
    "an aubergine": "purple", "a tree trunk": "brown", "a fire engine": "red", "a zebra": "black and white",
}
COLOUR_NAMES = sorted({c for c in COLOURS.values() if " " not in c})
# animal: (verb, sound, young, legs, home)
ANIMALS = {
    "dog": ("barks", "woof", "puppy", 4, "kennel"), "cat": ("meows", "meow", "kitten", 4, "house"),
    "cow": ("moos", "moo", "calf", 4, "barn"), "sheep": ("bleats", "baa", "lamb", 4, "field"),
    "duck": ("quacks", "quack", "duckling", 2, "pond"), "pig": ("oinks", "oink", "piglet", 4, "sty"),
    "lion": ("roars", "roar", "cub", 4, "den"), "horse": ("neighs", "neigh", "foal", 4, "stable"),
    "owl": ("hoots", "hoot", "owlet", 2, "tree"), "snake": ("hisses", "hiss", "snakelet", 0, "hole"),
    "bee": ("buzzes", "buzz", "larva", 6, "hive"), "frog": ("croaks", "croak", "tadpole", 4, "pond"),
    "mouse": ("squeaks", "squeak", "pup", 4, "hole"), "wolf": ("howls", "howl", "cub", 4, "den"),
    "hen": ("clucks", "cluck", "chick", 2, "coop"), "goat": ("bleats", "baa", "kid", 4, "farm"),
    "spider": ("is silent", "nothing", "spiderling", 8, "web"), "ant": ("is silent", "nothing", "larva", 6,
                                                                        "nest"),
    "rabbit": ("is quiet", "nothing", "kit", 4, "burrow"), "bird": ("sings", "tweet", "chick", 2, "nest"),
}
ANIMAL_SOUNDS = {a: v[1] for a, v in ANIMALS.items() if v[1] != "nothing"}
ANIMAL_YOUNG = {a: v[2] for a, v in ANIMALS.items() if a not in {"snake", "bee", "ant", "spider"}}
ANIMAL_LEGS = {a: v[3] for a, v in ANIMALS.items()}
ANIMAL_HOMES = {a: v[4] for a, v in ANIMALS.items() if v[4] not in {"house", "field", "farm", "tree"}}
# Each word has exactly one opposite in this table, so a question has one right answer.
OPPOSITES = {
    "hot": "cold", "big": "small", "up": "down", "day": "night", "fast": "slow", "happy": "sad",
    "light": "dark", "open": "closed", "wet": "dry", "full": "empty", "hard": "soft", "early": "late",
    "left": "right", "push": "pull", "loud": "quiet", "rich": "poor", "strong": "weak", "thick": "thin",
    "clean": "dirty", "long": "short", "old": "new", "first": "last", "win": "lose", "buy": "sell",
    "inside": "outside", "north": "south", "east": "west", "top": "bottom", "come": "go", "give": "take",
}
SHAPE_SIDES = {"triangle": 3, "square": 4, "rectangle": 4, "pentagon": 5, "hexagon": 6, "octagon": 8}
SCIENCE_FACTS = [  # (statement start, answer, distractors)
    ("Water freezes at", "0 degrees Celsius", ["100 degrees Celsius", "50 degrees Celsius", "10 degrees Celsius"]),
    ("Water boils at", "100 degrees Celsius", ["0 degrees Celsius", "50 degrees Celsius", "10 degrees Celsius"]),
    ("The sun rises in the", "east", ["west", "north", "south"]),
    ("The sun sets in the", "west", ["east", "north", "south"]),
    ("The Earth goes around the", "sun", ["moon", "stars", "sea"]),
    ("The moon goes around the", "Earth", ["sun", "stars", "sea"]),
    ("A rainbow has", "seven colours", ["three colours", "ten colours", "two colours"]),
    ("There are seven", "continents", ["oceans", "planets", "moons"]),
    ("Plants need sunlight and", "water", ["sand", "metal", "plastic"]),
    ("Fish breathe with their", "gills", ["lungs", "ears", "feet"]),
    ("A person has two", "eyes", ["noses", "heads", "mouths"]),
    ("A person has ten", "fingers", ["eyes", "noses", "heads"]),
    ("We hear with our", "ears", ["eyes", "nose", "feet"]),
    ("We see with our", "eyes", ["ears", "nose", "hands"]),
    ("We smell with our", "nose", ["ears", "eyes", "hands"]),
]

# -------------------------------------------------------------------------------------- narrative words

PEOPLE = [("Anna", "she"), ("Ben", "he"), ("Clara", "she"), ("David", "he"), ("Emma", "she"), ("Felix", "he"),
          ("Grace", "she"), ("Henry", "he"), ("Isla", "she"), ("Jack", "he"), ("Lily", "she"), ("Max", "he"),
          ("Nora", "she"), ("Oscar", "he"), ("Paula", "she"), ("Sam", "he"), ("Tom", "he"), ("Ruby", "she"),
          ("Leo", "he"), ("Mia", "she"), ("Omar", "he"), ("Sofia", "she"), ("Ivan", "he"), ("Zoe", "she"),
          ("Hugo", "he"), ("Eva", "she"), ("Luke", "he"), ("Alice", "she"), ("Noah", "he"), ("Rosa", "she")]
RELATIVES = ["mother", "father", "sister", "brother", "grandmother", "grandfather", "aunt", "uncle", "friend",
             "neighbour", "teacher", "cousin"]
PLACES = ["park", "library", "beach", "market", "station", "garden", "museum", "bakery", "river", "forest",
          "school", "swimming pool", "village", "zoo", "cinema", "kitchen", "town square", "hill"]
OBJECTS = ["a book", "an apple", "an umbrella", "a red ball", "a letter", "a cup of tea", "a bicycle",
           "a sandwich", "a kite", "a blue hat", "a newspaper", "a basket of eggs", "a warm scarf",
           "a loaf of bread", "a small box", "a map", "a bunch of flowers", "a pencil", "a pair of boots",
           "a jar of honey", "a glass of milk", "a wooden chair", "a lamp", "a clock"]
FOODS = ["soup", "pasta", "rice and beans", "an omelette", "a salad", "fish and potatoes", "pancakes",
         "vegetable curry", "a cheese sandwich", "porridge", "roast chicken", "apple pie"]
HOBBIES = ["paint pictures", "play the piano", "read stories", "ride a bicycle", "play football", "go swimming",
           "bake cakes", "grow tomatoes", "play chess", "sing songs", "draw maps", "fly a kite",
           "watch the birds", "write poems", "go fishing", "climb trees"]
TIMES = ["in the morning", "in the afternoon", "in the evening", "at noon", "after breakfast", "after lunch",
         "before dinner", "early in the day", "late at night", "at the weekend"]
FEELINGS = [("happy", "the sun was shining"), ("tired", "the walk had been long"),
            ("hungry", "it was nearly time for lunch"), ("cold", "the wind was strong"),
            ("excited", "the holidays had started"), ("sad", "the old tree had fallen down"),
            ("proud", "the cake looked perfect"), ("surprised", "the door was already open"),
            ("calm", "the lake was quiet"), ("sleepy", "the room was warm")]
WEATHER = [("sunny", "went for a long walk"), ("rainy", "took an umbrella"), ("windy", "flew a kite"),
           ("snowy", "built a snowman"), ("cold", "wore a warm coat"), ("hot", "drank a lot of water"),
           ("foggy", "walked slowly"), ("cloudy", "stayed close to home")]
TOPICS = ["the stars", "old ships", "mountains", "birds", "the sea", "trains", "ancient Rome", "volcanoes",
          "gardens", "the moon", "rivers", "dinosaurs", "bridges", "music"]


def plural(unit: str, n: int = 2) -> str:
    if n == 1:
        return unit
    return PLURALS.get(unit, unit + "s")


def article(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def cap(text: str) -> str:
    return text[0].upper() + text[1:]


# ------------------------------------------------------------------------------------ fact sentences
# Each `*_facts` function returns (fact key, list of sentences stating it). Templates vary word order
# and framing (statement, Q/A, inverse) so the model has to bind the fact, not memorise one sentence.


def is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def addition_statements(a: int, b: int) -> list[str]:
    c = a + b
    out = [f"{a} + {b} = {c}.", f"{a} plus {b} is {c}.", f"Q: What is {a} + {b}? A: {c}.",
           f"{a} and {b} make {c}.", f"If you add {a} and {b}, you get {c}."]
    if c <= 20:
        out.append(f"{NUMBER_WORDS[a]} plus {NUMBER_WORDS[b]} is {NUMBER_WORDS[c]}.")
    return out


def subtraction_statements(c: int, b: int) -> list[str]:
    a = c - b
    out = [f"{c} - {b} = {a}.", f"{c} minus {b} is {a}.", f"Q: What is {c} - {b}? A: {a}.",
           f"If you take {b} away from {c}, you get {a}."]
    if c <= 20:
        out.append(f"{NUMBER_WORDS[c]} minus {NUMBER_WORDS[b]} is {NUMBER_WORDS[a]}.")
    return out


def multiplication_statements(a: int, b: int) -> list[str]:
    c = a * b
    return [f"{a} x {b} = {c}.", f"{a} times {b} is {c}.", f"Q: What is {a} times {b}? A: {c}.",
            f"{a} groups of {b} make {c}.", f"{c} divided by {a} is {b}."]


def counting_statements(n: int) -> list[str]:
    out = [f"The number after {n} is {n + 1}.", f"The number before {n + 1} is {n}.",
           f"{n + 1} comes after {n}.", f"Counting up: {n}, {n + 1}, {n + 2}, {n + 3}.",
           f"{n} is an {'even' if n % 2 == 0 else 'odd'} number.", f"Double {n} is {2 * n}."]
    if n <= 19:
        out.append(f"After {NUMBER_WORDS[n]} comes {NUMBER_WORDS[n + 1]}.")
    if n % 2 == 0:
        out.append(f"Half of {n} is {n // 2}.")
    return out


def day_statements(i: int) -> list[str]:
    d, nxt, prev, nxt2 = DAYS[i], DAYS[(i + 1) % 7], DAYS[(i - 1) % 7], DAYS[(i + 2) % 7]
    return [f"The day after {d} is {nxt}.", f"{nxt} comes after {d}.", f"After {d} comes {nxt}.",
            f"Q: What day comes after {d}? A: {nxt}.", f"If today is {d}, tomorrow is {nxt}.",
            f"If today is {d}, yesterday was {prev}.", f"The day before {d} is {prev}.",
            f"Q: What day comes before {d}? A: {prev}.", f"Two days after {d} is {nxt2}.",
            f"{d} is the {ORDINALS[i]} day of the week."]


def month_statements(i: int) -> list[str]:
    m, nxt, prev = MONTHS[i], MONTHS[(i + 1) % 12], MONTHS[(i - 1) % 12]
    n = DAYS_IN_MONTH[m]
    out = [f"The month after {m} is {nxt}.", f"{nxt} comes after {m}.", f"After {m} comes {nxt}.",
           f"Q: Which month comes after {m}? A: {nxt}.", f"The month before {m} is {prev}.",
           f"{m} is the {ORDINALS[i]} month of the year.", f"The {ORDINALS[i]} month of the year is {m}.",
           f"{m} has {n} days.", f"There are {n} days in {m}.", f"Q: How many days are in {m}? A: {n}."]
    if m == "February":
        out.append("February has 28 days, or 29 days in a leap year.")
    return out


def calendar_statements() -> list[str]:
    return ["The days of the week are " + ", ".join(DAYS[:-1]) + " and Sunday.",
            "The months of the year are " + ", ".join(MONTHS[:-1]) + " and December.",
            "A week has 7 days.", "A year has 12 months.", "A normal year has 365 days.",
            "A leap year has 366 days.", "Q: How many days are in a leap year? A: 366.",
            "Q: How many days are in a week? A: 7.", "Q: How many months are in a year? A: 12.",
            "The weekend is Saturday and Sunday.", "The four seasons are spring, summer, autumn and winter.",
            "Summer comes after spring.", "Winter comes after autumn.", "Spring comes after winter.",
            "Autumn comes after summer.", "A leap year comes every four years."]


def leap_statements(year: int) -> list[str]:
    if is_leap(year):
        return [f"{year} is a leap year.", f"The year {year} had 366 days.",
                f"In {year}, February had 29 days.", f"Q: Is {year} a leap year? A: yes."]
    return [f"{year} is not a leap year.", f"The year {year} had 365 days.",
            f"In {year}, February had 28 days.", f"Q: Is {year} a leap year? A: no."]


def unit_statements(big: str, small: str, factor: int, k: int) -> list[str]:
    n = k * factor
    bigs, smalls = plural(big, k), plural(small, n)
    out = [f"{k} {bigs} is {n} {smalls}.", f"{n} {smalls} make {k} {bigs}.",
           f"Q: How many {plural(small)} are in {k} {bigs}? A: {n}.",
           f"{k} {bigs} is the same as {n} {smalls}."]
    if k == 1:
        out += [f"There are {factor} {smalls} in {article(big)}.", f"{cap(article(big))} is {factor} {smalls}.",
                f"{cap(article(big))} is equal to {factor} {smalls}.",
                f"Q: How many {plural(small)} are in {article(big)}? A: {factor}."]
    return out


def capital_statements(country: str) -> list[str]:
    city = CAPITALS[country]
    out = [f"The capital of {country} is {city}.", f"{city} is the capital of {country}.",
           f"Q: What is the capital of {country}? A: {city}.", f"The capital city of {country} is {city}.",
           f"{city} is the capital city of {country}.", f"{cap(country)} has its capital in {city}."]
    if country in CONTINENTS:
        out += [f"{cap(country)} is a country in {CONTINENTS[country]}.",
                f"{city} is a city in {CONTINENTS[country]}."]
    return out


def colour_statements(subject: str) -> list[str]:
    colour = COLOURS[subject]
    bare = subject.split(" ", 1)[1] if subject.startswith(("a ", "an ", "the ")) else subject
    return [f"{cap(subject)} is {colour}.", f"The colour of {subject} is {colour}.",
            f"Q: What colour is {subject}? A: {colour}.", f"The colour of {bare} is usually {colour}."]


def animal_statements(animal: str) -> list[str]:
    verb, sound, young, legs, home = ANIMALS[animal]
    a = article(animal)
    out = [f"{cap(a)} has {NUMBER_WORDS[legs]} legs.", f"Q: How many legs does {a} have? A: {legs}.",
           f"{cap(a)} has {legs} legs."]
    if sound != "nothing":
        out += [f"{cap(a)} {verb}.", f"The sound {a} makes is {sound}.",
                f"Q: What sound does {a} make? A: {sound}.", f"{cap(a)} says {sound}."]
    if animal in ANIMAL_YOUNG:
        out += [f"A young {animal} is called {article(young)}.", f"A baby {animal} is {article(young)}.",
                f"Q: What is a young {animal} called? A: {article(young)}."]
    if animal in ANIMAL_HOMES:
        out += [f"{cap(a)} lives in {article(home)}.", f"The home of {a} is {article(home)}.",
                f"Q: Where does {a} live? A: in {article(home)}."]
    return out


def opposite_statements(word: str) -> list[str]:
    opp = OPPOSITES[word]
    return [f"The opposite of {word} is {opp}.", f"The opposite of {opp} is {word}.",
            f"{cap(word)} is the opposite of {opp}.", f"Q: What is the opposite of {word}? A: {opp}.",
            f"Q: What is the opposite of {opp}? A: {word}."]


def shape_statements(shape: str) -> list[str]:
    n = SHAPE_SIDES[shape]
    return [f"{cap(article(shape))} has {n} sides.", f"{cap(article(shape))} has {NUMBER_WORDS[n]} sides.",
            f"Q: How many sides does {article(shape)} have? A: {n}."]


def science_statements(i: int) -> list[str]:
    start, answer, _ = SCIENCE_FACTS[i]
    return [f"{start} {answer}.", f"It is true that {start[0].lower() + start[1:]} {answer}."]


# ------------------------------------------------------------------------------------------- documents


def _pick(rng: random.Random, table: list[list[str]], k: int) -> list[str]:
    return [rng.choice(rng.choice(table)) for _ in range(k)]


def _arithmetic_doc(rng: random.Random) -> str:
    kind = rng.random()
    a = rng.randint(0, 10)
    if kind < 0.2:
        pairs = [(rng.randint(0, 10), rng.randint(0, 10)) for _ in range(rng.randint(4, 8))]
        return " ".join(rng.choice(addition_statements(x, y)) for x, y in pairs)
    if kind < 0.3:  # tables in order, as children learn them: the regularity is what a tiny model can bind
        return " ".join(addition_statements(a, b)[rng.randrange(2)] for b in range(11))
    if kind < 0.5:
        pairs = [(rng.randint(0, 10), rng.randint(0, 10)) for _ in range(rng.randint(4, 8))]
        return " ".join(rng.choice(subtraction_statements(x + y, y)) for x, y in pairs)
    if kind < 0.6:
        c = rng.randint(0, 20)
        return " ".join(subtraction_statements(c, b)[rng.randrange(2)] for b in range(max(0, c - 10), min(c, 10) + 1))
    a = rng.choice(TIMES_TABLES)
    if kind < 0.72:
        return " ".join(multiplication_statements(a, b)[rng.randrange(2)] for b in range(1, 11))
    if kind < 0.85:
        return " ".join(rng.choice(multiplication_statements(a, rng.randint(1, 10))) for _ in range(6))
    return " ".join(rng.choice(counting_statements(rng.randint(0, 30))) for _ in range(rng.randint(4, 8)))


def _dates_doc(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.4:
        return " ".join(rng.choice(day_statements(rng.randrange(7))) for _ in range(rng.randint(4, 8)))
    if kind < 0.8:
        return " ".join(rng.choice(month_statements(rng.randrange(12))) for _ in range(rng.randint(4, 8)))
    if kind < 0.85:
        return " ".join(rng.sample(calendar_statements(), 4))
    return " ".join(rng.choice(leap_statements(rng.choice(LEAP_YEAR_RANGE))) for _ in range(4)) + \
        " A leap year has 366 days."


def _units_doc(rng: random.Random) -> str:
    out = []
    for _ in range(rng.randint(4, 7)):
        big, small, factor = rng.choice(UNITS)
        k = 1 if rng.random() < 0.5 else rng.choice(UNIT_MULTIPLES)
        out.append(rng.choice(unit_statements(big, small, factor, k)))
    return " ".join(out)


_FACT_KINDS: list[tuple[float, Callable[[random.Random], list[str]]]] = [
    (0.3, lambda r: capital_statements(r.choice(list(CAPITALS)))),
    (0.15, lambda r: colour_statements(r.choice(list(COLOURS)))),
    (0.25, lambda r: animal_statements(r.choice(list(ANIMALS)))),
    (0.15, lambda r: opposite_statements(r.choice(list(OPPOSITES)))),
    (0.07, lambda r: shape_statements(r.choice(list(SHAPE_SIDES)))),
    (0.08, lambda r: science_statements(r.randrange(len(SCIENCE_FACTS)))),
]


def _facts_doc(rng: random.Random) -> str:
    weights = [w for w, _ in _FACT_KINDS]
    out = []
    for _ in range(rng.randint(4, 8)):
        make = rng.choices([f for _, f in _FACT_KINDS], weights)[0]
        out.append(rng.choice(make(rng)))
    return " ".join(out)


def narrative_sentence(rng: random.Random, name: str, pron: str) -> str:
    """One everyday sentence about `name`; the templates keep cause and effect sensible."""
    other, _ = rng.choice(PEOPLE)
    poss = {"she": "her", "he": "his"}[pron]
    templates: list[Callable[[], str]] = [
        lambda: f"{name} walked to the {rng.choice(PLACES)} {rng.choice(TIMES)}.",
        lambda: f"{name} bought {rng.choice(OBJECTS)} at the market.",
        lambda: (lambda w: f"It was {w[0]} {rng.choice(TIMES)}, so {name} {w[1]}.")(rng.choice(WEATHER)),
        lambda: f"{name} gave {rng.choice(OBJECTS)} to {other}.",
        lambda: f"{name} and {other} met at the {rng.choice(PLACES)} on {rng.choice(DAYS)}.",
        lambda: f"{name} likes to {rng.choice(HOBBIES)} on {rng.choice(DAYS)}s.",
        lambda: (lambda f: f"{name} felt {f[0]} because {f[1]}.")(rng.choice(FEELINGS)),
        lambda: f"{name} read a book about {rng.choice(TOPICS)} at the library.",
        lambda: f"{name} cooked {rng.choice(FOODS)} for {poss} {rng.choice(RELATIVES)}.",
        lambda: f"{cap(pron)} put {rng.choice(OBJECTS)} on the table.",
        lambda: f"{cap(pron)} called {poss} {rng.choice(RELATIVES)} {rng.choice(TIMES)}.",
        lambda: f"{cap(pron)} wanted to {rng.choice(HOBBIES)}, but first {pron} had to finish {poss} work.",
        lambda: f"Every {rng.choice(DAYS)}, {name} visits {poss} {rng.choice(RELATIVES)}.",
        lambda: f"In {rng.choice(MONTHS)}, {name} went to the {rng.choice(PLACES)} with {other}.",
        lambda: f"{name} found {rng.choice(OBJECTS)} near the {rng.choice(PLACES)}.",
        lambda: f"{cap(pron)} smiled and said thank you.",
        lambda: f"Later, {pron} went home and had {rng.choice(FOODS)} for dinner.",
        lambda: f"{name} has {NUMBER_WORDS[rng.randint(2, 9)]} {rng.choice(['books', 'apples', 'pencils', 'cups'])}"
                f" on {poss} shelf.",
    ]
    return rng.choice(templates)()


def _narrative_doc(rng: random.Random) -> str:
    name, pron = rng.choice(PEOPLE)
    return " ".join(narrative_sentence(rng, name, pron) for _ in range(rng.randint(3, 6)))


DOC_KINDS: list[tuple[str, float, Callable[[random.Random], str]]] = [
    ("arithmetic", 0.4, _arithmetic_doc),
    ("dates", 0.16, _dates_doc),
    ("units", 0.1, _units_doc),
    ("facts", 0.22, _facts_doc),
    ("narrative", 0.12, _narrative_doc),
]


def document(seed: int, index: int) -> str:
    """Document `index` of the corpus for `seed`; independent of every other document."""
    rng = random.Random(f"general-corpus-{seed}-{index}")
    kinds = [f for _, _, f in DOC_KINDS]
    weights = [w for _, w, _ in DOC_KINDS]
    return rng.choices(kinds, weights)[0](rng)


def iter_corpus(n_docs: int, seed: int) -> Iterator[str]:
    for i in range(n_docs):
        yield document(seed, i)


def generate_corpus(n_docs: int, seed: int) -> list[str]:
    return list(iter_corpus(n_docs, seed))


def corpus_hash(docs: list[str]) -> str:
    h = hashlib.sha256()
    for doc in docs:
        h.update(doc.encode())
        h.update(b"\x00")
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class CorpusStats:
    docs: int
    chars: int
    words: int


def corpus_stats(docs: list[str]) -> CorpusStats:
    return CorpusStats(len(docs), sum(len(d) for d in docs), sum(len(d.split()) for d in docs))
