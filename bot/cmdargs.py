"""What every `signpost` command shares: the --catalogue option and loading it for a person.

Kept out of bot.cli so that the modules holding commands (staff, openreferral) do not
import the command table that imports them (the cli <-> staff cycle).
"""

from __future__ import annotations

import argparse
import sys

from bot.catalogue import find_root, load
from bot.catalogue_types import Catalogue


def add_catalogue_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--catalogue", metavar="DIR",
                   help="catalogue folder (default: $SIGNPOST_CATALOGUE or the current folder)")


def load_for_command(args: argparse.Namespace) -> Catalogue:
    """Load the catalogue or exit 2 with every problem listed for the reader."""
    root = find_root(getattr(args, "catalogue", None))
    cat, problems = load(root)
    if cat is None:
        errors = [p for p in problems if p.severity == "error"]
        for p in errors:
            print(p, file=sys.stderr)
        print(f"signpost: the catalogue in {root} has {len(errors)} error(s); fix them and run "
              "'signpost validate' to check.", file=sys.stderr)
        raise SystemExit(2)
    return cat
