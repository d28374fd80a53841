import pytest

from massmove.config import resolve_config
from massmove.errors import ConfigError
from massmove.pairs import Track, pair_table, synthetic_acquisitions, synthetic_pairs


def test_default_pairs(default_config):
    pairs = synthetic_pairs(default_config)
    assert [p.pair_id for p in pairs] == [
        "A088_20180801_20180813",
        "A088_20180801_20180819",
        "D066_20180801_20180813",
        "D066_20180801_20180819",
    ]
    assert [p.baseline_days for p in pairs] == [12, 18, 12, 18]
    table = pair_table(pairs)
    assert list(table["relative_orbit"]) == [88, 88, 66, 66]
    assert list(table["direction"]) == ["ascending", "ascending", "descending", "descending"]


def test_several_pairs_per_baseline_share_acquisitions():
    config = resolve_config({"tracks": ["D066"], "synthetic": {"pairs_per_baseline": 2}})
    acquisitions = synthetic_acquisitions(config, "D066")
    assert [a.date.day for a in acquisitions] == [1, 7, 13, 19, 25]
    assert {p.baseline_days for p in synthetic_pairs(config)} == {12, 18}
    assert len(synthetic_pairs(config)) == 4


def test_pairs_beyond_the_period_are_refused():
    config = resolve_config({"period": {"start": "2018-08-01", "end": "2018-08-15"}}, None)
    with pytest.raises(ConfigError, match="period.end"):
        synthetic_pairs(config)


@pytest.mark.parametrize(
    ("name", "direction", "orbit"), [("A088", "ascending", 88), ("D139", "descending", 139)]
)
def test_track_parsing(name, direction, orbit):
    assert Track.parse(name) == Track(name, direction, orbit)


def test_bad_track_name():
    with pytest.raises(ConfigError, match="A###"):
        Track.parse("X088")
