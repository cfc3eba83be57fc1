"""`python -m cli`: the `excomm` command, for a checkout without its entry point."""

from cli import main

main()
