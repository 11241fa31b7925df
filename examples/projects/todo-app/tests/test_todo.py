from lib import todo


def test_add_counts_items(tmp_path, monkeypatch):
    monkeypatch.setattr(todo, "STORE", tmp_path / "todo.json")
    assert todo.add("a") == 1
    assert todo.add("b") == 2
