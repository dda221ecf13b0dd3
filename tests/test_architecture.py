"""The top-level packages are floors: each imports only the floors below it (docs/architecture.md).

Every import is read with ``ast``, lazy ones inside functions too, so a late import
cannot hide a dependency upwards. Files must not import each other in a circle either.
"""

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Top floor first. A package may import the packages after it, never one before it.
# bench/ is the development-only benchmark app: above everything, shipped nowhere.
ORDER = ["bench", "flexion", "api", "reports", "patients", "programs", "clinic"]


def project_packages() -> list[str]:
    return sorted(
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in {"tests"} and not path.parent.name.startswith(".")
    )


def module_files() -> dict[str, Path]:
    """Map each project module's dotted name to its file."""
    modules = {}
    for package in project_packages():
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def imported_modules(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Return the project modules the file imports, at the top or inside a function."""
    is_package = path.name == "__init__.py"
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module
            for alias in node.names:
                # `from package import name` imports the submodule when there is one.
                submodule = f"{origin}.{alias.name}"
                names.add(submodule if submodule in modules else origin)
    found = set()
    for name in names:
        parts = name.split(".")
        if parts[0] not in modules:
            continue
        while ".".join(parts) not in modules:
            parts.pop()
        found.add(".".join(parts))
    found.discard(module)
    return found


def import_graph() -> dict[str, set[str]]:
    """Map each project module to the project modules it imports."""
    modules = module_files()
    return {module: imported_modules(module, path, modules) for module, path in modules.items()}


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Return the cycles of the graph: its strongly connected components of two or more nodes."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_top_level_package_has_a_floor():
    assert sorted(ORDER) == project_packages()


def test_a_package_imports_only_the_packages_below_it():
    upward = [
        f"{module} imports {target}"
        for module, targets in sorted(import_graph().items())
        for target in sorted(targets)
        if ORDER.index(target.split(".")[0]) < ORDER.index(module.split(".")[0])
    ]
    assert upward == []


def test_no_two_top_level_packages_import_each_other():
    packages = defaultdict(set)
    for module, targets in import_graph().items():
        packages[module.split(".")[0]].update(target.split(".")[0] for target in targets)
    assert strongly_connected(packages) == []


def test_no_files_import_each_other_in_a_circle():
    assert [sorted(cycle) for cycle in strongly_connected(import_graph())] == []


def test_the_docs_and_the_readme_state_the_same_order():
    order = " → ".join(ORDER[1:])
    assert order in (ROOT / "docs" / "architecture.md").read_text()
    assert order in (ROOT / "README.md").read_text()
