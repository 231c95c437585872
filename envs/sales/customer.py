"""The simulated customer: hidden needs, budget, objections and patience; a rule-driven purchase decision.

The customer reads only the agent's *text* (never tool results). Each turn it updates what it has heard
(which product is offered, at what price, which features and assurances were mentioned), decides, and
replies. It buys when the offered product covers every hidden need, each of its objections has been
addressed (price: an offer within budget, and a discount if price is one of its objections; trust: a
warranty / guarantee / return policy / reviews; timing: delivery or a no-obligation return; fit: the agent
names the features it needs) -- then it agrees and waits for an order confirmation (an ``ORD-`` id).

It notices a bot (identity detection, 0/1 per turn in ``info["detected_bot"]``) when a reply repeats the
agent's earlier turns (trigram overlap ≥ 0.5), looks templated (placeholders, "as an AI", "dear valued
customer") or is off-persona (pitches another product line). Detection and pressure phrases cost patience;
a second detection or running out of patience ends the conversation early. All randomness (phrasing) comes
from the seeded ``rng``; every decision is logged in ``info``.
"""

from __future__ import annotations

import re
from typing import Any

from agentgym.simulators import UserSimulator, UserTurn
from agentgym.types import Message, Task

from agentgym.envs.sales.catalogue import LINES, PRESSURE_PHRASES, TIMING_KEYWORDS, TRUST_KEYWORDS
from agentgym.envs.sales.text import history_ngrams, mentions, prices, repetition

DETECTION_THRESHOLD = 0.5
_TEMPLATED = re.compile(r"\{[a-z_ ]+\}|\[(?:product|name|customer|insert)[^\]]*\]|as an ai\b|dear valued customer|"
                        r"i am an? (?:bot|language model|ai)", re.IGNORECASE)
_ASKS_NEEDS = re.compile(r"\b(need|needs|looking for|use it for|use it|important|matters|priorit\w*|requirements?)\b",
                         re.IGNORECASE)
_ASKS_BUDGET = re.compile(r"\b(budget|spend|price range)\b", re.IGNORECASE)
_ORDER = re.compile(r"\bORD-\d+\b")
_BYE = re.compile(r"\b(goodbye|bye)\b", re.IGNORECASE)

PHRASES: dict[str, tuple[str, str]] = {  # (formal, casual)
    "open": ("Good afternoon. I am considering buying a {noun}.", "Hey! I'm after a new {noun}."),
    "browse": ("I am still exploring my options. What would you suggest?", "Just looking around really. What've you got?"),
    "needs": ("Primarily, I require {needs}.", "Mostly I need {needs}."),
    "budget": ("My budget is ${budget:,.0f}.", "I'd like to stay under ${budget:,.0f}."),
    "recommend": ("Which product would you recommend?", "So what would you go for?"),
    "missing": ("Does the {name} offer {phrase}? That is essential for me.", "Does the {name} have {phrase}? I really need that."),
    "trust": ("How can I be confident it will last?", "How do I know it won't break in a year?"),
    "timing": ("I am not certain I need it right away.", "Not sure I need it right now, to be honest."),
    "fit": ("How does it perform with regard to {phrase}?", "How is it for {phrase}?"),
    "ask_price": ("What would the total cost be?", "How much would that be?"),
    "over_budget": ("That exceeds my budget of ${budget:,.0f}.", "That's more than the ${budget:,.0f} I wanted to spend."),
    "discount": ("Is any discount available?", "Any chance of a better deal?"),
    "agree": ("Very well, the {name} at ${price:,.2f} suits me. Please proceed.",
              "Okay, the {name} for ${price:,.2f} works. Let's do it."),
    "waiting": ("Please go ahead and place the order.", "Go ahead and place the order then."),
    "bought": ("Thank you, that is all.", "Great, thanks a lot!"),
    "bot": ("This feels automated. I will look elsewhere.", "I'm clearly talking to a script. I'll shop elsewhere."),
    "leave": ("I need more time to consider. Goodbye.", "I'll think about it. Bye."),
    "bye": ("Goodbye.", "Bye!"),
}


class Customer(UserSimulator):
    """Scripted, seeded customer (the default). Its hidden state is ``task.user``."""

    def reset(self, task: Task, seed: int) -> None:
        super().reset(task, seed)
        self.persona: dict[str, Any] = task.user
        self.line = LINES[self.persona["line"]]
        self.mem: dict[str, Any] = {
            "turn": 0, "heard": 0, "patience": int(self.persona["patience"]), "suspicion": 0, "needs_revealed": False,
            "budget_revealed": False, "product": None, "offered": None, "addressed": [], "keywords": [],
            "agreed": False, "done": False,
        }

    # ------------------------------------------------------------------ phrasing
    def say(self, key: str, **kw: Any) -> str:
        formal, casual = PHRASES[key]
        style = self.persona.get("style", "casual")
        text = formal if style == "formal" else casual
        if style == "chatty" and self.rng.random() < 0.5:
            text = casual + " " + self.rng.choice(["Sorry, long week!", "Anyway.", "You know how it is."])
        return text.format(**kw)

    def opening(self) -> Message | None:
        return Message.user(self.say("open", noun=self.line["noun"]))

    # ------------------------------------------------------------------ perception
    def detect(self, text: str, previous: list[str]) -> list[str]:
        reasons = []
        if not text.strip() or _TEMPLATED.search(text):
            reasons.append("templated")
        if previous and repetition(text, history_ngrams(previous)) >= DETECTION_THRESHOLD:
            reasons.append("repetitive")
        own = {p["id"] for p in self.line["products"]}
        for line in LINES.values():
            for p in line["products"]:
                if p["id"] not in own and (mentions(text, p["name"]) or mentions(text, p["id"])):
                    reasons.append("off_persona")
                    return reasons
        return reasons

    def _hear(self, text: str) -> None:
        m = self.mem
        named = [(text.lower().rfind(p["name"].lower()), p) for p in self.line["products"]
                 if mentions(text, p["name"]) or mentions(text, p["id"])]
        if named:
            product = max(named, key=lambda x: x[0])[1]
            if product["id"] != m["product"]:
                m["product"], m["offered"] = product["id"], None
                m["addressed"] = [a for a in m["addressed"] if a not in ("fit", "price")]
        stated = prices(text)
        if stated and m["product"]:
            m["offered"] = stated[-1]
        for _, kw in self.line["features"].values():
            if mentions(text, kw) and kw not in m["keywords"]:
                m["keywords"].append(kw)
        low = text.lower()
        if any(k in low for k in TRUST_KEYWORDS) and "trust" not in m["addressed"]:
            m["addressed"].append("trust")
        if any(k in low for k in TIMING_KEYWORDS) and "timing" not in m["addressed"]:
            m["addressed"].append("timing")

    # ------------------------------------------------------------------ decision
    def respond(self, messages: list[Message]) -> UserTurn:
        intent, scripted, done, info = self._react(messages)
        return UserTurn(Message.user(self.render(intent, scripted, messages)), done=done, info=info)

    async def arespond(self, messages: list[Message]) -> UserTurn:
        intent, scripted, done, info = self._react(messages)
        return UserTurn(Message.user(await self.arender(intent, scripted, messages)), done=done, info=info)

    def _react(self, messages: list[Message]) -> tuple[str, str, bool, dict[str, Any]]:
        """Hear the agent, decide; returns (intent, scripted reply, done, info)."""
        m = self.mem
        latest = messages[-1].content if messages else ""
        previous = [x.content for x in messages[:-1] if x.role == "assistant" and x.content]
        # everything said since the customer last spoke (an interrupted turn is still heard)
        text = "\n".join(x.content for x in messages[m["heard"]:] if x.role == "assistant" and x.content)
        m["heard"] = len(messages)
        m["turn"] += 1
        m["patience"] -= 1
        reasons = self.detect(latest, previous)
        pressure = [p for p in PRESSURE_PHRASES if p in latest.lower()]
        if reasons:
            m["suspicion"] += 1
            m["patience"] -= 1
        if pressure:
            m["patience"] -= 2
        self._hear(text)
        intent, reply, done = self._decide(text)
        m["done"] = done
        info = {"detected_bot": int(bool(reasons)), "detection_reasons": reasons, "pressure": pressure,
                "intent": intent, "agreed": m["agreed"], "patience_left": m["patience"],
                "bought": intent == "bought"}
        return intent, reply, done, info

    def render(self, intent: str, scripted: str, messages: list[Message]) -> str:
        """The reply's text. The scripted customer says the scripted line; the LLM customer rewrites it."""
        return scripted

    async def arender(self, intent: str, scripted: str, messages: list[Message]) -> str:
        return self.render(intent, scripted, messages)

    def _decide(self, text: str) -> tuple[str, str, bool]:
        m, p = self.mem, self.persona
        if m["agreed"] and _ORDER.search(text):
            return "bought", self.say("bought"), True
        if m["suspicion"] >= 2:
            return "left_bot", self.say("bot"), True
        if m["patience"] <= 0:
            return "left_patience", self.say("leave"), True
        if _BYE.search(text):
            return "bye", self.say("bye"), True
        parts, intents = [], []
        if "?" in text and _ASKS_NEEDS.search(text) and not m["needs_revealed"]:
            m["needs_revealed"] = True
            phrases = [self.line["features"][n][0] for n in p["needs"]]
            parts.append(self.say("needs", needs=" and ".join(phrases)))
            intents.append("reveal_needs")
        if "?" in text and _ASKS_BUDGET.search(text) and not m["budget_revealed"]:
            m["budget_revealed"] = True
            parts.append(self.say("budget", budget=p["budget"]))
            intents.append("reveal_budget")
        if parts:
            return "+".join(intents), " ".join(parts), False
        if m["agreed"]:
            return "waiting", self.say("waiting"), False
        if m["product"] is None:
            key = "recommend" if m["needs_revealed"] else "browse"
            return key, self.say(key), False
        product = next(x for x in self.line["products"] if x["id"] == m["product"])
        missing = [n for n in p["needs"] if n not in product["features"]]
        if missing:
            return "objection_fit_missing", self.say("missing", name=product["name"],
                                                     phrase=self.line["features"][missing[0]][0]), False
        for objection in p["objections"]:
            if objection == "price":
                raised = self._price_objection(product)
                if raised:
                    return raised
            elif objection == "fit":
                unmentioned = [n for n in p["needs"] if self.line["features"][n][1] not in m["keywords"]]
                if unmentioned:
                    return "objection_fit", self.say("fit", phrase=self.line["features"][unmentioned[0]][0]), False
            elif objection not in m["addressed"]:
                return f"objection_{objection}", self.say(objection), False
        raised = self._price_objection(product)
        if raised:
            return raised
        m["agreed"] = True
        return "agree", self.say("agree", name=product["name"], price=m["offered"]), False

    def _price_objection(self, product: dict[str, Any]) -> tuple[str, str, bool] | None:
        m, p = self.mem, self.persona
        if m["offered"] is None:
            return "ask_price", self.say("ask_price"), False
        if m["offered"] > p["budget"] + 0.005:
            m["budget_revealed"] = True
            return "objection_price", self.say("over_budget", budget=p["budget"]), False
        if "price" in p["objections"] and m["offered"] >= product["price"]:
            return "objection_discount", self.say("discount"), False
        return None

    def state(self) -> dict[str, Any]:
        return {**super().state(), "mem": {**self.mem, "addressed": list(self.mem["addressed"]),
                                           "keywords": list(self.mem["keywords"])}}

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        self.mem = {**state["mem"], "addressed": list(state["mem"]["addressed"]),
                    "keywords": list(state["mem"]["keywords"])}


class LLMCustomer(Customer):
    """Same hidden state and decisions as ``Customer``; an LLM writes the reply's wording."""

    def __init__(self, model: str, *, base_url: str | None = None, **litellm_kwargs: Any):
        self.model, self.base_url, self.litellm_kwargs = model, base_url, litellm_kwargs

    def _simulator(self, intent: str, scripted: str) -> Any:
        from agentgym.policies.llm_user import LLMUserSimulator  # optional dependency, imported lazily

        p = self.persona
        needs = [self.line["features"][n][0] for n in p["needs"]]
        system = (f"You are {p['name']}, a {p['style']} customer shopping for a {self.line['noun']}. Hidden "
                  f"needs: {'; '.join(needs)}. Budget: ${p['budget']:,.0f}. Concerns: {', '.join(p['objections'])}."
                  f"\nThis turn you decided: {intent}. Say it in your own words, one or two sentences, keeping "
                  f"every fact and number of this line: \"{scripted}\". Do not reveal anything else.")
        sim = LLMUserSimulator(self.model, system, base_url=self.base_url, **self.litellm_kwargs)
        sim.reset(self.task, self.seed + self.mem["turn"])
        return sim

    @staticmethod
    def _visible(messages: list[Message]) -> list[Message]:
        return [x for x in messages if x.role in ("user", "assistant") and x.content]

    def render(self, intent: str, scripted: str, messages: list[Message]) -> str:
        turn = self._simulator(intent, scripted).respond(self._visible(messages))
        text = turn.message.content.strip() if turn.message is not None else ""
        return text or scripted

    async def arender(self, intent: str, scripted: str, messages: list[Message]) -> str:
        turn = await self._simulator(intent, scripted).arespond(self._visible(messages))
        text = turn.message.content.strip() if turn.message is not None else ""
        return text or scripted
