"""Names by reachability on random graphs, against a brute-force search of who reaches whom."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from assetbuild.builder.reachability import reach_digests, reachable

NAMES = [f"m{i}.js" for i in range(8)]
GRAPHS = st.dictionaries(st.sampled_from(NAMES), st.lists(st.sampled_from(NAMES), max_size=4), max_size=8)


def brute_force(edges: dict[str, list[str]], start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in edges.get(todo.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def own_hashes(salt: str = "") -> dict[str, str]:
    return {name: hashlib.sha256((name + salt).encode()).hexdigest() for name in NAMES}


@settings(max_examples=300, deadline=None)
@given(GRAPHS)
def test_reachable_sets_match_a_brute_force_search(edges: dict[str, list[str]]) -> None:
    found = reachable(edges, NAMES)
    for name in NAMES:
        assert found[name] == brute_force(edges, name)


@settings(max_examples=300, deadline=None)
@given(GRAPHS, st.sampled_from(NAMES))
def test_a_change_renames_exactly_what_reaches_it(edges: dict[str, list[str]], changed: str) -> None:
    own = own_hashes()
    before = reach_digests(own, edges)
    after = reach_digests({**own, changed: own_hashes("edited")[changed]}, edges)
    for name in NAMES:
        assert (before[name] != after[name]) == (changed in brute_force(edges, name)), name
    assert len(set(before.values())) == len(NAMES), "every file keeps a name of its own, cycles included"
    assert reach_digests(dict(reversed(own.items())), dict(reversed(edges.items()))) == before


def test_a_file_that_reaches_nothing_keeps_its_own_hash() -> None:
    own = own_hashes()
    assert reach_digests(own, {"m0.js": ["m0.js"]})["m1.js"] == own["m1.js"]
    assert reach_digests(own, {"m0.js": ["m0.js"]})["m0.js"] == own["m0.js"]  # a self-import alone adds nothing
