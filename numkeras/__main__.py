"""`python -m numkeras` is the `numkeras` command."""

import sys

from numkeras.cli import main

sys.exit(main())
