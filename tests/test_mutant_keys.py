"""tools/mutate.py keys a surviving mutant's explanation by what it changes, not by its ordinal."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tools.mutate import EXPLAINED, GROUPS, MutantKey, explained, function_of, key_of

DIFF = """--- intake/outgoing/sender.py
+++ intake/outgoing/sender.py
@@ -1,4 +1,4 @@
     if done:
-        result.retried += 1
+        result.retried = 1
     return False"""


def test_a_key_names_the_function_and_the_line_as_written_and_as_mutated() -> None:
    assert function_of("intake.outgoing.sender.x__send_one__mutmut_68") == "_send_one"
    assert function_of("m.xǁFolderTransportǁsend__mutmut_3") == "FolderTransport.send"
    key = key_of("intake.outgoing.sender.x__send_one__mutmut_68", DIFF)
    assert key == MutantKey("_send_one", "result.retried += 1", "result.retried = 1")
    # Another ordinal for the same change (the function was edited above it): the same key.
    assert key_of("intake.outgoing.sender.x__send_one__mutmut_71", DIFF) == key


def test_every_explanation_file_reads_as_survivor_entries() -> None:
    for path in EXPLAINED.glob("*.toml"):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        assert set(data) <= {"survivor"}, path.name
        for entry in data.get("survivor", []):
            assert set(entry) == {"function", "line", "mutant", "why"}, entry
            assert entry["why"].strip() and (entry["line"] or entry["mutant"]), entry
    assert {Path(p).stem for p in map(str, EXPLAINED.glob("*.toml"))} <= {g.name for g in GROUPS}
    assert len(explained("register")) > 30
