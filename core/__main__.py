"""`python -m core`: the headless command line (train, render, export, bench --no-gui) on a machine without Qt."""

from core.commands.main import main

if __name__ == "__main__":
    raise SystemExit(main())
