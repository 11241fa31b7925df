"""A to-do list kept in a JSON file."""

import json
from pathlib import Path

STORE = Path("todo.json")


def load():
    if not STORE.exists():
        return []
    return json.loads(STORE.read_text())


def add(title):
    items = load()
    items.append({"title": title, "done": False})
    STORE.write_text(json.dumps(items, indent=2))
    return len(items)


def done(index):
    items = load()
    items[index]["done"] = True
    STORE.write_text(json.dumps(items, indent=2))
