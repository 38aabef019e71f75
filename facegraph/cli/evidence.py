"""Proof and time: `facegraph evidence` (the sheet behind a tie) and `facegraph together`."""

from __future__ import annotations

import click

from .options import engine_option, json_option, library_option, print_json, print_rows, user_errors


@click.command("evidence")
@click.argument("people", nargs=-1, required=True)
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder to write the sheet to [default: LIBRARY/evidence].",
)
@library_option
@json_option
@user_errors
def evidence_command(people, out_dir, library, as_json) -> None:
    """The evidence sheet of what PEOPLE (IDs or names) share: every photo in which all of
    them appear, by date, with the file's SHA-256, each face's box, its distance to the rest
    of the person and its confidence, and whether a person or the clustering decided who it
    is. Writes one self-contained HTML page and a JSON file, and prints the page's path.

    Example:

        facegraph evidence "Ada Lovelace" 12 -o ~/story/evidence
    """
    from ..evidence import write_evidence

    sheet, files = write_evidence(library, list(people), out_dir)
    if as_json:
        print_json({**sheet.as_dict(), "files": [str(f) for f in files]})
        return
    changed = sum(1 for p in sheet.photos if p.file != "as analysed")
    click.echo(
        f"{len(sheet.photos)} photos together ({sheet.undated} undated"
        + (f", {changed} missing or changed since analysed" if changed else "")
        + ")",
        err=True,
    )
    click.echo(files[0])


@click.command("together")
@click.argument("people", nargs=-1, required=True)
@click.option("--only", is_flag=True, help="Only photos in which nobody else named appears.")
@library_option
@engine_option
@json_option
@user_errors
def together_command(people, only, library, engine, as_json) -> None:
    """The photos in which all of PEOPLE (IDs or names) appear, oldest first, undated last.

    Example:

        facegraph together Ada 12 "Grace Hopper" --only
    """
    from ..coappearance.timeline import together

    rows = together(library, list(people), only=only, engine=engine)
    if as_json:
        print_json({"photos": rows})
        return
    columns = ["taken_at", "path", "people", "others_named"]
    print_rows(rows, columns, "table")


@click.command("redact")
@click.argument("photos", nargs=-1, required=True, type=click.Path())
@click.option(
    "-o",
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to write the copies (and redaction-log.jsonl) to.",
)
@click.option(
    "--keep",
    multiple=True,
    metavar="PERSON",
    help="A person (ID or name) whose face stays visible; repeat for several.",
)
@click.option("--fill", is_flag=True, help="Fill faces black instead of a coarse mosaic.")
@click.option(
    "--no-detect",
    is_flag=True,
    help="Hide only the faces the library and the photos' XMP know of; find none anew.",
)
@library_option
@json_option
@user_errors
def redact_command(photos, out_dir, keep, fill, no_detect, library, as_json) -> None:
    """Copies of PHOTOS safe to publish: every face hidden except those of the people kept,
    and the metadata that names people or places removed (GPS, XMP face regions and names,
    IPTC, the EXIF thumbnail; dates and camera stay). Faces come from the library, from the
    detector run now and from the photos' XMP regions. A face that nobody detected or marked
    stays visible: look at every copy before you publish it.

    Example:

        facegraph redact rally/*.jpg -o publish/ --keep "Ada Lovelace"
    """
    from ..evidence.redact import redact_photos

    report = redact_photos(
        photos, out_dir, keep=keep, library=library, fill=fill, detect=not no_detect
    )
    if as_json:
        print_json(report.as_dict())
    else:
        for photo in report.photos:
            removed = "; ".join(photo.removed) or "no metadata to remove"
            click.echo(
                f"{photo.output}: {photo.faces_hidden} faces hidden, {photo.faces_kept} kept"
                f" (removed: {removed})"
            )
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    if report.errors and not report.photos:
        raise SystemExit(1)


@click.command("manifest")
@library_option
@json_option
@user_errors
def manifest_command(library, as_json) -> None:
    """The run record of the library: facegraph's version, the model files' SHA-256, the
    detector settings, the last clustering's method and parameters, the input photos (count
    and one SHA-256 over their contents) and the edits in force. The same photos, settings and
    edits give the same record, whatever order the photos came in (times aside). Every export
    writes one beside its files (NAME.manifest.json).

    Example:

        facegraph manifest --json > run-record.json
    """
    from ..coappearance.manifest import manifest

    record = manifest(library)
    if as_json:
        print_json(record)
        return
    clustering = record["clustering"] or {}
    lines = [
        f"facegraph {record['facegraph_version']}, made {record['made_at']}",
        f"photos: {record['photos']['count']} (contents "
        f"{record['photos']['sha256_of_content_hashes'][:16]}...)",
        *(f"detection: {settings} ({n} photos)" for settings, n in record["detection"].items()),
        "clustering: "
        + (", ".join(f"{k}={v}" for k, v in clustering.items()) if clustering else "none yet"),
        f"edits in force: {record['edits']['count']} ({record['edits']['sha256'][:16]}...)",
        f"faces: {record['faces']}, people: {record['people']}, "
        f"unassigned: {record['unassigned_faces']}",
        *(f"model {name}: {digest}" for name, digest in record["models"].items()),
    ]
    click.echo("\n".join(lines))
