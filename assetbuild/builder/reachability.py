"""A file's digest from its own content and the content of everything it reaches, as Rollup names chunks.

Each file is first hashed with its references written as placeholders (the target's
logical name, not its digest), so no hash waits for another. A file that reaches others
then gets ``sha256(own hash + every reached file's name and own hash, sorted)``. Files
in one cycle reach the same set but differ in their own hash, so each keeps its own
name; a change anywhere renames every file that reaches it; one pass, no iteration.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

_SALT = b"assetbuild-reach-1\0"


def reach_digests(own: Mapping[str, str], edges: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Full hex digests for every name of ``own``: its own hash where it reaches nothing."""
    reached = reachable(edges, own)
    out = {}
    for name, own_hash in own.items():
        others = sorted(reached[name] - {name})
        if not others:
            out[name] = own_hash
            continue
        h = hashlib.sha256(_SALT + own_hash.encode())
        for other in others:
            h.update(b"\0" + other.encode() + b"\0" + own[other].encode())
        out[name] = h.hexdigest()
    return out


def reachable(edges: Mapping[str, Iterable[str]], names: Iterable[str]) -> dict[str, frozenset[str]]:
    """Every name each name reaches (itself included), through strongly connected components:
    Tarjan's algorithm, iterative so a long import chain cannot exhaust Python's stack.
    Components come out sinks first, so each one's set is its members plus its successors' sets."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    component_of: dict[str, frozenset[str]] = {}
    counter = 0
    for root in sorted(names):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(set(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, todo = work[-1]
            if todo:
                nxt = todo.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(set(edges.get(nxt, ())))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] != index[node]:
                continue
            members = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                members.append(member)
                if member == node:
                    break
            total = set(members)
            for member in members:
                for nxt in edges.get(member, ()):
                    if nxt not in total:
                        total |= component_of[nxt]
            frozen = frozenset(total)
            for member in members:
                component_of[member] = frozen
    return component_of
