"""``python -m xltools`` — same as the ``xltools`` command."""

from .cli import main

if __name__ == "__main__":
    main()
