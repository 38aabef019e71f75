"""The old face-network functions, on real photos: extract, cluster, network."""

import networkx as nx
import pytest
from conftest import astronaut, grace_hopper, side_by_side, variant

import facegraph


@pytest.mark.slow
def test_old_functions_do_the_old_jobs(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(3):
        variant(grace_hopper(), i).save(photos / f"grace{i}.jpg")
        variant(astronaut(), 10 + i).save(photos / f"astro{i}.jpg")
    side_by_side(variant(grace_hopper(), 20), variant(astronaut(), 21)).save(photos / "pair.jpg")

    extracted = facegraph.extract(str(photos))
    assert extracted.faces_added == 8 and not extracted.errors
    clustered = facegraph.cluster(str(photos), algorithm="DBSCAN", iterations=3)
    assert clustered.people == 2 and clustered.unassigned == 0
    output = photos / "Face Network"
    assert len(list((output / "Clusters").glob("*.jpg"))) == 2  # one mosaic per person
    network = facegraph.network(str(photos), scale=10)
    assert isinstance(network, nx.Graph)
    assert network.number_of_nodes() == 2 and network.number_of_edges() == 1
    ((a, b, data),) = network.edges(data=True)
    assert data["weight"] == 1  # one shared photo
    assert (output / "Data" / "Image_Network.html").exists()
    # a second extract finds nothing new: the library skipped its own folder and known photos
    assert facegraph.extract(str(photos)).processed == 0
