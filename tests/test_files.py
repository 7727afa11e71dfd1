"""Files written by brickwork: temporaries of killed writes are cleaned up, permissions follow the umask."""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from brickwork.serialization import TEMPORARY_MARK, atomic_write, load_parameters, save_arrays

KILLED_WRITE = textwrap.dedent("""
    import os, signal, sys
    from brickwork.serialization import atomic_write

    def write(file):
        file.write(b"the first half of a checkpoint")
        file.flush()
        os.kill(os.getpid(), signal.SIGKILL)  # as if the machine's OOM killer struck mid-write
    atomic_write(sys.argv[1], write)
""")


def _temporaries(folder):
    return sorted(name for name in os.listdir(folder) if TEMPORARY_MARK in name)


def test_a_killed_write_leaves_a_named_temporary_that_the_next_write_removes(tmp_path):
    target = tmp_path / "model.npz"
    save_arrays(str(target), {"w": np.arange(3.0)})
    killed = subprocess.run([sys.executable, "-c", KILLED_WRITE, str(target)],
                            env={**os.environ, "PYTHONPATH": os.getcwd()}, timeout=60)
    assert killed.returncode == -signal.SIGKILL
    left = _temporaries(tmp_path)
    assert len(left) == 1 and left[0].startswith(".model.npz" + TEMPORARY_MARK)
    np.testing.assert_array_equal(load_parameters(str(target))["w"], np.arange(3.0))
    save_arrays(str(tmp_path / "other.npz"), {"v": np.ones(2)})  # any write in the folder
    assert _temporaries(tmp_path) == [] and sorted(os.listdir(tmp_path)) == ["model.npz", "other.npz"]


def test_temporaries_of_running_writers_are_kept(tmp_path):
    live = tmp_path / f".model.npz{TEMPORARY_MARK}{os.getpid()}-abcd1234"
    live.write_bytes(b"being written")
    save_arrays(str(tmp_path / "other.npz"), {"v": np.ones(2)})
    assert live.exists()


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_new_files_get_the_permissions_of_a_plain_open(tmp_path, umask):
    previous = os.umask(umask)
    try:
        open(tmp_path / "plain.txt", "w").close()
        save_arrays(str(tmp_path / "saved.npz"), {"w": np.zeros(2)})
    finally:
        os.umask(previous)
    plain_mode = os.stat(tmp_path / "plain.txt").st_mode & 0o777
    assert plain_mode == 0o666 & ~umask
    assert os.stat(tmp_path / "saved.npz").st_mode & 0o777 == plain_mode


def test_a_replaced_file_keeps_its_permissions(tmp_path):
    target = tmp_path / "shared.npz"
    save_arrays(str(target), {"w": np.zeros(2)})
    os.chmod(target, 0o640)
    atomic_write(str(target), lambda file: file.write(b"new content"))
    assert os.stat(target).st_mode & 0o777 == 0o640 and target.read_bytes() == b"new content"
