"""Deterministic generator of AMemGym-style users (the v1.base shape by default).

Each user gets a state schema drawn from a fixed pool of info types with three values each, an initial
period plus ``n_updates`` update periods of three months, about four changes per update period (at most
three changes per variable), sessions that expose the changed values through the user's query, and
questions over two (``vars_per_question``) variables with one answer choice per combination of values. The output is a plain
AMemGym record dict, so it goes through the same loader, simulator and scorer as the released data.
"""

from __future__ import annotations

import itertools
import random
from datetime import date
from typing import Any

#: info type -> its three values. Phrased so "my <info type> is <value>" reads naturally.
POOL: dict[str, list[str]] = {
    "diet": ["vegetarian", "vegan", "omnivore"],
    "home city": ["Lisbon", "Toronto", "Osaka"],
    "exercise routine": ["running", "yoga", "weightlifting"],
    "job": ["nurse", "software engineer", "teacher"],
    "commute mode": ["cycling", "driving", "public transit"],
    "sleep schedule": ["early bird", "night owl", "irregular shifts"],
    "monthly budget": ["tight", "moderate", "comfortable"],
    "pet": ["a dog", "a cat", "no pets"],
    "learning goal": ["Spanish", "piano", "data science"],
    "music taste": ["jazz", "hip-hop", "classical"],
    "housing": ["a rented flat", "a house with a garden", "a shared apartment"],
    "relationship status": ["single", "in a relationship", "married"],
    "work schedule": ["fully remote", "hybrid", "fully in the office"],
    "travel preference": ["beach holidays", "city breaks", "hiking trips"],
    "reading genre": ["science fiction", "history", "mystery novels"],
    "caffeine habit": ["espresso", "green tea", "no caffeine"],
    "health focus": ["losing weight", "building muscle", "reducing stress"],
    "main hobby": ["photography", "gardening", "board games"],
    "savings goal": ["a new car", "a house deposit", "an emergency fund"],
    "phone platform": ["Android", "iPhone", "a basic feature phone"],
    "cooking skill": ["beginner", "confident home cook", "trained chef"],
    "social energy": ["introverted", "ambivert", "extroverted"],
    "family size": ["living alone", "two people", "a family of four"],
    "weekend plans": ["staying in", "outdoor adventures", "visiting family"],
}

NAMES = ["Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn",
         "Robin", "Drew", "Kai", "Noor", "Lena", "Marco", "Priya", "Tomas", "Yuki", "Zara"]
REQUESTS = [
    "Can you help me plan the next few weeks around that?",
    "What should I keep in mind going forward?",
    "Could you suggest a couple of small changes to my routine?",
    "Any ideas for making this work smoothly?",
    "How would you adjust my weekly plans?",
    "What would you recommend I look into first?",
]
QUESTION_TEMPLATES = [
    "Given how things are for me right now, which plan would suit me best?",
    "Thinking about my current situation, what would you recommend for me?",
    "Which of these suggestions fits my life at the moment?",
    "If you had to pick one recommendation for me today, which would it be?",
]


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    return date(d.year + y, m + 1, min(d.day, 28))


def generate_user(uid: str, seed: Any, *, n_updates: int = 10, n_vars: int = 14, n_questions: int = 10,
                  changes_per_period: int = 4, max_changes_per_var: int = 3,
                  vars_per_session: int = 2, months_per_period: int = 3,
                  vars_per_question: int = 2) -> dict[str, Any]:
    """One user record (AMemGym layout). Everything is drawn from ``random.Random(seed)``."""
    rng = random.Random(seed)
    schema_keys = rng.sample(sorted(POOL), n_vars)
    schema = {k: list(POOL[k]) for k in schema_keys}
    pairs = rng.sample(list(itertools.combinations(schema_keys, vars_per_question)), n_questions)
    start = date(2023 + rng.randrange(3), 1 + rng.randrange(12), 1 + rng.randrange(28))
    name = rng.choice(NAMES)
    profile = (f"{name}, {25 + rng.randrange(40)} years old. Talks to the assistant every few weeks about "
               "everyday plans.")

    state = {k: rng.choice(v) for k, v in schema.items()}
    changes = dict.fromkeys(schema_keys, 0)
    # variables questions depend on change first, so updates matter for the answers
    asked = [k for k in schema_keys if any(k in p for p in pairs)]
    periods: list[dict[str, Any]] = []
    for p in range(n_updates + 1):
        p_start = add_months(start, p * months_per_period)
        p_end = add_months(start, (p + 1) * months_per_period)
        updates: dict[str, dict[str, str]] = {}
        if p == 0:
            exposed_keys = list(schema_keys)
            rng.shuffle(exposed_keys)
        else:
            candidates = [k for k in asked if changes[k] < max_changes_per_var]
            rng.shuffle(candidates)
            rest = [k for k in schema_keys if k not in asked and changes[k] < max_changes_per_var]
            rng.shuffle(rest)
            for k in (candidates + rest)[:changes_per_period]:
                new = rng.choice([v for v in schema[k] if v != state[k]])
                updates[k] = {"old": state[k], "new": new}
                state[k] = new
                changes[k] += 1
            exposed_keys = list(updates)
        state_now = dict(state)
        sessions = []
        groups = [exposed_keys[i:i + vars_per_session] for i in range(0, len(exposed_keys), vars_per_session)]
        span = max((p_end - p_start).days - 1, 1)
        offsets = sorted(rng.sample(range(1, span), len(groups))) if groups else []
        for g, off in zip(groups, offsets):
            exposed = {k: state_now[k] for k in g}
            verb = "these days" if p == 0 else "now — that changed recently"
            facts = "; ".join(f"my {k} is {v} {verb}" for k, v in exposed.items())
            event = ("Getting to know the assistant" if p == 0
                     else "Life update: " + ", ".join(f"{k} changed" for k in exposed))
            when = date.fromordinal(p_start.toordinal() + off)
            sessions.append({
                "event": event, "exposed_states": exposed,
                "query": f"Quick note about me: {facts}. {rng.choice(REQUESTS)}",
                "messages": [], "session_time": f"{when.isoformat()} {9 + rng.randrange(10):02d}:00",
            })
        periods.append({"period_start": p_start.isoformat(), "period_end": p_end.isoformat(),
                        "state": state_now, "updates": updates, "sessions": sessions})

    qas = []
    for keys in pairs:
        combos = [list(c) for c in itertools.product(*(schema[k] for k in keys))]
        rng.shuffle(combos)
        choices = [{"state": c, "answer": "A plan built for someone whose "
                                          + " and whose ".join(f"{k} is {v}" for k, v in zip(keys, c)) + "."}
                   for c in combos]
        qas.append({"query": rng.choice(QUESTION_TEMPLATES), "required_info": list(keys),
                    "answer_choices": choices, "type": "recommendation"})
    return {"id": uid, "start_time": start.isoformat(), "user_profile": profile, "state_schema": schema,
            "periods": periods, "qas": qas}
