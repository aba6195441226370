import subprocess
import sys
import time

import pytest

PARENT = """
import subprocess, sys, time
from appeals_devstack.children import die_with_parent
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], preexec_fn=die_with_parent,
                         start_new_session=True)
print(child.pid, flush=True)
time.sleep(60)
"""


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(line.split()[1] for line in status if line.startswith("State"))
    except FileNotFoundError:
        return "gone"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_child_dies_with_the_process_that_started_it():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    assert _state(child) in ("S", "R")
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while _state(child) not in ("Z", "gone"):
        assert time.monotonic() < deadline, "the child outlived its parent"
        time.sleep(0.05)
