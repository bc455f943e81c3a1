"""`python -m audit` is the same command as `p06audit`."""

from audit.cli import main

raise SystemExit(main())
