import sys

from srcgrad.api.cli import main

sys.exit(main())
