"""The assessment commands of ``dormancy-widgets`` (registered by ``dormancy_widgets.cli``).

``dormancy-widgets quiz export --format moodle|gift [LESSON ...] [-o FILE]``
    The bank items of the named lessons (every lesson when none is named) as a Moodle XML or
    GIFT import file, on standard output unless ``-o FILE``.

``dormancy-widgets assignment LESSON DIR [--name NAME] [--all-items]``
    An nbgrader source notebook for the lesson in the course folder DIR
    (``DIR/source/lessonNN/``); then ``nbgrader generate_assignment lessonNN`` in DIR.

``dormancy-widgets inventory sheet [--format sheet|moodle|gift] [-o FILE]``
    The misconception inventory to hand out (a printable sheet, or a quiz to import).

``dormancy-widgets inventory summarise FILE``
    A class's answers (CSV: student, phase pre|post, item, answer) summarised: scores before
    and after, the normalised gain, and the share correct per item.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_commands"]


def _fail(message: str) -> Exception:
    from ..cli import CliError

    return CliError(message)


def _write(text: str, path: str | None) -> None:
    if path:
        out = Path(path).expanduser()
        if out.is_dir():
            raise _fail(f"{out} is a folder; give a file name")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        print(f"Wrote {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def _cmd_quiz_export(args: argparse.Namespace) -> int:
    from . import export

    try:
        chosen = export.select(args.lessons)
        text = export.moodle_xml(chosen) if args.format == "moodle" else export.gift(chosen)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    _write(text, args.output)
    if args.output:
        print(f"{len(chosen)} questions ({args.format}).", file=sys.stderr)
    return 0


def _cmd_assignment(args: argparse.Namespace) -> int:
    from . import nbgrader

    numbers = _lessons_for_assignment(args.lesson)
    for number in numbers:
        try:
            path = nbgrader.write_assignment(
                number, args.dir, name=args.name, all_items=args.all_items, lessons_dir=args.lessons
            )
        except ValueError as exc:
            raise _fail(str(exc)) from None
        name = path.parent.name
        print(f"Wrote the nbgrader source notebook {path}")
        print(f"  next, in {Path(args.dir).expanduser()}: nbgrader generate_assignment {name}")
    return 0


def _lessons_for_assignment(lesson: str) -> list[str]:
    from . import bank

    if lesson == "all":
        return sorted({it["lesson"] for it in bank.items()})
    try:
        return [f"{int(lesson):02d}"]
    except ValueError:
        raise _fail(f"lesson {lesson!r} is not a lesson number such as 03 (or 'all')") from None


def _cmd_inventory_sheet(args: argparse.Namespace) -> int:
    from . import inventory

    _write(inventory.export(args.format), args.output)
    return 0


def _cmd_inventory_summarise(args: argparse.Namespace) -> int:
    from . import inventory

    path = Path(args.file).expanduser()
    if not path.is_file():
        raise _fail(f"no such file: {path}")
    try:
        rows = inventory.read_answers(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _fail(f"{path.name}: {exc}") from None
    sys.stdout.write(inventory.report(inventory.summarise(rows)))
    return 0


def add_commands(sub: Any) -> None:
    """Register ``quiz``, ``assignment`` and ``inventory`` on the main parser's subparsers."""
    p = sub.add_parser("quiz", help="export the question bank for Moodle (XML) or as GIFT")
    qsub = p.add_subparsers(dest="quiz_command", metavar="ACTION", required=True)
    q = qsub.add_parser(
        "export",
        help="write the bank as a Moodle XML or GIFT import file",
        description="Write the bank items of the named lessons (all when none is named) as an "
        "import file for Moodle XML or GIFT, to standard output unless -o FILE.",
    )
    q.add_argument("--format", "-f", choices=("moodle", "gift"), required=True)
    q.add_argument("lessons", nargs="*", metavar="LESSON", help="lesson numbers, e.g. 03 05")
    q.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    q.set_defaults(func=_cmd_quiz_export)

    p = sub.add_parser(
        "assignment",
        help="write an nbgrader source notebook for a lesson",
        description="Write an nbgrader source notebook for LESSON (or 'all') into the course "
        "folder DIR, as DIR/source/lessonNN/NN_name.ipynb: the lesson's cells locked, its checks "
        "replaced by graded answer cells with autograder tests from the bank.",
    )
    p.add_argument("lesson", metavar="LESSON", help="lesson number, e.g. 03, or 'all'")
    p.add_argument("dir", metavar="DIR", help="the nbgrader course folder")
    p.add_argument("--name", help="assignment name (default lessonNN)")
    p.add_argument(
        "--all-items",
        action="store_true",
        help="grade every bank item of the lesson, not only those the lesson asks",
    )
    p.add_argument("--lessons", metavar="SRC", help="folder to take the lessons from")
    p.set_defaults(func=_cmd_assignment)

    p = sub.add_parser("inventory", help="the pre/post misconception inventory")
    isub = p.add_subparsers(dest="inventory_command", metavar="ACTION", required=True)
    s = isub.add_parser("sheet", help="the inventory to hand out (sheet) or import (moodle, gift)")
    s.add_argument("--format", "-f", choices=("sheet", "moodle", "gift"), default="sheet")
    s.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    s.set_defaults(func=_cmd_inventory_sheet)
    s = isub.add_parser(
        "summarise",
        aliases=["summarize"],
        help="summarise a class's answers: scores, normalised gain, items",
        description="FILE is a CSV with the columns student, phase (pre or post), item (a bank id "
        "of the inventory) and answer (the option's letter on the sheet, or its text).",
    )
    s.add_argument("file", metavar="FILE")
    s.set_defaults(func=_cmd_inventory_summarise)
