"""Regenerate the synthetic corpora in this folder: json_rows.jsonl, numeric_ids.txt, code.py.txt.

    .venv/bin/python benchmarks/texts/generate.py

Seeded, so the output is the same on every run (the committed files are this output).
The other corpora are written by hand: prose in English, German, French, Chinese,
Japanese, Russian, Arabic and Korean, other_scripts.txt (Greek, Hebrew, Hindi, Thai,
Vietnamese, Turkish, Polish, Spanish, Portuguese, emoji chat) and mixed.txt (markdown
with code, tables, logs, numbers and some non-Latin text).
code.py.txt is a concatenation of Python standard library modules (PSF License, see the
header it is written with); it is taken from the running interpreter's own stdlib.
"""

from __future__ import annotations

import json
import random
import sysconfig
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).parent
SEED = 11

FIRST = """Anna Ben Chloé David Elena Farid Grace Hiroshi Ines Jonas Kateryna Liam Mei Noah Olga
Pedro Quinn Rosa Samir Tomás Uma Viktor Wen Ximena Yusuf Zoe Amara Björn Carmen Dmitri""".split()
LAST = """Smith Müller García Rossi Dubois Kowalski Nguyen Okafor Tanaka Kim Johansson Silva
O'Brien Novak Haddad Fischer Moreau Lindqvist Petrov Costa Schneider Yamamoto Patel""".split()
DOMAINS = ["example.com", "mail.example.org", "acme-corp.io", "uni-hamburg.example", "shop.test"]
CITIES = [
    ("Berlin", "DE", "10115"), ("Lyon", "FR", "69002"), ("Austin", "US", "78701"),
    ("Osaka", "JP", "530-0001"), ("Porto", "PT", "4050-123"), ("Toronto", "CA", "M5V 2T6"),
    ("Nairobi", "KE", "00100"), ("Kraków", "PL", "31-042"), ("Melbourne", "AU", "3000"),
]
PRODUCTS = [
    ("SKU-10442", "USB-C cable, 2 m", 12.99), ("SKU-20871", "Wireless mouse", 24.5),
    ("SKU-30007", "27\" monitor", 289.0), ("SKU-41123", "Mechanical keyboard (ISO-DE)", 119.9),
    ("SKU-55210", "Laptop stand", 39.95), ("SKU-60098", "Noise-cancelling headphones", 199.0),
    ("SKU-71234", "HDMI adapter", 9.49), ("SKU-88812", "Desk lamp, LED", 34.0),
]
STATUSES = ["pending", "paid", "shipped", "delivered", "refunded", "cancelled"]
TAGS = ["priority", "gift", "b2b", "repeat-customer", "fragile", "express", "eu-vat", "promo-spring"]
NOTES = [
    "Leave the parcel with the neighbour at no. 12 if nobody answers.",
    "Customer asked for an invoice with the company's VAT number.",
    "Second attempt: first delivery failed (address incomplete).",
    "Gift wrap, no prices on the packing slip please!",
    "Called support twice about the tracking link; it shows 404.",
    "",
    "Replace damaged item from order #88123, no charge.",
    "Bitte vor 18 Uhr liefern.",
]


def json_rows(rng: random.Random, count: int) -> str:
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    lines = []
    for n in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, country, postcode = rng.choice(CITIES)
        items = []
        for _ in range(rng.randint(1, 4)):
            sku, name, price = rng.choice(PRODUCTS)
            items.append({"sku": sku, "name": name, "qty": rng.randint(1, 5), "unit_price": price})
        created = start + timedelta(seconds=rng.randint(0, 365 * 86400))
        row = {
            "id": 100000 + n * 7 + rng.randint(0, 6),
            "order_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "customer": {
                "name": f"{first} {last}",
                "email": f"{first.lower()}.{last.lower().replace(chr(39), '')}{rng.randint(1, 99)}@{rng.choice(DOMAINS)}",
                "phone": f"+{rng.randint(1, 99)} {rng.randint(100, 999)} {rng.randint(1000000, 9999999)}",
                "address": {
                    "street": f"{rng.randint(1, 240)} {rng.choice(['Main St', 'Rue de la Paix', 'Hauptstraße', 'Oak Avenue', 'Via Roma'])}",
                    "city": city, "postcode": postcode, "country": country,
                },
                "vip": rng.random() < 0.15,
            },
            "items": items,
            "total": round(sum(i["qty"] * i["unit_price"] for i in items), 2),
            "currency": rng.choice(["EUR", "USD", "GBP", "JPY"]),
            "status": rng.choice(STATUSES),
            "created_at": created.isoformat().replace("+00:00", "Z"),
            "shipped_at": None if rng.random() < 0.3 else (created + timedelta(hours=rng.randint(2, 96))).isoformat().replace("+00:00", "Z"),
            "tags": rng.sample(TAGS, rng.randint(0, 3)),
            "score": round(rng.uniform(0, 1), 4),
            "note": rng.choice(NOTES),
        }
        # some rows compact (as an API body), some with json.dumps' default spaces (|tojson);
        # half keep accents as they are, half escape them (ensure_ascii, the json default)
        separators = (",", ":") if rng.random() < 0.35 else None
        lines.append(json.dumps(row, ensure_ascii=rng.random() < 0.5, separators=separators))
    return "\n".join(lines) + "\n"


def numeric_ids(rng: random.Random, count: int) -> str:
    kinds = [
        lambda: str(rng.randint(10**5, 10**12)),                       # order / account numbers
        lambda: f"{rng.randint(1000, 9999)}-{rng.randint(100000, 999999)}",
        lambda: f"+{rng.randint(1, 49)} {rng.randint(10, 999)} {rng.randint(100000, 99999999)}",  # phone
        lambda: f"({rng.randint(200, 999)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
        lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        lambda: f"{rng.randint(1, 9999999)}",
        lambda: f"{rng.randint(10**15, 10**16 - 1)}",                    # card-like
        lambda: f"{rng.uniform(-1000, 100000):.2f}",                    # amounts
        lambda: f"2024{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999999):06d}",
    ]
    weights = [4, 2, 2, 1, 1, 3, 1, 2, 1]
    lines = []
    for _ in range(count):
        per_line = rng.randint(1, 8)
        sep = rng.choice([",", ", ", ";", "\t", " "])
        lines.append(sep.join(rng.choices(kinds, weights)[0]() for _ in range(per_line)))
    return "\n".join(lines) + "\n"


CODE_MODULES = ["textwrap.py", "shlex.py", "graphlib.py", "fnmatch.py"]


def python_code() -> str:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    header = (
        "# Python standard library modules, concatenated as a code corpus:\n"
        f"# {', '.join(CODE_MODULES)}.\n"
        "# Copyright (c) 2001-2023 Python Software Foundation; All Rights Reserved.\n"
        "# Distributed under the PSF License Agreement (https://docs.python.org/3/license.html).\n\n"
    )
    parts = [header]
    for name in CODE_MODULES:
        parts.append(f"# ---- {name} ----\n")
        parts.append((stdlib / name).read_text(encoding="utf-8"))
    return "".join(parts)


def main() -> None:
    rng = random.Random(SEED)
    (HERE / "json_rows.jsonl").write_text(json_rows(rng, 64), encoding="utf-8")
    (HERE / "numeric_ids.txt").write_text(numeric_ids(rng, 560), encoding="utf-8")
    (HERE / "code.py.txt").write_text(python_code(), encoding="utf-8")


if __name__ == "__main__":
    main()
