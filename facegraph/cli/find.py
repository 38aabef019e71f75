"""`facegraph find` (who is this, everywhere in the library), `facegraph people import` (known
people from folders) and `facegraph identify` (the `face_recognition KNOWN_DIR UNKNOWN` command
line, for scripts written for it)."""

from __future__ import annotations

import click

from .options import (
    FiniteFloat,
    json_option,
    library_option,
    print_json,
    printable,
    report,
    user_errors,
)

_DATE = click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"])


def _person(value: str) -> int | str:
    return int(value) if value.strip().isdigit() else value


@click.command("find")
@click.argument("photos", nargs=-1, type=click.Path(dir_okay=False))
@library_option
@click.option(
    "--face",
    type=click.IntRange(1),
    help="Use face N of each photo (1 = leftmost) [default: the largest].",
)
@click.option(
    "--like-face",
    "face_ids",
    type=int,
    multiple=True,
    help="Also search for this stored face (an ID from `people show`); repeatable.",
)
@click.option(
    "--min-confidence",
    type=FiniteFloat(0, 1),
    default=None,
    help="Matches at least this likely to be the person [default: 0.5].",
)
@click.option("--top", type=click.IntRange(1), help="At most N matches, best first.")
@click.option("--since", type=_DATE, help="Only photos taken on or after this date.")
@click.option("--until", type=_DATE, help="Only photos taken on or before this date.")
@click.option("--all", "include_hidden", is_flag=True, help="Search hidden people's faces too.")
@click.option(
    "--assign",
    "assign",
    metavar="PERSON",
    help="Put the matches in PERSON (an ID, or a name: created if no one has it).",
)
@click.option(
    "--reject",
    "reject",
    type=int,
    multiple=True,
    metavar="FACE",
    help="With --assign: this face is not PERSON; never proposed again. Repeatable.",
)
@json_option
@user_errors
def find_command(
    photos,
    library,
    face,
    face_ids,
    min_confidence,
    top,
    since,
    until,
    include_hidden,
    assign,
    reject,
    as_json,
) -> None:
    """Find every stored face of the person in PHOTOS (reference photos, in the library or
    not; several photos of one person combine).

    Each match has a confidence: how often a match at that distance is the person (measured
    on searches of lfw-dev; see docs/how-to/find-a-person.md). The reference photos are not added.

    Example:

        facegraph find ada.jpg --min-confidence 0.9 --assign "Ada Lovelace"
    """
    from ..find.search import DEFAULT_MIN_CONFIDENCE, find_faces
    from ..people.edits import accept_faces

    target = _person(assign) if assign else None
    for_person = target if isinstance(target, int) else None
    if isinstance(target, str):
        from ..library import Library
        from ..people.store import person_named

        with Library.open(library) as lib:
            for_person = person_named(lib.connection, target)
    if reject and target is None:
        raise click.UsageError("--reject says which faces are not the --assign person")
    result = find_faces(
        library,
        list(photos),
        face=face,
        face_ids=list(face_ids),
        min_confidence=DEFAULT_MIN_CONFIDENCE if min_confidence is None else min_confidence,
        top=top,
        since=since,
        until=until,
        include_hidden=include_hidden,
        for_person=for_person,
    )
    accepted = None
    keep = [m.face_id for m in result.matches if m.face_id not in set(reject)]
    if target is not None and (keep or reject):  # nothing found: no empty person is made
        accepted = accept_faces(library, keep, target, reject=list(reject), action="find")
    if as_json:
        print_json({**result.as_dict(), "assigned": accepted})
        return
    _print_result(result, accepted)


def _print_result(result, accepted) -> None:
    for note in result.notes:
        click.echo(f"note: {printable(note)}", err=True)
    photos = {q.source for q in result.query_faces}
    for source in sorted(photos):
        faces = [q for q in result.query_faces if q.source == source]
        if len(faces) > 1:
            used = [q.face for q in faces if q.used]
            boxes = ", ".join(f"{q.face} at {q.box[0]},{q.box[1]}" for q in faces)
            click.echo(
                f"{printable(source)}: {len(faces)} faces ({boxes}); searched for face"
                f" {', '.join(map(str, used)) or 'none'} (--face N picks another)",
                err=True,
            )
    for person, name, matches in result.by_person():
        label = "unassigned" if person is None else f"Person {person}"
        click.echo(f"{label}{' ' + printable(repr(name)) if name else ''}: {len(matches)}")
        for m in matches:
            date = m.taken_at.date().isoformat() if m.taken_at else "undated"
            click.echo(
                f"  face {m.face_id:<7} {m.confidence:.2f}  {m.distance:.3f}  {date:<10}"
                f"  {printable(m.path)}  [{m.box[0]},{m.box[1]},{m.box[2]},{m.box[3]}]"
            )
    click.echo(result.summary())
    if accepted is not None:
        click.echo(
            f"{accepted['moved']} faces put in Person {accepted['person_id']}"
            f"{' (new)' if accepted['new_person'] else ''}; {accepted['rejected']} rejected"
        )


@click.command("identify")
@click.argument("known_dir", type=click.Path(exists=True, file_okay=False))
@click.argument("photos", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--tolerance",
    type=FiniteFloat(0, 2),
    default=0.6,
    show_default=True,
    help="Faces within this distance are the person (face_recognition's option).",
)
@click.option(
    "--show-distance",
    type=bool,
    default=False,
    show_default=True,
    help="Print the distance too: path,name,distance.",
)
@click.option(
    "--model",
    "model",
    type=click.Choice(["hog", "cnn", "auto"]),
    default="hog",
    show_default=True,
    help="hog/cnn as face_recognition; auto: facegraph's RetinaFace.",
)
@click.option(
    "--cpus",
    type=click.IntRange(-1),
    default=1,
    show_default=True,
    help="Processes to use; -1: every core (face_recognition's option).",
)
@json_option
@user_errors
def identify_command(known_dir, photos, tolerance, show_distance, model, cpus, as_json) -> None:
    """Name the faces in PHOTOS from KNOWN_DIR (<Name>.jpg or <Name>/*.jpg): one line
    `path,name` per face, `unknown_person` or `no_persons_found`, as face_recognition's
    command line prints them. Nothing is stored.

    Example:

        facegraph identify known/ unknown/ --tolerance 0.5 --show-distance true
    """
    from ..find.identify import identify

    def warn(line: str) -> None:
        click.echo(printable(line))  # face_recognition prints its warnings on stdout too

    found_all = identify(
        known_dir,
        list(photos),
        tolerance=tolerance,
        detector=model,
        warn=(lambda line: None) if as_json else warn,
        cpus=cpus,
    )
    if as_json:
        print_json([vars(found) for found in found_all])
        return
    for found in found_all:
        line = f"{found.path},{found.name}"
        click.echo(printable(f"{line},{found.distance}" if show_distance else line))


@click.command("import")
@click.argument("known_dir", type=click.Path(exists=True, file_okay=False))
@library_option
@json_option
@user_errors
def people_import(known_dir, library, as_json) -> None:
    """Name people from a folder of known faces: KNOWN_DIR/<Name>/*.jpg or KNOWN_DIR/<Name>.jpg.

    Each photo's face goes to the person of that name (created if needed) as a fixed label:
    `facegraph cluster` then gives them their other faces. Running it again changes nothing.

    Example:

        facegraph people import ~/known-people && facegraph cluster
    """
    from ..find.import_known import import_known_people

    result = import_known_people(library, known_dir)
    if not as_json:
        for line in [*result.skipped, *result.notes]:
            click.echo(printable(line), err=True)
    report(as_json, result.as_dict(), result.summary())
