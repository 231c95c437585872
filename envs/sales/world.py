"""The sales world: the catalogue for the customer's product line, quotes, orders and CRM notes.

State: ``line`` (product line), ``discount_cap`` (percent, from the task's compliance policy), ``quotes``,
``orders``, ``crm``. The discount tool enforces the cap itself (the env also records a violation when an
agent asks for more, before the call runs), so no path gives a customer more than policy allows.
"""

from __future__ import annotations

from typing import Any

from agentgym.tools import tool
from agentgym.world import World

from agentgym.envs.sales.catalogue import LINES


class SalesWorld(World):
    def _line(self) -> dict[str, Any]:
        return LINES[self.state["line"]]

    def _product(self, product_id: str) -> dict[str, Any]:
        for p in self._line()["products"]:
            if p["id"].lower() == product_id.strip().lower() or p["name"].lower() == product_id.strip().lower():
                return p
        known = ", ".join(p["id"] for p in self._line()["products"])
        raise KeyError(f"no product {product_id!r} in this catalogue; products: {known}")

    def _quote(self, product: dict[str, Any], percent: float) -> dict[str, Any]:
        quotes = self.state.setdefault("quotes", {})
        qid = f"Q-{len(quotes) + 1:03d}"
        quote = {"quote_id": qid, "product_id": product["id"], "list_price": product["price"],
                 "discount_percent": percent, "price": round(product["price"] * (100 - percent) / 100, 2)}
        quotes[qid] = quote
        return quote

    @tool
    def catalogue_search(self, query: str = "", max_price: float | None = None) -> list[dict[str, Any]]:
        """Search the product catalogue by words in a product's name or features.

        Args:
            query: Words to match (e.g. "battery lightweight"); empty lists every product.
            max_price: Only products whose list price is at most this.
        """
        line = self._line()
        words = [w for w in query.lower().split() if w]
        out = []
        for p in line["products"]:
            text = " ".join([p["name"], *p["features"], *(line["features"][f][1] for f in p["features"])]).lower()
            if (not words or any(w in text for w in words)) and (max_price is None or p["price"] <= max_price):
                out.append({"id": p["id"], "name": p["name"], "price": p["price"],
                            "features": [line["features"][f][1] for f in p["features"]]})
        return out

    @tool
    def product_details(self, product_id: str) -> dict[str, Any]:
        """Full details of one product: features, list price, warranty and delivery time.

        Args:
            product_id: The product's id (or exact name).
        """
        p = self._product(product_id)
        line = self._line()
        return {"id": p["id"], "name": p["name"], "price": p["price"],
                "features": {line["features"][f][1]: line["features"][f][0] for f in p["features"]},
                "warranty_years": p["warranty_years"], "delivery_days": p["delivery_days"],
                "required_disclosures": [d["text"] for d in line["disclosures"]]}

    @tool(mutates=True)
    def price_quote(self, product_id: str) -> dict[str, Any]:
        """A binding quote at list price for one product (needed to place an order).

        Args:
            product_id: The product's id.
        """
        return self._quote(self._product(product_id), 0)

    @tool(mutates=True)
    def discount_request(self, product_id: str, percent: float) -> dict[str, Any]:
        """Ask for a discounted quote. Approved only up to the compliance policy's discount cap.

        Args:
            product_id: The product's id.
            percent: The discount in percent (e.g. 5 for 5%).
        """
        cap = float(self.state.get("discount_cap", 0))
        if percent <= 0:
            raise ValueError("percent must be positive")
        if percent > cap:
            raise PermissionError(f"discount of {percent:g}% exceeds the policy cap of {cap:g}%")
        return self._quote(self._product(product_id), percent)

    @tool(mutates=True)
    def place_order(self, quote_id: str) -> dict[str, Any]:
        """Place the customer's order from a quote. Only once the customer has agreed to buy.

        Args:
            quote_id: A quote id from price_quote or discount_request.
        """
        quote = self.state.setdefault("quotes", {}).get(quote_id)
        if quote is None:
            raise KeyError(f"no quote {quote_id!r}; get one with price_quote or discount_request")
        orders = self.state.setdefault("orders", [])
        if orders:
            raise ValueError(f"an order was already placed ({orders[0]['order_id']})")
        order = {"order_id": f"ORD-{1000 + len(orders) + 1}", "product_id": quote["product_id"],
                 "price": quote["price"], "quote_id": quote_id}
        orders.append(order)
        return order

    @tool(mutates=True)
    def crm_note(self, note: str) -> str:
        """Add a note to the customer's CRM record.

        Args:
            note: The note's text.
        """
        if not note.strip():
            raise ValueError("a note cannot be empty")
        crm = self.state.setdefault("crm", [])
        if len(crm) >= 100:
            raise ValueError("the CRM record holds at most 100 notes")
        crm.append(note[:1000])
        return f"note {len(crm)} saved"
