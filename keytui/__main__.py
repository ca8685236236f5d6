"""`python -m keytui`: the same as the `keytui` command."""

import sys

from keytui.cli.main import main

sys.exit(main())
