"""`python -m tabadol`: the same command line as the `tabadol` script."""

from tabadol.cli import main

if __name__ == "__main__":
    main()
