"""No module of ``authserver.protocol`` imports itself back, directly or through others.

A cycle (the token server and its grants once imported each other, hidden by an import
inside a function) makes import order matter and keeps the modules from being read or
tested alone. grimp sees imports inside functions too, so such a hiding place is found.
"""

from __future__ import annotations

import grimp

PACKAGE = "authserver.protocol"


def _cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """Each import ``a -> b`` inside ``modules`` for which ``b`` leads back to ``a``."""
    found = []
    for module in sorted(modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module) & modules):
            chain = graph.find_shortest_chain(importer=imported, imported=module)
            if chain:
                found.append([module, *chain])
    return found


def test_protocol_has_no_import_cycles() -> None:
    graph = grimp.build_graph("authserver", cache_dir=None)
    modules = {m for m in graph.modules if m == PACKAGE or m.startswith(PACKAGE + ".")}
    assert len(modules) > 10, "grimp did not find the protocol package"
    cycles = _cycles(graph, modules)
    assert not cycles, "import cycles in authserver.protocol:\n" + "\n".join(
        " -> ".join(cycle) for cycle in cycles)
