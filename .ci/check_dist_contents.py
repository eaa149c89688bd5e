"""Fail when the wheel or the sdist lacks a package file that git tracks (the rollout/ bug).

Usage: check_dist_contents.py REPO WHEEL SDIST. The repository's agents/, baselines/ and
prompts/ folders install as proact_env.agents, proact_env.baselines and proact_env.prompts.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

#: repository folder -> where its files sit in the wheel
INSTALLED_AT = {"proact_env": "proact_env", "agents": "proact_env/agents",
                "baselines": "proact_env/baselines", "prompts": "proact_env/prompts"}


def tracked_package_files(repo: Path) -> dict[str, str]:
    """git-tracked package file -> its path inside the wheel."""
    names = subprocess.run(["git", "-C", str(repo), "ls-files", *INSTALLED_AT], capture_output=True, text=True,
                           check=True).stdout.split()
    wanted = {}
    for name in names:
        top, _, rest = name.partition("/")
        if name.endswith((".py", ".txt")):
            wanted[name] = f"{INSTALLED_AT[top]}/{rest}"
    return wanted


def missing_from(repo: Path, wheel: Path, sdist: Path) -> list[str]:
    wanted = tracked_package_files(repo)
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    with tarfile.open(sdist) as tar:
        in_sdist = {member.name.partition("/")[2] for member in tar.getmembers()}
    problems = [f"wheel lacks {target} (from {source})" for source, target in wanted.items() if target not in in_wheel]
    problems += [f"sdist lacks {source}" for source in wanted if source not in in_sdist]
    return problems


if __name__ == "__main__":
    repo, wheel, sdist = (Path(arg) for arg in sys.argv[1:4])
    problems = missing_from(repo, wheel, sdist)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{wheel.name}, {sdist.name}: {'incomplete' if problems else 'every tracked package file is in both'}")
    sys.exit(1 if problems else 0)
