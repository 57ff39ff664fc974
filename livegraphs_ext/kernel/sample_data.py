"""Seeded sample datasets for demos and tests: the same data on every run.

``livegraphs-sample-data`` writes them as CSV files and, unless told not to,
loads them into the store the server uses.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
from pathlib import Path

import numpy as np

REGIONS = ["North", "South", "East", "West", "Central"]
CATEGORIES = {
    "Furniture": ["Chair", "Desk", "Bookcase", "Table"],
    "Office Supplies": ["Paper", "Binder", "Pens", "Stapler", "Labels"],
    "Technology": ["Phone", "Laptop", "Monitor", "Printer"],
}
BASE_PRICE = {
    "Chair": 120.0, "Desk": 340.0, "Bookcase": 210.0, "Table": 280.0, "Paper": 12.0, "Binder": 8.5,
    "Pens": 4.2, "Stapler": 15.0, "Labels": 6.0, "Phone": 420.0, "Laptop": 1150.0, "Monitor": 260.0,
    "Printer": 310.0,
}  # fmt: skip
COUNTRIES = ["US", "GB", "DE", "FR", "IN", "BR", "JP", "CA", "AU", "ES", "MX", "NL"]
COUNTRY_WEIGHTS = [0.28, 0.1, 0.09, 0.07, 0.12, 0.07, 0.06, 0.06, 0.04, 0.04, 0.04, 0.03]
TOPICS = ["Billing", "Shipping", "Returns", "Technical", "Account", "Product question"]
CHANNELS = ["web", "mobile", "email"]


def sales(rows: int = 20_000, seed: int = 7) -> list[dict[str, object]]:
    """Orders over two years by region and category, with seasonality and growth."""
    rng = np.random.default_rng(seed)
    start = dt.date(2024, 1, 1)
    days = rng.integers(0, 731, rows)
    days.sort()
    cats = list(CATEGORIES)
    out = []
    for i, d in enumerate(days):
        day = start + dt.timedelta(days=int(d))
        season = 1.0 + 0.25 * np.sin(2 * np.pi * (day.timetuple().tm_yday - 80) / 365)
        growth = 1.0 + 0.15 * d / 730
        category = cats[int(rng.choice(3, p=[0.25, 0.45, 0.30]))]
        product = CATEGORIES[category][int(rng.integers(len(CATEGORIES[category])))]
        units = int(max(1, rng.poisson(3 * season)))
        price = round(BASE_PRICE[product] * float(rng.uniform(0.85, 1.15)), 2)
        discount = float(rng.choice([0.0, 0.0, 0.0, 0.1, 0.2]))
        revenue = round(float(units * price * (1 - discount) * growth), 2)
        out.append(
            {
                "order_id": f"SO-{100000 + i}",
                "order_date": day.isoformat(),
                "region": REGIONS[int(rng.choice(5, p=[0.22, 0.18, 0.24, 0.26, 0.10]))],
                "category": category,
                "product": product,
                "units": units,
                "unit_price": price,
                "discount": discount,
                "revenue": revenue,
                "returned": bool(rng.random() < 0.04),
            }
        )
    return out


def chat_sessions(rows: int = 15_000, seed: int = 11) -> list[dict[str, object]]:
    """Customer chat sessions: when, where from, about what, how it went."""
    rng = np.random.default_rng(seed)
    start = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    seconds = np.sort(rng.integers(0, 365 * 86400, rows))
    out = []
    for i, s in enumerate(seconds):
        started = start + dt.timedelta(seconds=int(s))
        topic = TOPICS[int(rng.integers(len(TOPICS)))]
        messages = int(rng.integers(2, 40))
        wait = float(round(rng.gamma(2.0, 45.0), 1))
        sentiment = float(np.clip(rng.normal(0.25 - wait / 600 - (topic == "Billing") * 0.2, 0.35), -1, 1))
        out.append(
            {
                "session_id": f"C{i + 1:06d}",
                "started_at": started.isoformat(timespec="seconds"),
                "country": COUNTRIES[int(rng.choice(len(COUNTRIES), p=COUNTRY_WEIGHTS))],
                "channel": CHANNELS[int(rng.choice(3, p=[0.55, 0.35, 0.10]))],
                "category": topic,
                "messages": messages,
                "wait_seconds": wait,
                "duration_minutes": round(messages * float(rng.uniform(0.6, 2.2)), 1),
                "sentiment": round(sentiment, 3),
                "sentiment_label": "positive"
                if sentiment > 0.2
                else "negative"
                if sentiment < -0.2
                else "neutral",
                "resolved": bool(rng.random() < 0.8 + sentiment * 0.15),
                # an agent rating is given in about two sessions of three
                "rating": int(np.clip(round(3 + sentiment * 2 + rng.normal(0, 0.6)), 1, 5))
                if rng.random() < 0.66
                else None,
            }
        )
    return out


SAMPLES = {"sales": sales, "chat_sessions": chat_sessions}


def write_csv(path: Path, rows: list[dict[str, object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        for r in rows:
            writer.writerow(
                {k: ("" if v is None else str(v).lower() if isinstance(v, bool) else v) for k, v in r.items()}
            )
    return path


def write_samples(folder: Path) -> list[Path]:
    return [write_csv(folder / f"{name}.csv", make()) for name, make in SAMPLES.items()]


def load_samples(folder: Path, owner: str) -> list[str]:
    """Put each sample into the store as ``owner``'s, unless a dataset of that name is there."""
    from .notebook import store

    s = store()
    loaded = []
    existing = {d["name"] for d in s.list_datasets(owner=owner)}
    for path in write_samples(folder):
        if path.stem in existing:
            continue
        tmp = s.staging_path()
        tmp.write_bytes(path.read_bytes())
        s.create_from_file(tmp, name=path.stem, owner=owner, content_type="text/csv", filename=path.name)
        loaded.append(path.stem)
    return loaded


def main(argv: list[str] | None = None) -> None:
    import getpass

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("sample-data"), help="folder for the CSV files")
    parser.add_argument("--owner", default=getpass.getuser(), help="owner of the loaded datasets")
    parser.add_argument("--no-load", action="store_true", help="only write the CSV files")
    args = parser.parse_args(argv)
    if args.no_load:
        for p in write_samples(args.out):
            print(p)
        return
    loaded = load_samples(args.out, args.owner)
    print("loaded: " + (", ".join(loaded) if loaded else "nothing new"))


if __name__ == "__main__":
    main()
