"""Nobody else's code runs as the user, and nothing silently mixes (issue 36).

Each test makes the attack or the slip for real: a throwaway local user (``gengap-probe``, made
and removed here; the tests that need one are skipped when not run as root, and CI runs as root)
squats the warm server's paths, talks to its socket or serves one of its own; a crafted
checkpoint carries a payload; two checkouts share a results folder; another tree's ``gengap`` is
first on the path; a data file or a config value is changed. Payloads are harmless: they write
a marker file.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
import torch

from helpers import REPO, shared_data_root, wait_for, warm_runtime

WARM = REPO / "src/gengap/warm.py"
PROBE_USER = "gengap-probe"
SYSTEM_PYTHON = "/usr/bin/python3"  # the probe user cannot enter /root, where the venv's interpreter lives

JOB = textwrap.dedent("""\
    import json, os, resource, sys, time
    from types import SimpleNamespace
    from gengap.warm import delegate

    delegate(SimpleNamespace(config={}))
    if len(sys.argv) > 2:
        with open(sys.argv[2], "a") as f:
            f.write(f"{os.getpid()}\\n")
    mask = os.umask(0)
    print(json.dumps({"pid": os.getpid(), "umask": mask, "nice": os.getpriority(os.PRIO_PROCESS, 0),
                      "nofile": list(resource.getrlimit(resource.RLIMIT_NOFILE)),
                      "affinity": sorted(os.sched_getaffinity(0))}), flush=True)
    sys.exit(int(sys.argv[1]))
""")


@pytest.fixture(scope="module")
def probe_user():
    """A throwaway local user, removed afterwards."""
    if os.geteuid() != 0 or not shutil.which("useradd"):
        pytest.skip("needs root and useradd to make a throwaway user (CI runs as root)")
    made = subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", PROBE_USER],
                          capture_output=True, text=True)
    if made.returncode not in (0, 9):  # 9: the user exists (a previous run that was killed)
        pytest.fail(f"useradd failed: {made.stderr}")
    yield pwd.getpwnam(PROBE_USER)
    subprocess.run(["pkill", "-KILL", "-u", PROBE_USER], check=False)
    subprocess.run(["userdel", PROBE_USER], check=False)


@pytest.fixture()
def shared_tmp():
    """A folder every user can write to, like /tmp (pytest's own folders are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="gengap-shared-", dir="/tmp"))
    path.chmod(0o1777)
    yield path
    subprocess.run(["pkill", "-KILL", "-u", PROBE_USER], check=False)
    shutil.rmtree(path, ignore_errors=True)


def as_probe(code: str, *args: str) -> subprocess.Popen:
    """Run Python ``code`` as the throwaway user."""
    return subprocess.Popen([SYSTEM_PYTHON, "-c", code, *args], user=PROBE_USER, group=PROBE_USER,
                            extra_groups=[], cwd="/", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_job(script: Path, *args: str, env: dict, preexec=None, timeout: float = 120) -> tuple[int, dict, int]:
    """Run the job script; (exit status, what it printed, its own pid)."""
    proc = subprocess.Popen([sys.executable, str(script), *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=preexec)
    out, err = proc.communicate(timeout=timeout)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert lines, f"the job printed nothing; stderr:\n{err}"
    return proc.returncode, json.loads(lines[-1]), proc.pid


def job_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_RUNTIME_DIR", "TMPDIR")}
    env["PYTHONPATH"] = str(REPO / "src")
    env.update(extra)
    return env


def start_server(sock: Path, preexec=None) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, str(WARM), "serve", str(sock)], start_new_session=True,
                              preexec_fn=preexec)
    assert wait_for(sock.exists), "the server did not open its socket"
    return server


@pytest.fixture()
def job_script(tmp_path) -> Path:
    path = tmp_path / "job.py"
    path.write_text(JOB)
    return path


def _private(tmp_path: Path, name: str = "w") -> Path:
    folder = tmp_path / name
    folder.mkdir(mode=0o700)
    return folder


# --- warm jobs: who is at the other end -----------------------------------------------------------

LISTENER = textwrap.dedent("""\
    import os, socket, sys, threading
    log = open(sys.argv[1], "ab", buffering=0)
    def serve(path):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        os.chmod(path, 0o777)
        s.listen(8)
        while True:
            conn, _ = s.accept()
            data = conn.recv(1 << 20)
            log.write(data)
            conn.sendall(b'{"pid": 1}\\n{"returncode": 0}\\n')  # try to pass for the server
            conn.close()
    for path in sys.argv[3:]:
        threading.Thread(target=serve, args=(path,), daemon=True).start()
    open(sys.argv[2], "w").write("up")
    threading.Event().wait()
""")


def test_another_users_folder_or_socket_never_receives_a_job(probe_user, shared_tmp, job_script):
    """Another user who gets to the warm server's paths first (its folder, its socket, or the
    socket's old place in the shared temp folder) learns nothing of a job: the job runs cold."""
    uid = os.getuid()
    key = hashlib.sha256(f"{sys.executable}\0{sys.prefix}".encode()).hexdigest()[:16]
    squatted = shared_tmp / f"gengap-{uid}"
    paths = [shared_tmp / f"gengap-warm-{uid}-{key}.sock", squatted / f"warm-{key}.sock"]
    received, up = shared_tmp / "received", shared_tmp / "up"
    attacker = as_probe(f"import os; os.mkdir({str(squatted)!r}, 0o777); os.chmod({str(squatted)!r}, 0o777)\n"
                        + LISTENER, str(received), str(up), *map(str, paths))
    try:
        assert wait_for(up.exists, 20), attacker.stderr.read() if attacker.poll() is not None else "no listener"
        code, said, pid = run_job(job_script, "3", env=job_env(TMPDIR=str(shared_tmp)))
    finally:
        attacker.kill()
    assert received.read_bytes() == b"", "another user's socket received a job's request"
    assert code == 3 and said["pid"] == pid, "the job did not run cold, in its own process"


def test_the_server_runs_nothing_for_another_user(probe_user, shared_tmp):
    """A server whose socket another user can reach (a careless umask, a group) serves only its
    own user: the other user's request runs nothing and gets no answer."""
    folder = shared_tmp / "w"
    folder.mkdir(mode=0o700)
    sock = folder / "warm.sock"
    server = start_server(sock)
    marker = shared_tmp / "ran-as-owner"
    payload = shared_tmp / "payload.py"
    payload.write_text(f"open({str(marker)!r}, 'w').write(str(__import__('os').getuid()))\n")
    payload.chmod(0o644)
    folder.chmod(0o711)
    sock.chmod(0o777)
    request = {"argv": [str(payload)], "cwd": "/", "path": [], "env": {},
               "settings": {"umask": 0o22, "nice": 0, "rlimits": {}, "affinity": [0]}}
    attack = textwrap.dedent(f"""\
        import json, socket
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect({str(sock)!r})
        try:
            s.sendall(json.dumps({request!r}).encode() + b"\\n")
            answer = s.recv(1000)
            socket.send_fds(s, [b"go\\n"], [0, 1, 2])
        except OSError:  # the server hung up: no answer
            answer = b""
        print("answer", answer)
    """)
    try:
        probe = as_probe(attack)
        out, err = probe.communicate(timeout=60)
        time.sleep(2)
    finally:
        server.kill()
    assert probe.returncode == 0, err
    assert "answer b''" in out, f"the server answered another user: {out}"
    assert not marker.exists(), f"the server ran another user's script as uid {marker.read_text()}"


def test_a_job_hands_itself_only_to_its_own_users_server(probe_user, shared_tmp):
    """A job that finds another user's server at its socket's path goes no further."""
    from gengap import warm

    folder, received, up = shared_tmp / "theirs", shared_tmp / "received", shared_tmp / "up"
    attacker = as_probe(f"import os; os.mkdir({str(folder)!r}, 0o755)\n" + LISTENER,
                        str(received), str(up), str(folder / "warm.sock"))
    try:
        assert wait_for(up.exists, 20)
        assert warm.connect(str(folder / "warm.sock")) is None
    finally:
        attacker.kill()
    assert received.read_bytes() == b""


def test_the_servers_lock_follows_no_link_and_truncates_nothing(tmp_path):
    folder = _private(tmp_path)
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (folder / "warm.sock.lock").symlink_to(victim)
    subprocess.run([sys.executable, str(WARM), "serve", str(folder / "warm.sock")], timeout=60, check=True)
    assert victim.read_text() == "precious"
    assert not (folder / "warm.sock").exists()


def test_the_servers_folder_and_socket_are_private_whatever_the_umask(tmp_path, monkeypatch):
    from gengap import warm

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    old = os.umask(0o002)
    try:
        tempfile.tempdir = None  # gettempdir() reads TMPDIR again
        path = Path(warm.socket_path())
    finally:
        os.umask(old)
        tempfile.tempdir = None
    assert path.parent.stat().st_mode & 0o777 == 0o700
    server = start_server(path, preexec=lambda: os.umask(0o002))
    try:
        assert path.stat().st_mode & 0o077 == 0, oct(path.stat().st_mode)
    finally:
        server.kill()
    path.parent.chmod(0o755)  # a folder others can enter is not used
    assert warm.socket_path() is None


# --- warm jobs: the fork is the job's process -----------------------------------------------------

def test_a_warm_job_has_its_own_umask_nice_limits_and_affinity(tmp_path, job_script):
    runtime, sock = warm_runtime(tmp_path / "run")
    server = start_server(sock, preexec=lambda: os.umask(0o077))
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    soft = min(hard, 200)

    def job_process():
        os.umask(0o002)
        os.nice(3)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        os.sched_setaffinity(0, {0})

    try:
        code, said, pid = run_job(job_script, "0", env=job_env(**runtime), preexec=job_process)
    finally:
        server.kill()
    assert code == 0 and said["pid"] != pid, "the job did not run in a warm fork"
    assert said["umask"] == 0o002 and said["affinity"] == [0]
    assert said["nofile"] == [soft, hard]
    assert said["nice"] == os.getpriority(os.PRIO_PROCESS, 0) + 3


@pytest.mark.workflow  # waits out the 10 s handshake deadline: the slow lane
def test_a_stopped_server_costs_a_job_its_warm_start_only(tmp_path, job_script):
    """A server that does not answer (stopped) leaves the job to run cold after the handshake's
    deadline; when it wakes, it runs nothing of the job that left."""
    from gengap.warm import HANDSHAKE_SECONDS

    runtime, sock = warm_runtime(tmp_path / "run")
    server = start_server(sock)
    ran = tmp_path / "ran"
    try:
        os.kill(server.pid, signal.SIGSTOP)
        start = time.monotonic()
        code, said, pid = run_job(job_script, "5", str(ran), env=job_env(**runtime),
                                  timeout=HANDSHAKE_SECONDS + 60)
        waited = time.monotonic() - start
        os.kill(server.pid, signal.SIGCONT)
        time.sleep(3)
    finally:
        server.kill()
    assert code == 5 and said["pid"] == pid and waited < HANDSHAKE_SECONDS + 30
    assert ran.read_text().split() == [str(pid)], "the job ran twice (cold, and again in a fork)"


@pytest.mark.workflow  # starts a server that imports torch: the slow lane
def test_a_server_killed_before_it_answers_leaves_the_job_cold(tmp_path, job_script):
    runtime, sock = warm_runtime(tmp_path / "run")
    server = start_server(sock)
    os.kill(server.pid, signal.SIGSTOP)
    job = subprocess.Popen([sys.executable, str(job_script), "4"], env=job_env(**runtime),
                           stdout=subprocess.PIPE, text=True)
    time.sleep(3)  # the job has sent its request and waits
    server.kill()
    out, _ = job.communicate(timeout=60)
    assert job.returncode == 4 and json.loads(out.splitlines()[-1])["pid"] == job.pid


# --- checkpoints --------------------------------------------------------------------------------

class _Payload:
    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_planted_checkpoint_runs_no_code(tmp_path):
    """A crafted checkpoint.pt (its digest forged in it) is refused unread, not executed."""
    from gengap.atomic import save_torch_sealed
    from gengap.train.checkpoint import Checkpoint

    marker = tmp_path / "payload-ran"
    path = tmp_path / "checkpoint.pt"
    save_torch_sealed({"key": "cell", "net": _Payload(str(marker))}, path)  # its digest inside, matching
    logged = []
    net = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    state = Checkpoint(path, "cell", 60, logged.append).restore(net, opt, torch.Generator(), torch.Generator())
    assert state is None and not marker.exists(), "the checkpoint's payload ran"
    assert "discarding unreadable checkpoint" in logged[0] and not path.exists()


# --- one results folder, one run; weights and their record ------------------------------------------

HOLD = textwrap.dedent("""\
    import sys, time
    from gengap.runlock import claim
    claim(sys.argv[1], sys.argv[2])
    print("held", flush=True)
    time.sleep(60)
""")


def test_a_results_folder_refuses_a_second_run_and_names_the_holder(tmp_path):
    from gengap.runlock import FolderInUse, claim

    results = tmp_path / "results"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(results), "/checkout/a"], stdout=subprocess.PIPE,
                              text=True, env=job_env())
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(FolderInUse, match=f"process {holder.pid} .* working in /checkout/a"):
            claim(results, tmp_path / "b")
    finally:
        holder.kill()
        holder.wait()
    # its process gone, the lock is free, and the next run hears whose the folder was
    warning = subprocess.run([sys.executable, "-c", "import sys; from gengap.runlock import claim; "
                              "print(claim(sys.argv[1], sys.argv[2]))", str(results), str(tmp_path / "b")],
                             capture_output=True, text=True, env=job_env(), check=True).stdout
    assert "last written by a run in /checkout/a" in warning


def test_a_measure_job_refuses_weights_its_record_does_not_name(tmp_path):
    """A cell folder written by two runs (one's record, the other's weights) stops the measure
    job with the files named."""
    from gengap.atomic import recorded_digest, save_torch
    from gengap.measures.cell import MixedCell, check_cell_files

    init, final, data = tmp_path / "init.pt", tmp_path / "final.pt", tmp_path / "data.pt"
    for path, value in ((init, 0.0), (final, 1.0), (data, 2.0)):
        save_torch({"w": torch.full((3,), value)}, path)
    record = {"identity": {"training_set": recorded_digest(data)},
              "files": {"init": recorded_digest(init), "final": recorded_digest(final)}}
    check_cell_files(record, "record.json", training_set=data, init=init, final=final)  # one run's files
    save_torch({"w": torch.full((3,), 7.0)}, final)  # another run's weights, with a valid digest
    with pytest.raises(MixedCell, match="final.pt is not the final its record record.json names"):
        check_cell_files(record, "record.json", training_set=data, init=init, final=final)


# --- the checkout's own code ---------------------------------------------------------------------

@pytest.mark.workflow
def test_a_checkout_runs_its_own_gengap_whatever_is_first_on_the_path(tmp_path):
    """A pinned copy of the workflow, run while another tree's gengap comes first on the path
    (as the venv's editable install of the main checkout does), imports its own gengap, in the
    planning process and in its jobs."""
    from workflow_helpers import _warm, make_workdir

    workdir = make_workdir(tmp_path / "pinned")
    imported = tmp_path / "imported"
    init = workdir / "src/gengap/__init__.py"
    init.write_text(init.read_text() + "\nimport os as _os\nif _os.environ.get('PROBE_IMPORTS'):\n"
                    "    open(_os.environ['PROBE_IMPORTS'], 'a').write(__file__ + '\\n')\n")
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"), PROBE_IMPORTS=str(imported),
               GENGAP_DATA_ROOT=str(shared_data_root()))
    proc = _warm().run(["--cores", "1", "--config", "warm_jobs=False", "--", "results/datasets/mnist.source.json"],
                       cwd=workdir, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    paths = imported.read_text().split() if imported.exists() else []
    assert len(paths) >= 2 and set(paths) == {str(init)}, f"gengap imported from {paths}"


@pytest.mark.workflow
def test_two_checkouts_cannot_run_on_one_results_folder(tmp_path):
    """While one checkout's run holds a results folder, another checkout's run on it stops at
    its start with the holder named, and writes nothing."""
    from workflow_helpers import TINY_CONFIG, make_workdir, snakemake

    results = tmp_path / "shared-results"
    config = json.loads(json.dumps(TINY_CONFIG))
    config.update(results_dir=str(results), training={"max_epochs": 400, "batch_size": 16,
                                                      "stop": {"criterion": "epochs"}})
    config["suites"]["randomization"].update(models=["mlp_1x512"], corruptions=["true"], n=[2048])
    a, b = make_workdir(tmp_path / "a", config), make_workdir(tmp_path / "b", config)
    env = dict(os.environ, PYTHONPATH=str(a / "src"), GENGAP_DATA_ROOT=str(shared_data_root()))
    first = subprocess.Popen([sys.executable, "-m", "snakemake", "--cores", "1"], cwd=a, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lock = results / ".gengap-run.lock"
        assert wait_for(lambda: lock.exists() and str(a) in lock.read_text(), 180), "the first run did not start"
        second = snakemake(b, "--cores", "1", check=False)
        assert first.poll() is None, "the first run ended before the second was tried"
    finally:
        first.kill()
        first.wait()
    out = second.stdout + second.stderr
    assert second.returncode != 0 and "is in use by another run" in out and f"working in {a}" in out, out
    assert not (b / ".snakemake" / "log").exists() or "Finished job" not in out


# --- data and config slips --------------------------------------------------------------------------

def _data_copy(tmp_path: Path, dataset: str = "MNIST") -> Path:
    """A data root whose files link to the shared ones (a file to change is replaced by a copy)."""
    raw = tmp_path / "data" / dataset / "raw"
    raw.mkdir(parents=True)
    for f in (shared_data_root() / dataset / "raw").iterdir():
        (raw / f.name).symlink_to(f)
    return raw


def _set_label(raw: Path, name: str, index: int, value: int) -> None:
    content = bytearray((raw / name).read_bytes())
    (raw / name).unlink()
    content[8 + index] = value
    (raw / name).write_bytes(bytes(content))


def test_a_changed_valid_label_is_modified_data_named_in_every_verdict(tmp_path):
    import pandas as pd

    from gengap.atomic import read_json
    from gengap.data import sources
    from gengap.report.paper import compare

    raw = _data_copy(tmp_path)
    _set_label(raw, "t10k-labels-idx1-ubyte", 3, (int((raw / "t10k-labels-idx1-ubyte").read_bytes()[11]) + 1) % 10)
    out = tmp_path / "results" / "datasets" / "mnist.pt"
    with pytest.raises(sources.ModifiedData, match="t10k-labels-idx1-ubyte differ from the published files"):
        sources.prepare_dataset("mnist", tmp_path / "data", out)
    assert not out.exists()
    sources.prepare_dataset("mnist", tmp_path / "data", out, allow_modified=True, log=lambda m: None)
    modified = read_json(sources.read_record(out, "mnist"))["modified"]
    assert modified == ["MNIST/raw/t10k-labels-idx1-ubyte"]
    values = pd.DataFrame([{"paper": "p", "source": "s", "paper_data": "MNIST", "claim": "c", "suite": "k",
                            "quantity": "kernel_test_error", "model": "", "reg": "", "corruption": "", "measure": "",
                            "p": "", "paper_value": "0.012", "paper_text": "", "paper_n": "", "test": "within",
                            "tolerance": "0.005"}])
    summary = pd.DataFrame({"kind": ["kernel"], "kernel": ["rbf"], "dataset": ["mnist"], "n": [60000],
                            "seed": [0], "test_error": [0.0125]})
    assert compare(values, {"k": summary}, {})["verdict"][0] == "reproduced"
    row = compare(values, {"k": summary}, {}, {"mnist": modified}).iloc[0]
    assert row["verdict"] != "reproduced" and "modified data: MNIST/raw/t10k-labels-idx1-ubyte" in row["gengap_data"]


@pytest.mark.parametrize("name, split", [("t10k-labels-idx1-ubyte", "test"), ("train-labels-idx1-ubyte", "train")])
def test_a_label_out_of_range_names_its_file_and_index(tmp_path, name, split):
    from gengap.data import sources

    raw = _data_copy(tmp_path)
    _set_label(raw, name, 5, 247)
    with pytest.raises(sources.DatasetUnavailable, match=f"{name}: {split} label 247 at index 5 is outside 0..9"):
        sources.load_dataset("mnist", tmp_path / "data", download=False)


def test_a_change_that_keeps_size_and_mtime_is_noticed(tmp_path):
    from gengap import atomic
    from gengap.data import sources
    from gengap.data.identity import data_identity

    raw = _data_copy(tmp_path)
    labels = raw / "t10k-labels-idx1-ubyte"
    content = labels.read_bytes()
    labels.unlink()
    labels.write_bytes(content)
    results = tmp_path / "results"
    identity = data_identity("mnist", tmp_path / "data", results)
    atomic.save_json({"identity": identity}, results / "datasets" / "mnist.source.json")
    sources.prepare_dataset("mnist", tmp_path / "data", results / "datasets" / "mnist.pt")
    assert data_identity("mnist", tmp_path / "data", results) == identity
    before = labels.stat()
    changed = bytearray(content)
    changed[-1] = (changed[-1] + 1) % 10
    with open(labels, "r+b") as f:  # same size, and the old mtime put back
        f.write(changed)
    os.utime(labels, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert labels.stat().st_mtime_ns == before.st_mtime_ns and labels.stat().st_size == before.st_size
    assert data_identity("mnist", tmp_path / "data", results) != identity


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefg", "bcdefgh")) + \
    f"seeds: [{', '.join(['*h'] * 9)}]\n"


@pytest.mark.parametrize("text, line, problem", [
    ("training:\n  lr: .nan\n", 2, ".nan is not a finite number"),
    ("training:\n  max_epochs: 10\n  lr: -.inf\n", 3, "-.inf is not a finite number"),
    (BOMB, 9, "more than 64 aliases"),
    ("suites: " + "[" * 40 + "]" * 40 + "\n", 1, "nested deeper than 32 levels"),
])
def test_config_slips_are_refused_with_their_line(tmp_path, text, line, problem):
    import gengap.config as plan

    path = tmp_path / "config.yaml"
    path.write_text(text)
    start = time.monotonic()
    with pytest.raises(plan.ConfigError, match=f"{path}, line {line}, column \\d+: {problem}"):
        plan.read_yaml(path)
    assert time.monotonic() - start < 5


def test_an_alias_bomb_with_few_aliases_is_refused_by_its_size(tmp_path):
    import gengap.config as plan

    wide = ", ".join(["x"] * 60)
    text = f"a: &a [{wide}]\n" + "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 8)}]\n" for p, c in zip("abcd", "bcde"))
    (tmp_path / "c.yaml").write_text(text)  # 32 aliases, 245,000 values expanded
    with pytest.raises(plan.ConfigError, match="values once its aliases"):
        plan.read_yaml(tmp_path / "c.yaml")


def test_non_finite_numbers_from_the_command_line_are_refused_with_the_key():
    import gengap.config as plan

    config = plan.read_yaml(REPO / "config.yaml")
    config["training"]["lr"] = float("nan")  # --config arrives parsed: training={lr: nan}
    with pytest.raises(plan.ConfigError, match=r"training.lr: nan is not a finite number \(config\['training'\]\['lr'\]\)"):
        plan.prepare(config)


def test_docstrings_are_not_code():
    from gengap.provenance import code_only

    code = 'def f(x):\n    """What f does."""\n    return g(x)\n'
    for text in ('def f(x):\n    """What f does,\n    in other words."""\n    return g(x)\n',
                 "def f(x):\n    'Short.'\n    return g(x)\n",
                 '"""A module."""\ndef f(x):\n    """What f does."""\n    return g(x)\n'.replace('"""A module."""\n', "")):
        assert code_only(text) == code_only(code), text
    assert code_only('def f(x):\n    x = "not a docstring"\n    return g(x)\n') != code_only(
        'def f(x):\n    x = "other"\n    return g(x)\n')
