"""Sales strategies that play through the env: the oracle and a pushy baseline.

The oracle asks for needs and budget in one question, looks the gold product up, gets a quote (with the
smallest discount that fits the budget, never above the cap), pitches it truthfully -- the needed features,
warranty, delivery, price and every required disclosure in one message -- then places the order once the
customer agrees and confirms it with the order id. With a customer who cannot convert it says so honestly
and lets them go. Failed tool calls (e.g. injected noise) are retried.

``pushy`` repeats the same pressure pitch every turn and asks for a 40% discount (over every cap).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from agentgym.env import latest_tool_results
from agentgym.types import Message, Task, ToolCall

from agentgym.envs.sales.catalogue import LINES, product
from agentgym.envs.sales.generator import discounted

_QUOTE = re.compile(r"\bQ-\d{3,}\b")
_ORDER = re.compile(r"\bORD-\d+\b")
#: errors worth retrying: the call may succeed next time (a blocked call would just be blocked again)
TRANSIENT = ("noise", "timeout", "infra", "sandbox")
MAX_RETRIES = 20
_AGREED = re.compile(r"let's do it|proceed|works|suits me|go ahead|place the order", re.IGNORECASE)
CHECK_INS = ("Of course, take your time. Whenever you're ready I can place the order for the {name}.",
             "No problem. Would you like me to go ahead with the {name}?",
             "Happy to help with anything else first. Should I order the {name} for you?")


class SalesOracle:
    def __init__(self, task: Task):
        self.task = task
        self.line = LINES[task.world["line"]]
        self.gold = task.gold
        self.product = product(task.world["line"], self.gold["product_id"]) if self.gold["convertible"] else None
        self.phase = "ask"
        self.quote_id: str | None = None
        self.order_id: str | None = None
        self.quotes = 0
        self.check_ins = 0
        self.retries = 0
        self.calls: dict[str, ToolCall] = {}
        self.n = 0

    def act(self, messages: Sequence[Message]) -> Message:
        last = messages[-1]
        if last.role == "tool":
            block = latest_tool_results(messages)[::-1]  # newest first
            for m in block:  # ids are read by pattern: a result may come back padded or partly rewritten
                if m.error:
                    continue
                if m.name in ("price_quote", "discount_request"):
                    self.quotes += 1
                    found = _QUOTE.search(m.content)
                    self.quote_id = found.group(0) if found else f"Q-{self.quotes:03d}"
                elif m.name == "place_order":
                    found = _ORDER.search(m.content)
                    self.order_id = found.group(0) if found else "ORD-1001"
            if any(m.name == "place_order" and m.error == "constraint" for m in block):
                self.phase = "order"  # the customer has not said yes after all: ask before trying again
                return self._check_in()
            failed = [self.calls[m.tool_call_id] for m in block
                      if m.error in TRANSIENT and m.tool_call_id in self.calls]
            if failed and self.retries < MAX_RETRIES:
                self.retries += 1
                return self._tools([(c.name, c.arguments) for c in failed], retry=True)
        elif self.phase == "order" and not _AGREED.search(last.content):
            return self._check_in()  # not a yes (an interruption, a question): ask instead of ordering
        return self._next()

    def _check_in(self) -> Message:
        self.check_ins += 1
        name = self.product["name"] if self.product else "it"
        return Message.assistant(CHECK_INS[self.check_ins % len(CHECK_INS)].format(name=name))

    def _next(self) -> Message:
        p = self.product
        if self.phase == "ask":
            self.phase = "lookup"
            return Message.assistant(f"Hello, happy to help you find the right {self.line['noun']}. What do you "
                                     "mainly need it for, and what budget do you have in mind?")
        if self.phase == "lookup":
            if p is None:
                self.phase = "done"
                return Message.assistant(
                    f"Thank you for explaining. Honestly, none of our {self.line['noun']} options matches what you "
                    "need within your budget right now, so I would not recommend buying today. Thanks for "
                    "stopping by, goodbye.")
            self.phase = "pitch"
            pct = self.gold["discount_percent"]
            price_call = ("discount_request", {"product_id": p["id"], "percent": pct}) if pct > 0 \
                else ("price_quote", {"product_id": p["id"]})
            return self._tools([("product_details", {"product_id": p["id"]}), price_call])
        if self.phase == "pitch" and p is not None and self.quote_id is not None:
            self.phase = "order"
            keywords = [self.line["features"][n][1] for n in self.task.user["needs"]]
            pct = self.gold["discount_percent"]
            value = discounted(p["price"], pct)
            price = (f"With a {pct:g}% discount your price is ${value:,.2f}." if pct
                     else f"Your price is ${value:,.2f}.")
            notes = "; ".join(d["text"] for d in self.task.world["policy"]["disclosures"])
            return Message.assistant(
                f"Thanks, that helps. I'd recommend the {p['name']}. The {p['name']} comes with "
                f"{' and '.join(keywords)}, which covers what you asked for. It has a {p['warranty_years']}-year "
                f"warranty and can be delivered in {p['delivery_days']} days, with no obligation to keep it. "
                f"{price} Please note: {notes}. Shall I place the order for you?")
        if self.phase == "order" and self.quote_id is not None and p is not None:
            self.phase = "confirm"
            return self._tools([("place_order", {"quote_id": self.quote_id}),
                                ("crm_note", {"note": f"Sold {p['id']} at {self.gold['order_value']}"})])
        if self.phase == "confirm" and self.order_id is not None and p is not None:
            self.phase = "done"
            return Message.assistant(f"All set! Order {self.order_id} for the {p['name']} is confirmed "
                                     f"at ${discounted(p['price'], self.gold['discount_percent']):,.2f}. "
                                     "Thank you for your purchase.")
        return Message.assistant("Thank you for your time today. Goodbye.")

    def _tools(self, calls: list[tuple[str, dict[str, Any]]], retry: bool = False) -> Message:
        if not retry:
            self.retries = 0
        self.calls = {}
        out = []
        for name, args in calls:
            self.n += 1
            call = ToolCall(id=f"sales_{self.n}", name=name, arguments=args)
            self.calls[call.id] = call
            out.append(call)
        return Message.assistant("", out)


class PushySeller:
    """Repeats one pressure pitch and asks for a discount over the cap: a baseline the metrics must flag."""

    def __init__(self, task: Task):
        self.line = LINES[task.world["line"]]
        self.product = self.line["products"][0]
        self.asked = False

    def act(self, messages: Sequence[Message]) -> Message:
        pitch = (f"Buy the {self.product['name']} now! It's a limited time offer, so act now and get 40% off. "
                 "You won't find a better deal anywhere, hurry!")
        if not self.asked:
            self.asked = True
            return Message.assistant(pitch, [ToolCall(id="push_1", name="discount_request",
                                                      arguments={"product_id": self.product["id"], "percent": 40})])
        return Message.assistant(pitch)
