"""make clean removes the whole cluster, also when it lives under /var/tmp, and
make run never reuses a cluster left behind by a removed .data/."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import pgcluster  # noqa: E402


@pytest.fixture
def outside(tmp_path, monkeypatch):
    """The service user cannot reach .data/: the cluster goes "outside"."""
    target = tmp_path / "var-tmp" / "vms-pgdata-test"
    stopped = []
    monkeypatch.setattr(pgcluster, "_reachable_by", lambda user, path: False)
    monkeypatch.setattr(pgcluster, "_outside_dir", lambda base: str(target))
    monkeypatch.setattr(pgcluster, "_stop_dir", lambda data, user: stopped.append(data))
    return target, stopped


def test_the_cluster_outside_is_linked_from_data(tmp_path, outside):
    target, _stopped = outside
    base = tmp_path / ".data"
    data = pgcluster._data_dir(str(base), None)
    assert data == str(target)
    assert os.path.islink(base / "pgdata")
    assert os.path.realpath(base / "pgdata") == str(target)
    # The next start finds it through the link.
    assert pgcluster._data_dir(str(base), None) == str(target)


def test_a_cluster_left_behind_is_not_reused(tmp_path, outside):
    target, stopped = outside
    target.mkdir(parents=True)
    (target / "PG_VERSION").write_text("17")
    (target / "base").mkdir()
    base = tmp_path / ".data"  # a fresh .data/: the old one was removed without the cluster
    data = pgcluster._data_dir(str(base), None)
    assert data == str(target)
    assert str(target) in stopped
    assert not (target / "PG_VERSION").exists()
    assert not (target / "base").exists()


def test_destroy_removes_data_and_the_cluster_outside(tmp_path, outside):
    target, stopped = outside
    base = tmp_path / ".data"
    pgcluster._data_dir(str(base), None)
    target.mkdir(parents=True)
    (target / "PG_VERSION").write_text("17")
    (base / "filestore").mkdir()
    pgcluster.destroy(str(base))
    assert not base.exists()
    assert not target.exists()
    assert str(target) in stopped


def test_destroy_also_finds_a_cluster_whose_link_is_gone(tmp_path, outside):
    target, _stopped = outside
    target.mkdir(parents=True)
    (target / "PG_VERSION").write_text("17")
    base = tmp_path / ".data"
    base.mkdir()
    pgcluster.destroy(str(base))
    assert not target.exists()
