"""`./dev bench …` (`python -m bench …`): the developers' benchmark, outside the product."""

from __future__ import annotations

import argparse
import logging
import sys

from bench.cli import add_parser
from hub.settings import Settings


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="./dev")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["bench", *(sys.argv[1:] if argv is None else argv)])
    return int(args.run(args, Settings.from_env()))


if __name__ == "__main__":
    sys.exit(main())
