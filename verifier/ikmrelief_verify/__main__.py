import sys

from ikmrelief_verify.cli import main

sys.exit(main())
