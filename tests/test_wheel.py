"""The distribution: a wheel built from the checkout, installed into a fresh venv, gives a working
`ai45kg` in any directory (the ontology, shapes, data and named queries inside the package, the
build in the user's data directory), and claims no generic top-level import name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ai45kg.kg import paths

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 600) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A wheel of the checkout installed (with its dependencies) into a new venv: (venv, the
    venv's site-packages)."""
    root = tmp_path_factory.mktemp("wheel")
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir",
        root / "wheels", paths.ROOT, cwd=root)
    (wheel,) = (root / "wheels").glob("ai45kg-*.whl")
    venv = root / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=root)
    run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel, cwd=root)
    site = run(venv / "bin" / "python", "-c",
               "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=root)
    return venv, Path(site.stdout.strip())


def test_the_wheel_claims_only_its_own_import_name(installed: tuple[Path, Path]) -> None:
    _, site = installed
    assert (site / "ai45kg" / "kg" / "__init__.py").is_file()
    assert (site / "ai45kg" / "service" / "__init__.py").is_file()
    assert not (site / "kg").exists() and not (site / "service").exists()
    # the sources of the graph and the named queries ship inside the package
    for part in ("ontology/ai45.ttl", "ontology/shapes.ttl", "ontology/data/framework.ttl",
                 "ontology/data/paper.ttl", "ontology/data/bibliography.ttl",
                 "queries/levels.rq", "queries/examples/01-paper-title.rq",
                 "service/templates/base.html", "service/static/app.css"):
        assert (site / "ai45kg" / part).is_file(), part


def test_build_and_query_from_an_empty_directory(installed: tuple[Path, Path],
                                                 tmp_path: Path) -> None:
    venv, _ = installed
    home = tmp_path / "home"
    work = tmp_path / "empty"
    home.mkdir()
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AI45_")}
    env.update({"HOME": str(home), "XDG_DATA_HOME": str(home / ".local" / "share"),
                "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"})
    run("ai45kg", "build", cwd=work, env=env)
    data = home / ".local" / "share" / "ai45kg"
    assert (data / "dist" / "manifest.json").is_file()  # the build went to the user's data
    assert list(work.iterdir()) == []  # and nothing to the working directory
    done = run("ai45kg", "query", "levels", "--format", "json", cwd=work, env=env)
    rows = json.loads(done.stdout)["results"]["bindings"]
    assert len(rows) == 15  # five levels, each with its reliance on the three layers
    assert [r["levelLabel"]["value"] for r in rows[::3]] == [
        "Perception Trustworthiness", "Reasoning Trustworthiness",
        "Decision-making Trustworthiness", "Autonomy Trustworthiness",
        "Collaboration Trustworthiness"]
    # a query of one's own, with the project's prefixes
    done = run("ai45kg", "query",
               "SELECT (COUNT(?t) AS ?n) WHERE { ?t ai45:inLayer layer:intervenable }",
               "--format", "csv", cwd=work, env=env)
    assert done.stdout.split() == ["n", "6"]


def test_import_paper_never_rewrites_the_installed_package(installed: tuple[Path, Path],
                                                          tmp_path: Path) -> None:
    venv, site = installed
    text = tmp_path / "paper.txt"
    text.write_text("References\n", encoding="utf-8")
    shipped = site / "ai45kg" / "ontology" / "data" / "bibliography.ttl"
    before = shipped.read_bytes()
    done = subprocess.run([str(venv / "bin" / "ai45kg"), "import-paper", str(text)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "outside a source checkout" in done.stderr and "--out FILE" in done.stderr
    assert shipped.read_bytes() == before
