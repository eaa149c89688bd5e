"""`python -m proact_env.cli` is the `proact` command."""

import sys

from proact_env.cli import main

sys.exit(main())
