"""`python -m store`: the command line."""

from store._cli import main

main()
