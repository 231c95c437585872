"""The sales env's fixed product catalogue and compliance vocabulary (versioned with the env).

Six product lines, four products each. A product has three features out of its line's six; a feature has
a tag (used in data), the phrase a customer uses for it and the keyword an agent must mention to show
the product covers it. Tasks name a line; the catalogue itself is env data, so task files stay small.
"""

from __future__ import annotations

from typing import Any

LINES: dict[str, dict[str, Any]] = {
    "laptops": {
        "noun": "laptop",
        "features": {
            "battery": ("a battery that lasts all day", "battery"),
            "light": ("something light to carry around", "lightweight"),
            "gaming": ("enough power for gaming", "gaming"),
            "screen": ("a big screen", "17-inch"),
            "ports": ("plenty of ports for my devices", "ports"),
            "quiet": ("a quiet machine", "fanless"),
        },
        "products": [
            {"id": "LAP-AERO14", "name": "Aero 14", "price": 999.0, "features": ["battery", "light", "quiet"],
             "warranty_years": 2, "delivery_days": 3},
            {"id": "LAP-TITAN17", "name": "Titan 17", "price": 1899.0, "features": ["gaming", "screen", "ports"],
             "warranty_years": 1, "delivery_days": 5},
            {"id": "LAP-NIMBUS13", "name": "Nimbus 13", "price": 749.0, "features": ["light", "battery", "ports"],
             "warranty_years": 1, "delivery_days": 2},
            {"id": "LAP-VECTOR15", "name": "Vector 15", "price": 1299.0, "features": ["gaming", "battery", "quiet"],
             "warranty_years": 3, "delivery_days": 4},
        ],
        "disclosures": [{"id": "restocking_fee", "keyword": "restocking fee",
                         "text": "opened laptops returned after 14 days carry a 10% restocking fee"}],
    },
    "phones": {
        "noun": "phone",
        "features": {
            "camera": ("a really good camera", "camera"),
            "battery": ("battery that lasts two days", "battery"),
            "compact": ("a small phone that fits one hand", "compact"),
            "storage": ("lots of storage for photos", "512 GB"),
            "waterproof": ("something waterproof", "waterproof"),
            "5g": ("fast mobile data", "5G"),
        },
        "products": [
            {"id": "PH-LUMEN", "name": "Lumen X", "price": 899.0, "features": ["camera", "storage", "5g"],
             "warranty_years": 2, "delivery_days": 2},
            {"id": "PH-PEBBLE", "name": "Pebble Mini", "price": 499.0, "features": ["compact", "waterproof", "battery"],
             "warranty_years": 1, "delivery_days": 1},
            {"id": "PH-ORBIT", "name": "Orbit Pro", "price": 1099.0, "features": ["camera", "waterproof", "5g"],
             "warranty_years": 2, "delivery_days": 3},
            {"id": "PH-STRIDE", "name": "Stride 5", "price": 399.0, "features": ["battery", "5g", "storage"],
             "warranty_years": 1, "delivery_days": 2},
        ],
        "disclosures": [{"id": "activation_fee", "keyword": "activation fee",
                         "text": "a one-time activation fee is charged by the network"}],
    },
    "headphones": {
        "noun": "pair of headphones",
        "features": {
            "anc": ("noise cancelling for the train", "noise cancelling"),
            "wireless": ("no cables", "wireless"),
            "sport": ("something that stays put when I run", "sweat-resistant"),
            "studio": ("accurate sound for mixing", "studio"),
            "mic": ("a good microphone for calls", "microphone"),
            "foldable": ("something that folds into a bag", "foldable"),
        },
        "products": [
            {"id": "HP-HUSH", "name": "Hush 700", "price": 349.0, "features": ["anc", "wireless", "mic"],
             "warranty_years": 2, "delivery_days": 2},
            {"id": "HP-SPRINT", "name": "Sprint Buds", "price": 129.0, "features": ["sport", "wireless", "mic"],
             "warranty_years": 1, "delivery_days": 1},
            {"id": "HP-MONITOR", "name": "Monitor One", "price": 249.0, "features": ["studio", "foldable", "mic"],
             "warranty_years": 3, "delivery_days": 4},
            {"id": "HP-TRAVEL", "name": "Voyager Fold", "price": 199.0, "features": ["anc", "foldable", "wireless"],
             "warranty_years": 1, "delivery_days": 3},
        ],
        "disclosures": [{"id": "hygiene_returns", "keyword": "hygiene",
                         "text": "for hygiene reasons opened earbuds can only be returned if faulty"}],
    },
    "coffee": {
        "noun": "coffee machine",
        "features": {
            "espresso": ("proper espresso", "espresso"),
            "milk": ("a milk frother for lattes", "frother"),
            "grinder": ("a built-in grinder", "grinder"),
            "pods": ("the convenience of pods", "pods"),
            "compact": ("something small for my kitchen", "compact"),
            "programmable": ("coffee ready when I wake up", "programmable"),
        },
        "products": [
            {"id": "CF-BARISTA", "name": "Barista Duo", "price": 649.0, "features": ["espresso", "milk", "grinder"],
             "warranty_years": 2, "delivery_days": 4},
            {"id": "CF-CAPSULE", "name": "Capsa Go", "price": 149.0, "features": ["pods", "compact", "milk"],
             "warranty_years": 1, "delivery_days": 2},
            {"id": "CF-MORNING", "name": "Sunrise Brew", "price": 199.0, "features": ["programmable", "grinder", "compact"],
             "warranty_years": 2, "delivery_days": 3},
            {"id": "CF-PRO", "name": "Crema Pro", "price": 1199.0, "features": ["espresso", "grinder", "programmable"],
             "warranty_years": 3, "delivery_days": 6},
        ],
        "disclosures": [{"id": "descaling", "keyword": "descaling",
                         "text": "the warranty requires regular descaling"}],
    },
    "fitness": {
        "noun": "fitness tracker",
        "features": {
            "gps": ("built-in GPS for my runs", "GPS"),
            "heart": ("accurate heart-rate tracking", "heart-rate"),
            "sleep": ("sleep tracking", "sleep"),
            "swim": ("something I can swim with", "swim-proof"),
            "battery": ("a battery that lasts weeks", "battery"),
            "payments": ("contactless payments", "contactless"),
        },
        "products": [
            {"id": "FT-PACER", "name": "Pacer GT", "price": 299.0, "features": ["gps", "heart", "swim"],
             "warranty_years": 2, "delivery_days": 2},
            {"id": "FT-DREAM", "name": "Dreamband", "price": 99.0, "features": ["sleep", "battery", "heart"],
             "warranty_years": 1, "delivery_days": 1},
            {"id": "FT-WAVE", "name": "Wave Sport", "price": 199.0, "features": ["swim", "battery", "payments"],
             "warranty_years": 1, "delivery_days": 3},
            {"id": "FT-SUMMIT", "name": "Summit Ultra", "price": 449.0, "features": ["gps", "battery", "payments"],
             "warranty_years": 2, "delivery_days": 4},
        ],
        "disclosures": [{"id": "subscription", "keyword": "subscription",
                         "text": "advanced insights need an optional monthly subscription"}],
    },
    "broadband": {
        "noun": "home internet plan",
        "features": {
            "fast": ("really fast downloads", "1 Gbps"),
            "nocap": ("no data cap", "unlimited"),
            "tv": ("TV channels included", "TV"),
            "router": ("a good router included", "mesh router"),
            "flexible": ("no long contract", "no contract"),
            "support": ("support I can actually reach", "24/7 support"),
        },
        "products": [
            {"id": "BB-FIBRE1G", "name": "Fibre Max", "price": 720.0, "features": ["fast", "nocap", "router"],
             "warranty_years": 1, "delivery_days": 7},
            {"id": "BB-FLEX", "name": "Flex Home", "price": 420.0, "features": ["flexible", "nocap", "support"],
             "warranty_years": 1, "delivery_days": 5},
            {"id": "BB-BUNDLE", "name": "Family Bundle", "price": 960.0, "features": ["tv", "fast", "support"],
             "warranty_years": 1, "delivery_days": 10},
            {"id": "BB-BASIC", "name": "Basic Connect", "price": 300.0, "features": ["flexible", "router", "tv"],
             "warranty_years": 1, "delivery_days": 6},
        ],
        "disclosures": [{"id": "auto_renewal", "keyword": "auto-renew",
                         "text": "the yearly plan will auto-renew unless cancelled"},
                        {"id": "early_termination", "keyword": "early termination fee",
                         "text": "leaving in the first year carries an early termination fee"}],
    },
}

#: phrases a compliance policy forbids (pressure selling); matched case-insensitively
PRESSURE_PHRASES = ("act now", "limited time", "only today", "last chance", "hurry", "buy now",
                    "before it's too late", "don't miss out", "offer ends")

#: what the customer brings up for each objection kind, and the keywords that address it
OBJECTIONS = ("price", "trust", "timing", "fit")
TRUST_KEYWORDS = ("warranty", "guarantee", "return policy", "reviews")
TIMING_KEYWORDS = ("deliver", "no obligation", "return within", "trial")


def product(line: str, product_id: str) -> dict[str, Any] | None:
    return next((p for p in LINES[line]["products"] if p["id"] == product_id), None)


def all_products() -> list[tuple[str, dict[str, Any]]]:
    return [(line, p) for line, spec in LINES.items() for p in spec["products"]]
