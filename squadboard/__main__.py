import sys

from squadboard.cli import main

sys.exit(main())
