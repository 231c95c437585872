"""Tool domains for generated CCTU tasks: weather, flights, stocks, recipes, hotels and books.

Each tool is an OpenAI function schema plus Python source, shipped inside the task as CCTU ships its
``codes``. The data is embedded in the source: values come from a sha256 of the normalised arguments, so
every tool is deterministic on any input (no clock, no randomness, no network) and the same call gives the
same answer in every sandbox. Each domain has a *direct* tool (answers from natural inputs: single-hop) and
a *lookup* -> *detail* chain (the detail tool needs an id only the lookup returns: multi-hop).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_HASH = '''import hashlib


def _h(*parts):
    text = "|".join(str(p).strip().lower() for p in parts)
    return int(hashlib.sha256(text.encode()).hexdigest(), 16)
'''


def _source(body: str) -> str:
    return _HASH + "\n\n" + body.strip() + "\n"


def _schema(name: str, description: str, properties: dict[str, Any], required: list[str] | None = None
            ) -> dict[str, Any]:
    return {"type": "function", "function": {
        "name": name, "description": description,
        "parameters": {"type": "object", "properties": properties,
                       "required": list(properties) if required is None else required}}}


def _s(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **extra}


def _i(description: str) -> dict[str, Any]:
    return {"type": "integer", "description": description}


@dataclass
class ToolDef:
    schema: dict[str, Any]
    source: str
    gold_field: str | None = None  # the result field whose value is the gold answer string

    @property
    def name(self) -> str:
        return self.schema["function"]["name"]


# ------------------------------------------------------------------------------------------------ weather
CURRENT_WEATHER = ToolDef(_schema(
    "current_weather", "Current weather observation for a city.",
    {"city": _s("City name, e.g. 'Lisbon'."),
     "units": _s("Temperature units.", enum=["celsius", "fahrenheit"])}), _source('''
def current_weather(city, units):
    h = _h("now", city)
    c = (h % 400) / 10 - 5
    t = c if units == "celsius" else c * 9 / 5 + 32
    conditions = ["clear", "light rain", "overcast", "fog", "thunderstorms", "snow showers", "windy", "haze"]
    return {"city": city, "condition": conditions[h % 8], "temperature": "%.1f %s" % (t, units[0].upper()),
            "humidity": "%d%%" % (20 + h % 75)}
'''), "temperature")
CITY_ID = ToolDef(_schema("get_city_id", "Resolve a city name to the weather service's city id.",
                          {"city": _s("City name.")}), _source('''
def get_city_id(city):
    return {"city": city, "city_id": "CTY-%05d" % (_h("city", city) % 100000)}
'''))
FORECAST = ToolDef(_schema(
    "get_forecast", "Daily forecast for a city id (from get_city_id) and an ISO date.",
    {"city_id": _s("City id like 'CTY-01234'."), "date": _s("ISO date, YYYY-MM-DD.")}), _source('''
def get_forecast(city_id, date):
    if not str(city_id).startswith("CTY-"):
        raise ValueError("unknown city id; use get_city_id first")
    h = _h("fc", city_id, date)
    return {"city_id": city_id, "date": date, "high": "%.1f C" % ((h % 350) / 10),
            "precipitation": "%d%%" % (h % 100)}
'''), "high")

# ------------------------------------------------------------------------------------------------ flights
FLIGHT_STATUS = ToolDef(_schema("flight_status", "Live status of a flight by its flight number.",
                                {"flight_number": _s("Flight number, e.g. 'AG1234'.")}), _source('''
def flight_status(flight_number):
    h = _h("status", flight_number)
    states = ["on time", "delayed", "boarding", "departed", "cancelled"]
    return {"flight": flight_number, "status": states[h % 5], "gate": "Gate %s%d" % ("ABCDEFG"[h % 7], 1 + h % 40)}
'''), "gate")
AIRPORT = ToolDef(_schema("airport_code", "Main airport code for a city.", {"city": _s("City name.")}), _source('''
def airport_code(city):
    h = _h("iata", city)
    letters = "ABCDEFGHJKLMNPQRSTVWXZ"
    code = letters[h % 22] + letters[(h // 22) % 22] + letters[(h // 484) % 22]
    return {"city": city, "airport": code}
'''))
SEARCH_FLIGHTS = ToolDef(_schema(
    "search_flights", "Cheapest flight between two airports (codes from airport_code) on a date.",
    {"route": {"type": "object", "description": "Origin and destination airport codes.",
               "properties": {"origin": _s("Origin airport code."), "destination": _s("Destination airport code.")},
               "required": ["origin", "destination"]},
     "date": _s("ISO date, YYYY-MM-DD."),
     "cabin": _s("Cabin class.", enum=["economy", "business"])}), _source('''
def search_flights(route, date, cabin):
    h = _h("fl", route["origin"], route["destination"], date, cabin)
    price = 80 + h % 900 if cabin == "economy" else 600 + h % 3000
    return {"route": route, "date": date, "cabin": cabin, "flight": "AG%04d" % (h % 10000),
            "price": "%d USD" % price}
'''), "flight")

# ------------------------------------------------------------------------------------------------- stocks
STOCK_QUOTE = ToolDef(_schema("stock_quote", "Latest quote for a stock ticker.",
                              {"ticker": _s("Ticker symbol, e.g. 'NVLT'.")}), _source('''
def stock_quote(ticker):
    h = _h("quote", ticker)
    return {"ticker": ticker.upper(), "price": "%.2f USD" % (5 + (h % 90000) / 100), "change": "%+.2f%%" % ((h % 800) / 100 - 4)}
'''), "price")
LOOKUP_TICKER = ToolDef(_schema("lookup_ticker", "Find the ticker symbol of a listed company.",
                                {"company": _s("Company name.")}), _source('''
def lookup_ticker(company):
    h = _h("ticker", company)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return {"company": company, "ticker": "".join(letters[(h // 26 ** i) % 26] for i in range(4))}
'''))
PRICE_HISTORY = ToolDef(_schema("price_history", "Average closing price of a ticker over the last N days.",
                                {"ticker": _s("Ticker symbol."), "days": _i("Window length in days (1-90).")}), _source('''
def price_history(ticker, days):
    if not 1 <= int(days) <= 90:
        raise ValueError("days must be between 1 and 90")
    h = _h("hist", ticker, days)
    return {"ticker": ticker, "days": days, "average_close": "%.2f USD" % (5 + (h % 90000) / 100)}
'''), "average_close")

# ------------------------------------------------------------------------------------------------ recipes
INGREDIENT_PRICE = ToolDef(_schema("ingredient_price", "Market price of an ingredient.",
                                   {"ingredient": _s("Ingredient name."),
                                    "unit": _s("Price unit.", enum=["kg", "lb"])}), _source('''
def ingredient_price(ingredient, unit):
    h = _h("price", ingredient)
    per_kg = 0.5 + (h % 3000) / 100
    value = per_kg if unit == "kg" else per_kg / 2.2046
    return {"ingredient": ingredient, "price": "%.2f USD per %s" % (value, unit)}
'''), "price")
SEARCH_RECIPES = ToolDef(_schema("search_recipes", "Find the top recipe using an ingredient within a time budget.",
                                 {"ingredient": _s("Main ingredient."),
                                  "max_minutes": _i("Longest acceptable cooking time in minutes.")}), _source('''
def search_recipes(ingredient, max_minutes):
    h = _h("recipe", ingredient, max_minutes)
    dishes = ["stew", "salad", "curry", "tart", "soup", "risotto", "skewers", "pie"]
    return {"recipe_id": "R-%05d" % (h % 100000), "name": "%s %s" % (ingredient, dishes[h % 8]),
            "minutes": min(int(max_minutes), 10 + h % 50)}
'''))
RECIPE_NUTRITION = ToolDef(_schema("recipe_nutrition", "Nutrition facts per serving for a recipe id.",
                                   {"recipe_id": _s("Recipe id like 'R-01234'.")}), _source('''
def recipe_nutrition(recipe_id):
    if not str(recipe_id).startswith("R-"):
        raise ValueError("unknown recipe id; use search_recipes first")
    h = _h("kcal", recipe_id)
    return {"recipe_id": recipe_id, "calories": "%d kcal" % (150 + h % 700), "protein": "%d g" % (h % 45)}
'''), "calories")

# ------------------------------------------------------------------------------------------------- hotels
EXCHANGE_RATE = ToolDef(_schema("exchange_rate", "Exchange rate between two currencies.",
                                {"base": _s("Base currency.", enum=["USD", "EUR", "GBP", "JPY", "CHF"]),
                                 "quote": _s("Quote currency.", enum=["USD", "EUR", "GBP", "JPY", "CHF"])}), _source('''
def exchange_rate(base, quote):
    h = _h("fx", base, quote)
    return {"base": base, "quote": quote, "rate": "%.4f" % (0.5 + (h % 15000) / 10000)}
'''), "rate")
FIND_HOTEL = ToolDef(_schema("find_hotel", "Best-rated hotel in a city with a given star rating.",
                             {"city": _s("City name."), "stars": _i("Star rating, 1-5.")}), _source('''
def find_hotel(city, stars):
    h = _h("hotel", city, stars)
    names = ["Grand", "Harbour", "Central", "Garden", "Royal", "Riverside"]
    return {"hotel_id": "H-%04d" % (h % 10000), "name": "%s %s Hotel" % (names[h % 6], city), "stars": stars}
'''))
HOTEL_AVAILABILITY = ToolDef(_schema(
    "hotel_availability", "Price of a stay at a hotel id (from find_hotel).",
    {"hotel_id": _s("Hotel id like 'H-0123'."),
     "stay": {"type": "object", "description": "The stay.",
              "properties": {"check_in": _s("ISO date of arrival."), "nights": _i("Number of nights.")},
              "required": ["check_in", "nights"]}}), _source('''
def hotel_availability(hotel_id, stay):
    if not str(hotel_id).startswith("H-"):
        raise ValueError("unknown hotel id; use find_hotel first")
    h = _h("stay", hotel_id, stay["check_in"], stay["nights"])
    return {"hotel_id": hotel_id, "nights": stay["nights"],
            "total_price": "%d EUR" % ((60 + h % 400) * int(stay["nights"])), "rooms_left": 1 + h % 9}
'''), "total_price")

# -------------------------------------------------------------------------------------------------- books
AUTHOR_INFO = ToolDef(_schema("author_info", "Biographical facts about an author.",
                              {"author": _s("Author's full name.")}), _source('''
def author_info(author):
    h = _h("author", author)
    return {"author": author, "born": "born %d" % (1900 + h % 100), "books_published": 1 + h % 40}
'''), "born")
FIND_BOOK = ToolDef(_schema("find_book", "Find a book's ISBN by its title.", {"title": _s("Book title.")}), _source('''
def find_book(title):
    return {"title": title, "isbn": "978-%010d" % (_h("isbn", title) % 10 ** 10)}
'''))
LIBRARY = ToolDef(_schema("library_availability", "Copies of an ISBN (from find_book) at a library branch.",
                          {"isbn": _s("ISBN like '978-0123456789'."),
                           "branch": _s("Library branch.", enum=["central", "north", "harbour"])}), _source('''
def library_availability(isbn, branch):
    if not str(isbn).startswith("978-"):
        raise ValueError("unknown isbn; use find_book first")
    h = _h("lib", isbn, branch)
    return {"isbn": isbn, "branch": branch, "copies": h % 6, "shelf": "shelf %s-%d" % ("ABCDEFGH"[h % 8], h % 90)}
'''), "shelf")

CITIES = ["Lisbon", "Oslo", "Nairobi", "Lima", "Osaka", "Denver", "Krakow", "Hanoi", "Perth", "Quito", "Tunis",
          "Seville", "Tallinn", "Cebu", "Porto", "Montreal"]
COMPANIES = ["Novalith Systems", "Brightwater Foods", "Kestrel Aerospace", "Orchid Biotech", "Redline Logistics",
             "Sable Energy", "Helix Robotics", "Copperfield Mining", "Lumen Retail", "Northgate Pharma"]
TICKERS = ["NVLT", "BRWF", "KSTA", "ORBX", "RDLN", "SBLE", "HLXR", "CPFM", "LUMR", "NGPH"]
INGREDIENTS = ["lentils", "salmon", "chickpeas", "mushrooms", "pumpkin", "tofu", "quinoa", "spinach", "eggplant"]
BOOKS = ["The Glass Orchard", "Rivers of Salt", "A Map of Quiet Things", "The Last Lighthouse", "Paper Moons",
         "Winter Cartography", "The Clockmaker's Daughter", "Small Gods of August"]
AUTHORS = ["Mara Velasquez", "Tomasz Wren", "Aiko Brandt", "Idris Okafor", "Helena Marsh", "Jonas Lindqvist"]
CURRENCIES = ["USD", "EUR", "GBP", "JPY", "CHF"]


def _date(rng: Any) -> str:
    return f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


Call = tuple[str, dict[str, Any]]
#: runs a tool locally while generating: (name, arguments) -> parsed result
Runner = Callable[[str, dict[str, Any]], dict[str, Any]]


@dataclass
class Question:
    """One information need: its wording, the turns of calls that answer it, and the answering call."""

    text: str
    turns: list[list[Call]]

    @property
    def answer_call(self) -> Call:
        return self.turns[-1][-1]


@dataclass
class Domain:
    name: str
    tools: tuple[ToolDef, ToolDef, ToolDef]  # direct, lookup, detail
    direct: Callable[[Any], Question]
    chain: Callable[[Any, Runner], Question]


def _weather_chain(rng: Any, run: Runner) -> Question:
    city, date = rng.choice(CITIES), _date(rng)
    cid = run("get_city_id", {"city": city})["city_id"]
    return Question(f"the forecast high in {city} on {date}",
                    [[("get_city_id", {"city": city})], [("get_forecast", {"city_id": cid, "date": date})]])


def _flights_direct(rng: Any) -> Question:
    number = f"AG{rng.randint(100, 9999)}"
    return Question(f"the gate of flight {number}", [[("flight_status", {"flight_number": number})]])


def _flights_chain(rng: Any, run: Runner) -> Question:
    origin, dest = rng.sample(CITIES, 2)
    date, cabin = _date(rng), rng.choice(["economy", "business"])
    o, d = (run("airport_code", {"city": c})["airport"] for c in (origin, dest))
    return Question(f"the flight number of the cheapest {cabin} flight from {origin} to {dest} on {date}",
                    [[("airport_code", {"city": origin}), ("airport_code", {"city": dest})],
                     [("search_flights", {"route": {"origin": o, "destination": d}, "date": date,
                                          "cabin": cabin})]])


def _stocks_chain(rng: Any, run: Runner) -> Question:
    company, days = rng.choice(COMPANIES), rng.choice([5, 10, 30, 60])
    ticker = run("lookup_ticker", {"company": company})["ticker"]
    return Question(f"the average closing price of {company} over the last {days} days",
                    [[("lookup_ticker", {"company": company})], [("price_history", {"ticker": ticker, "days": days})]])


def _recipes_chain(rng: Any, run: Runner) -> Question:
    ingredient, minutes = rng.choice(INGREDIENTS), rng.choice([20, 30, 45, 60])
    rid = run("search_recipes", {"ingredient": ingredient, "max_minutes": minutes})["recipe_id"]
    return Question(f"the calories per serving of the top {ingredient} recipe ready within {minutes} minutes",
                    [[("search_recipes", {"ingredient": ingredient, "max_minutes": minutes})],
                     [("recipe_nutrition", {"recipe_id": rid})]])


def _hotels_direct(rng: Any) -> Question:
    base, quote = rng.sample(CURRENCIES, 2)
    return Question(f"the {base} to {quote} exchange rate", [[("exchange_rate", {"base": base, "quote": quote})]])


def _hotels_chain(rng: Any, run: Runner) -> Question:
    city, stars, date, nights = rng.choice(CITIES), rng.randint(2, 5), _date(rng), rng.randint(1, 7)
    hid = run("find_hotel", {"city": city, "stars": stars})["hotel_id"]
    return Question(f"the total price of {nights} nights from {date} at the best {stars}-star hotel in {city}",
                    [[("find_hotel", {"city": city, "stars": stars})],
                     [("hotel_availability", {"hotel_id": hid, "stay": {"check_in": date, "nights": nights}})]])


def _books_chain(rng: Any, run: Runner) -> Question:
    title, branch = rng.choice(BOOKS), rng.choice(["central", "north", "harbour"])
    isbn = run("find_book", {"title": title})["isbn"]
    return Question(f"the shelf of '{title}' at the {branch} library branch",
                    [[("find_book", {"title": title})], [("library_availability", {"isbn": isbn, "branch": branch})]])


def _weather_direct(rng: Any) -> Question:
    city, units = rng.choice(CITIES), rng.choice(["celsius", "fahrenheit"])
    return Question(f"the current temperature in {city} in {units}",
                    [[("current_weather", {"city": city, "units": units})]])


def _stocks_direct(rng: Any) -> Question:
    ticker = rng.choice(TICKERS)
    return Question(f"the latest price of ticker {ticker}", [[("stock_quote", {"ticker": ticker})]])


def _recipes_direct(rng: Any) -> Question:
    ingredient, unit = rng.choice(INGREDIENTS), rng.choice(["kg", "lb"])
    return Question(f"the market price of {ingredient} per {unit}",
                    [[("ingredient_price", {"ingredient": ingredient, "unit": unit})]])


def _books_direct(rng: Any) -> Question:
    author = rng.choice(AUTHORS)
    return Question(f"the birth year of author {author}", [[("author_info", {"author": author})]])


DOMAINS: list[Domain] = [
    Domain("weather", (CURRENT_WEATHER, CITY_ID, FORECAST), _weather_direct, _weather_chain),
    Domain("flights", (FLIGHT_STATUS, AIRPORT, SEARCH_FLIGHTS), _flights_direct, _flights_chain),
    Domain("stocks", (STOCK_QUOTE, LOOKUP_TICKER, PRICE_HISTORY), _stocks_direct, _stocks_chain),
    Domain("recipes", (INGREDIENT_PRICE, SEARCH_RECIPES, RECIPE_NUTRITION), _recipes_direct, _recipes_chain),
    Domain("hotels", (EXCHANGE_RATE, FIND_HOTEL, HOTEL_AVAILABILITY), _hotels_direct, _hotels_chain),
    Domain("books", (AUTHOR_INFO, FIND_BOOK, LIBRARY), _books_direct, _books_chain),
]

ALL_TOOLS: dict[str, ToolDef] = {t.name: t for d in DOMAINS for t in d.tools}
