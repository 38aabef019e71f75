"""The `facegraph` command group: every command, registered from its module.

Nothing in facegraph imports the CLI; each command is a few lines over a library function.
"""

from __future__ import annotations

import click

from . import clustering, evidence, find, ingest, network, people, serve


@click.group()
@click.version_option(package_name="facegraph")
def main() -> None:
    """Turn folders of photos into a network of who appears with whom.

    Example:

        facegraph run ~/Pictures/reunion
    """


for command in (
    network.run_command,
    ingest.ingest,
    ingest.attributes_command,
    ingest.stats,
    ingest.faces,
    clustering.cluster,
    clustering.evaluate,
    people.people,
    find.find_command,
    find.identify_command,
    network.graph_group,
    network.sql_command,
    network.cypher_command,
    network.query_command,
    network.export_command,
    evidence.evidence_command,
    evidence.together_command,
    evidence.redact_command,
    evidence.manifest_command,
    network.plot_command,
    network.network_group,
    serve.serve_command,
):
    main.add_command(command)
people.people.add_command(find.people_import)
