"""`python -m bot ...`: the command line of the project (see `python -m bot --help`)."""
from bot.cli import main

raise SystemExit(main())
