"""`python -m proact_env` is the `proact` command, for environments whose scripts folder is not on PATH."""

from proact_env.cli import main

raise SystemExit(main())
