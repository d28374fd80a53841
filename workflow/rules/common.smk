# Config validation, the pair table, wildcard constraints and every input function.
import sys
from pathlib import Path

from massmove.config import resolve_config
from massmove.errors import MassmoveError
from massmove.pairs import synthetic_acquisitions, synthetic_pairs

SCHEMA = Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml"

try:
    _resolved = resolve_config(config, SCHEMA)
    PAIRS = {pair.pair_id: pair for pair in synthetic_pairs(_resolved)}
except MassmoveError as err:
    sys.exit(f"massmove: error: {err}")
config.clear()
config.update(_resolved)

SCENES = sorted(
    a.scene_id
    for track in config["tracks"]
    for a in synthetic_acquisitions(config, track)
)


wildcard_constraints:
    pair=r"[AD]\d{3}_\d{8}_\d{8}",
    scene=r"SYN_[AD]\d{3}_\d{8}T\d{6}",


def get_final_outputs():
    """Every product the config implies (the interferograms and their truth, for now)."""
    outputs = ["results/pairs.csv"]
    outputs += expand("results/interferograms/{pair}.tif", pair=sorted(PAIRS))
    outputs += expand("results/truth/{pair}.gpkg", pair=sorted(PAIRS))
    return outputs


def get_reference_slc(wildcards):
    """SLC store of the pair's reference acquisition."""
    return f"resources/slc/{PAIRS[wildcards.pair].reference.scene_id}.zarr"


def get_secondary_slc(wildcards):
    """SLC store of the pair's secondary acquisition."""
    return f"resources/slc/{PAIRS[wildcards.pair].secondary.scene_id}.zarr"
