"""The import graph, read from the source (every ``import`` statement, also those inside
functions): no cycles in ``mmmar/`` and ``tools/``, imports between the packages of ``mmmar``
only downwards in the layer order of ``docs/design.md``, and the projects use only public
names of the core."""
import ast
import os
import os.path as osp

import pytest

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))

#: docs/design.md, "Package layout": each package may import the packages of lower layers only
LAYERS = (('structures', 'geometry'), ('engine', ), ('codecs', ), ('models', ), ('datasets', ),
          ('evaluation', ), ('visualization', ), ('utils', ), ('apis', ), ('testing', ))
LAYER = {pkg: i for i, pkgs in enumerate(LAYERS) for pkg in pkgs}


def _py_files(top):
    for dirpath, _, files in os.walk(osp.join(REPO, top)):
        for f in sorted(files):
            if f.endswith('.py'):
                yield osp.join(dirpath, f)


def _module_name(path):
    name = osp.relpath(path, REPO)[:-3].replace(os.sep, '.')
    return name[:-len('.__init__')] if name.endswith('.__init__') else name


def _imported_names(path, module):
    """Absolute dotted names ``path`` imports (``from a import b`` gives ``a.b`` and ``a``);
    a bare name of a script directory (``from timing import fmt``) stays bare."""
    package = module if path.endswith('__init__.py') else module.rpartition('.')[0]
    for node in ast.walk(ast.parse(open(path).read(), path)):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                parts = package.split('.')
                parts = parts[:len(parts) - node.level + 1]
                base = '.'.join(parts + ([node.module] if node.module else []))
            yield base
            yield from (f'{base}.{a.name}' for a in node.names)


def import_graph(tops):
    """``{module: set of modules of the graph it imports}`` for the ``.py`` files under
    ``tops``; a script directory's bare imports resolve to its sibling scripts."""
    files = {_module_name(p): p for top in tops for p in _py_files(top)}
    graph = {}
    for module, path in files.items():
        siblings = module.rpartition('.')[0]
        edges = set()
        for name in _imported_names(path, module):
            for candidate in (name, f'{siblings}.{name}'):
                if candidate in files and candidate != module:
                    edges.add(candidate)
        graph[module] = edges
    return graph


def cycles(graph):
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_cycle_finder_finds_a_cycle():
    graph = {'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}, 'e': set()}
    assert cycles(graph) == [['a', 'b', 'c']]
    assert cycles({'a': {'b'}, 'b': set()}) == []


@pytest.mark.parametrize('tops', [('mmmar', ), ('tools', )])
def test_no_import_cycles(tops):
    graph = import_graph(tops)
    assert len(graph) > 10
    assert cycles(graph) == []


def test_packages_import_only_lower_layers():
    upward = []
    for module, edges in import_graph(('mmmar', )).items():
        parts = module.split('.')
        if len(parts) < 2 or parts[1] not in LAYER:
            continue
        for target in edges:
            tparts = target.split('.')
            if len(tparts) < 2 or tparts[1] == parts[1] or tparts[1] not in LAYER:
                continue
            if LAYER[tparts[1]] >= LAYER[parts[1]]:
                upward.append(f'{module} -> {target}')
    assert upward == []
    # every package of mmmar has its layer
    packages = {n for n in os.listdir(osp.join(REPO, 'mmmar'))
                if osp.isfile(osp.join(REPO, 'mmmar', n, '__init__.py'))}
    assert packages == set(LAYER)


def test_projects_use_only_public_names_of_the_core():
    private = []
    for path in _py_files('projects'):
        for node in ast.walk(ast.parse(open(path).read(), path)):
            if isinstance(node, ast.ImportFrom) and (node.module or '').startswith('mmmar'):
                names = [a.name for a in node.names if a.name.startswith('_')]
                if names or any(p.startswith('_') for p in node.module.split('.')):
                    private.append(f'{osp.relpath(path, REPO)}: {node.module} {names}')
            elif isinstance(node, ast.Import):
                private += [f'{osp.relpath(path, REPO)}: {a.name}' for a in node.names
                            if a.name.startswith('mmmar') and
                            any(p.startswith('_') for p in a.name.split('.'))]
    assert private == []
