"""Build shim: metadata lives in setup.cfg; only the package list is computed here.

Every folder under proact_env/ with an ``__init__.py`` is found, so a new sub-package cannot be
left out of the wheel (tests/test_wheel.py compares the wheel with what git tracks); the
repository's top-level agents/, baselines/ and prompts/ are mapped into proact_env by setup.cfg.
"""

from setuptools import find_packages, setup

MAPPED = ["proact_env.agents", "proact_env.baselines", "proact_env.prompts"]

setup(packages=find_packages(include=["proact_env", "proact_env.*"]) + MAPPED)
