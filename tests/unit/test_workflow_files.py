"""Form checks of the workflow files (what conda cannot check here)."""

import re
import subprocess
import sys

import yaml

DIRECTIVES = ("output:", "log:", "benchmark:", "threads:", "resources:", "conda:")


def _rules(repo):
    for path in sorted((repo / "workflow/rules").glob("*.smk")):
        # rules at the top level, or indented under an if (one set or another by config)
        pattern = r"^( *)(?:rule|checkpoint) (\w+):\n((?:\1    .*\n|\n)+)"
        for match in re.finditer(pattern, path.read_text(), re.M):
            yield path, match.group(2), match.group(3)


def test_every_rule_declares_log_benchmark_threads_resources_and_env(repo):
    rules = list(_rules(repo))
    assert {name for _, name, _ in rules} >= {
        "simulate",
        "simulate_ground",
        "simulate_truth",
        "interferogram",
    }
    for path, name, body in rules:
        for directive in DIRECTIVES:
            assert directive in body, f"{path.name}: rule {name} lacks {directive}"
        env = re.search(r'conda:\n\s+"([^"]+)"', body).group(1)
        env_file = (path.parent / env).resolve()
        assert env_file.is_file(), env_file
        spec = yaml.safe_load(env_file.read_text())
        assert spec["channels"] == ["conda-forge", "nodefaults"]
        assert any(str(dep).startswith("python=") for dep in spec["dependencies"])
        unpinned = [d for d in spec["dependencies"] if isinstance(d, str) and d != "pip" and "=" not in d]
        assert not unpinned, f"{env_file.name}: unpinned {unpinned}"
        assert re.search(r'script:\n\s+"\.\./scripts/\w+\.py"', body), (
            f"rule {name} should call a thin script"
        )


def test_scripts_are_thin_adapters(repo):
    for script in (repo / "workflow/scripts").glob("*.py"):
        text = script.read_text()
        assert "script_logging(snakemake.log[0])" in text, script.name
        assert len(text.splitlines()) < 25, f"{script.name}: logic belongs in the package"


def test_the_rule_files_hold_every_rule_snakemake_knows(repo, tmp_path):
    """The form checks above see every rule of the workflow (real-data rules included)."""
    from tests.files.fixtures import licsar_folder

    found = {name for _, name, _ in _rules(repo)}
    listed = set()
    folder = licsar_folder(tmp_path / "licsar")
    configs = (
        [],
        ["--config", "source=asf", "interferogram={'engine': 'snap'}"],
        ["--config", "source=asf", "interferogram={'engine': 'snap'}", "download={'granularity': 'burst'}"],
        ["--config", "source=asf", "interferogram={'engine': 'hyp3'}"],
        ["--config", "source=files", f"files={{'folder': '{folder}'}}"],
    )
    for config in configs:
        result = subprocess.run(
            [sys.executable, "-m", "snakemake", "--list-rules", *config],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        listed |= set(result.stdout.split())
    assert listed - {"all"} == found
