"""`facegraph people`: list, show, name and correct people, suggestions, forget, undo."""

from __future__ import annotations

import json

import click

from .filter_options import attribute_filter_options
from .options import (
    json_option,
    library_option,
    out_dir_option,
    print_json,
    printable,
    report,
    user_errors,
)


@click.group()
def people() -> None:
    """List, name and correct people.

    Example:

        facegraph people list
    """


@people.command("list")
@library_option
@click.option("--all", "include_hidden", is_flag=True, help="Include hidden people.")
@attribute_filter_options
@json_option
@user_errors
def people_list(library, include_hidden, gender, age_min, age_max, as_json) -> None:
    """List people, most faces first, with their estimated gender and age (see `facegraph
    attributes`).

    Example:

        facegraph people list --gender female --age-min 30 --json
    """
    from ..people.read import list_people

    rows = list_people(library, include_hidden, gender=gender, age_min=age_min, age_max=age_max)
    if as_json:
        print_json(rows)
        return
    click.echo(f"{'id':>6}  {'faces':>5}  {'photos':>6}  {'gender':<6}  {'age':>4}  name")
    for row in rows:
        name = printable(row["name"] or "")
        age = f"{row['age']:.0f}" if row["age"] is not None else "-"
        click.echo(
            f"{row['person_id']:>6}  {row['faces']:>5}  {row['photos']:>6}  "
            f"{row['gender'] or '-':<6}  {age:>4}  {name}"
            f"{'  (hidden)' if row['hidden'] else ''}"
        )


@people.command("show")
@click.argument("person_id", type=int)
@library_option
@json_option
@user_errors
def people_show(person_id, library, as_json) -> None:
    """Show a person's faces and photos.

    Example:

        facegraph people show 3
    """
    from ..people.read import show_person

    person = show_person(library, person_id)
    if as_json:
        print_json(person)
        return
    click.echo(
        f"person {person['person_id']}: {printable(person['name'] or '(no name)')}, "
        f"{person['faces']} faces in {person['photos']} photos, representative face "
        f"{person['representative_face_id']}"
    )
    if person["gender"] is not None:
        born = f", born about {person['birth_year']}" if person["birth_year"] else ""
        click.echo(
            f"  {person['gender']} ({person['gender_confidence']:.0%}), median age "
            f"{person['age']:.0f}{born}"
        )
    for face in person["faces_list"]:
        age = f"  age {face['age']:.0f}" if face["age"] is not None else ""
        click.echo(
            f"  face {face['face_id']:>6}  {printable(face['path'])}  "
            f"({face['left']},{face['top']},{face['right']},{face['bottom']}){age}"
        )


@people.command("name")
@click.argument("person_id", type=int)
@click.argument("name")
@library_option
@json_option
@user_errors
def people_name(person_id, name, library, as_json) -> None:
    """Name a person ("" clears the name).

    Example:

        facegraph people name 3 "Ada Lovelace"
    """
    from ..people.edits import name_person

    name_person(library, person_id, name or None)
    said = f"named {printable(name)!r}" if name else "has no name now"
    report(as_json, {"person_id": person_id, "name": name or None}, f"person {person_id} {said}")


@people.command("merge")
@click.argument("sources", nargs=-1, required=True, type=int)
@click.option("--into", required=True, type=int, help="The person who stays.")
@library_option
@json_option
@user_errors
def people_merge(sources, into, library, as_json) -> None:
    """Merge people into one (undo restores them).

    Example:

        facegraph people merge 7 12 --into 3
    """
    from ..people.edits import merge_people

    moved = merge_people(library, list(sources), into)
    report(
        as_json,
        {"into": into, "merged": list(sources), "faces_moved": moved},
        f"{moved} faces moved to person {into}",
    )


@people.command("move")
@click.argument("face_ids", nargs=-1, required=True, type=int)
@click.option(
    "--to",
    "to_person",
    type=int,
    default=None,
    help="Person to move them to [default: a new person, i.e. a split].",
)
@library_option
@json_option
@user_errors
def people_move(face_ids, to_person, library, as_json) -> None:
    """Move faces to another person, or split them off into a new one.

    Example:

        facegraph people move 101 102 --to 3
    """
    from ..people.edits import move_faces

    person = move_faces(library, list(face_ids), to_person)
    report(
        as_json,
        {"faces": list(face_ids), "person_id": person},
        f"{len(face_ids)} faces now belong to person {person}",
    )


@people.command("not-this-person")
@click.argument("face_ids", nargs=-1, required=True, type=int)
@library_option
@json_option
@user_errors
def people_reject(face_ids, library, as_json) -> None:
    """Take faces away from their person for good; they may join someone else.

    Example:

        facegraph people not-this-person 101
    """
    from ..people.edits import reject_faces

    reject_faces(library, list(face_ids))
    report(
        as_json,
        {"faces": list(face_ids)},
        f"{len(face_ids)} faces taken from their person for good",
    )


@people.command("not-a-face")
@click.argument("face_ids", nargs=-1, required=True, type=int)
@library_option
@json_option
@user_errors
def people_not_a_face(face_ids, library, as_json) -> None:
    """Mark detections that are not faces; they leave people and the network.

    Example:

        facegraph people not-a-face 250
    """
    from ..people.edits import mark_not_a_face

    mark_not_a_face(library, list(face_ids))
    report(as_json, {"faces": list(face_ids)}, f"{len(face_ids)} detections marked not a face")


@people.command("hide")
@click.argument("person_id", type=int)
@click.option("--unhide", is_flag=True, help="Show the person again.")
@library_option
@json_option
@user_errors
def people_hide(person_id, unhide, library, as_json) -> None:
    """Hide a person from lists and the network.

    Example:

        facegraph people hide 9
    """
    from ..people.edits import hide_person

    hide_person(library, person_id, hidden=not unhide)
    report(
        as_json,
        {"person_id": person_id, "hidden": not unhide},
        f"person {person_id} is {'shown again' if unhide else 'hidden'}",
    )


@people.command("forget")
@click.argument("person_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@library_option
@json_option
@user_errors
def people_forget(person_id, yes, library, as_json) -> None:
    """Delete a person with every encoding and crop of their faces. Cannot be undone.

    Example:

        facegraph people forget 9 --yes
    """
    from ..people.edits import forget_person

    if not yes:
        click.confirm(f"Forget person {person_id} for good (cannot be undone)?", abort=True)
    result = forget_person(library, person_id)
    report(
        as_json,
        {"person_id": person_id, **result.as_dict()},
        f"forgot person {person_id}: {result.faces_erased} faces erased, "
        f"{len(result.files_removed)} files facegraph wrote into the library removed",
    )
    for path in result.uploads_removed:
        click.echo(f"deleted {printable(path)}: uploaded through the app, it showed them")
    for line in result.uploads_kept:
        click.echo(f"warning: could not delete {printable(line)}", err=True)
    for path in result.files_elsewhere:
        click.echo(
            f"warning: {printable(path)} was written from this library and may still "
            "show this person; delete it if so",
            err=True,
        )


@people.command("suggest")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
@library_option
@json_option
@user_errors
def people_suggest(limit, library, as_json) -> None:
    """Suggest people who may be one person, and people for faces with none, closest first.

    Accept a pair with 'people merge', reject it with 'people apart'; accept a face with
    'people move FACE --to PERSON', reject it with 'people not-this-person'.

    Example:

        facegraph people suggest --limit 10
    """
    from ..people.suggest import suggest_people_for_faces, suggest_same_person

    pairs = suggest_same_person(library, limit)
    faces = suggest_people_for_faces(library, limit)
    if as_json:
        print_json({"same_person": pairs, "faces": faces})
        return
    for s in pairs:
        names = [printable(s["name_a"] or ""), printable(s["name_b"] or "")]
        click.echo(
            f"same person?  {s['person_a']:>5} {names[0]:<20} {s['person_b']:>5} "
            f"{names[1]:<20} confidence {s['confidence']:.2f}"
        )
    for s in faces:
        click.echo(
            f"face {s['face_id']:>6} is person {s['person_id']:>5} "
            f"{printable(s['name'] or ''):<20} confidence {s['confidence']:.2f}"
        )
    if not pairs and not faces:
        click.echo("no suggestions")


@people.command("apart")
@click.argument("person_a", type=int)
@click.argument("person_b", type=int)
@library_option
@json_option
@user_errors
def people_apart(person_a, person_b, library, as_json) -> None:
    """Say two people are different: never suggested as one again, never clustered together.

    Example:

        facegraph people apart 7 12
    """
    from ..people.edits import keep_apart

    keep_apart(library, person_a, person_b)
    report(
        as_json, {"apart": [person_a, person_b]}, f"people {person_a} and {person_b} are kept apart"
    )


@people.command("undo")
@click.argument("count", type=click.IntRange(1), default=1)
@library_option
@json_option
@user_errors
def people_undo(count, library, as_json) -> None:
    """Undo the last COUNT edits (default 1).

    Example:

        facegraph people undo 2
    """
    from ..people.edits import undo

    actions = undo(library, count)
    report(as_json, {"undone": actions}, "undone: " + ", ".join(actions))


@people.command("log")
@library_option
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@json_option
@user_errors
def people_log(library, limit, as_json) -> None:
    """Show the latest edits and clustering runs.

    Example:

        facegraph people log --limit 10
    """
    from ..people.read import edit_history

    rows = edit_history(library, limit)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        state = " (undone)" if row["undone"] else ""
        click.echo(
            f"{row['edit_id']:>5}  {row['edited_at']:%Y-%m-%d %H:%M}  {row['action']}"
            f"{state}  {printable(json.dumps(row['detail']))}"
        )


@people.command("mosaic")
@click.argument("person_ids", nargs=-1, type=int)
@out_dir_option("the mosaics")
@library_option
@json_option
@user_errors
def people_mosaic(person_ids, out_dir, library, as_json) -> None:
    """Write one image per person tiling their faces (all people if no ID is given).

    Example:

        facegraph people mosaic -o Clusters
    """
    from ..people.mosaic import make_mosaics

    written = make_mosaics(library, out_dir, list(person_ids) or None)
    report(
        as_json,
        {"out_dir": out_dir, "files": [str(p) for p in written]},
        f"{len(written)} mosaics written to {out_dir}",
    )
