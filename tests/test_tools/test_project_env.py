"""Issue 15.1-2: the tools use the project's Python; `make` lists its targets; the mmcv compile
shows a heartbeat.

* ``tools/dist_train.sh`` with a PATH whose only ``python`` cannot import torch and ``VENV``
  pointing at this environment gets past the module error to the missing-data error;
* ``tools/project_python.sh`` picks PYTHON, then $VENV, the active venv, the repo's .venv,
  then ``python``, and says which;
* a Python entry point started with an interpreter that has no torch re-runs itself under the
  project environment, or explains what to do when there is none;
* ``heartbeat_run`` (``tools/heartbeat.sh``, used by ``tools/install_env.sh``) reports elapsed
  time and compiled objects while a command runs and returns its exit status at once.
"""
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import time

from .conftest import REPO, free_port

#: this test environment (tests run with its python)
THIS_VENV = osp.dirname(osp.dirname(sys.executable))
BASE_PYTHON = getattr(sys, '_base_executable', sys.executable)


def _clean_env(**kw):
    env = {k: v for k, v in os.environ.items()
           if k not in ('PYTHON', 'VENV', 'VIRTUAL_ENV', 'PYTHONPATH', 'MMMAR_PROJECT_PYTHON')}
    env['OMP_NUM_THREADS'] = '1'
    env.update(kw)
    return env


def _stub(path, text):
    path.write_text('#!/bin/sh\n' + text + '\n')
    path.chmod(0o755)


def test_dist_train_uses_the_venv_not_the_path_python(tmp_path):
    assert osp.isfile(osp.join(THIS_VENV, 'bin', 'python')), THIS_VENV
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    for tool in ('bash', 'dirname', 'env'):
        os.symlink(shutil.which(tool), bin_dir / tool)
    # the PATH's python is one without torch (what an un-activated shell finds)
    _stub(bin_dir / 'python', 'echo "Error while finding module specification for '
          "'torch.distributed.run' (ModuleNotFoundError: No module named 'torch')\" >&2; exit 1")
    env = _clean_env(PATH=str(bin_dir), VENV=THIS_VENV, PORT=str(free_port()))
    t0 = time.time()
    proc = subprocess.run(
        ['bash', osp.join(REPO, 'tools', 'dist_train.sh'),
         osp.join(REPO, 'configs', 'mar_hrnet-w32_muco.py'), '1'],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=300)
    out = proc.stdout
    print(f'dist_train.sh: {time.time() - t0:.1f} s')
    assert proc.returncode != 0
    assert f'[mmmar] python: {THIS_VENV}/bin/python (from VENV)' in out, out[-3000:]
    assert 'No module named' not in out, out[-3000:]
    # past the environment: the clear data error naming the MuCo annotation file
    assert re.search(r'FileNotFoundError: .*annotation file not found: .*MuCo-3DHP\.json',
                     out), out[-3000:]


def test_project_python_sh_order(tmp_path):
    repo = tmp_path / 'repo'
    (repo / 'tools').mkdir(parents=True)
    shutil.copy(osp.join(REPO, 'tools', 'project_python.sh'), repo / 'tools')
    for name in ('venv_a', 'active', 'repo/.venv'):
        (tmp_path / name / 'bin').mkdir(parents=True)
        _stub(tmp_path / name / 'bin' / 'python', 'exit 0')

    def pick(**kw):
        proc = subprocess.run(
            ['bash', '-c', 'source "$1"; echo "PICKED=$PYTHON"', '_',
             str(repo / 'tools' / 'project_python.sh')],
            env=_clean_env(**kw), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            check=True)
        picked = proc.stdout.strip().split('PICKED=')[1]
        assert f'[mmmar] python: {picked} (from ' in proc.stderr  # it says which
        return picked, proc.stderr

    venv_a, active = str(tmp_path / 'venv_a'), str(tmp_path / 'active')
    assert pick(PYTHON='/opt/py', VENV=venv_a)[0] == '/opt/py'
    assert pick(VENV=venv_a, VIRTUAL_ENV=active)[0] == f'{venv_a}/bin/python'
    assert pick(VENV=str(tmp_path / 'nothing'), VIRTUAL_ENV=active)[0] == f'{active}/bin/python'
    assert pick()[0] == f'{repo}/.venv/bin/python'
    shutil.rmtree(repo / '.venv')
    picked, err = pick()
    assert picked == 'python' and "run 'make install'" in err


def test_python_entry_point_reruns_under_the_project_env(tmp_path):
    # the base interpreter without site-packages: no torch
    cmd = [BASE_PYTHON, '-S', osp.join(REPO, 'tools', 'train.py'), '--help']
    proc = subprocess.run(cmd, cwd=tmp_path, env=_clean_env(VENV=THIS_VENV),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'cannot import torch' in proc.stderr
    assert f'using the project environment: {THIS_VENV}/bin/python (from VENV)' in proc.stderr
    assert 'usage: train.py' in proc.stdout

    # no project environment anywhere: a copy of the helper outside any checkout
    (tmp_path / 'tools').mkdir()
    shutil.copy(osp.join(REPO, 'tools', 'project_python.py'), tmp_path / 'tools')
    script = tmp_path / 'tools' / 'entry.py'
    script.write_text('import sys, os.path as osp\n'
                      'sys.path.insert(0, osp.dirname(osp.abspath(__file__)))\n'
                      'from project_python import ensure_project_python\n'
                      'ensure_project_python()\nprint("ran")\n')
    proc = subprocess.run([BASE_PYTHON, '-S', str(script)], env=_clean_env(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=60)
    assert proc.returncode == 1 and 'ran' not in proc.stdout
    assert 'cannot import torch' in proc.stderr and 'make install' in proc.stderr
    assert 'source .venv/bin/activate' in proc.stderr
    # with this environment's python nothing happens
    proc = subprocess.run([sys.executable, str(script)], env=_clean_env(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=60)
    assert proc.returncode == 0 and proc.stdout == 'ran\n' and proc.stderr == ''


def _heartbeat(cmd, interval, obj_dir, total):
    script = (f'set -euo pipefail; source "{REPO}/tools/heartbeat.sh"; '
              f'rc=0; heartbeat_run {interval} "mmcv compile" "{obj_dir}" "{total}" -- '
              f'bash -c \'{cmd}\' || rc=$?; echo "rc=$rc"')
    t0 = time.time()
    proc = subprocess.run(['bash', '-c', script], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=60)
    return proc, time.time() - t0


def test_heartbeat_reports_progress_and_exit_status(tmp_path):
    obj = tmp_path / 'build'
    obj.mkdir()
    # a fake compile: one object file every 0.5 s, 6 in all (about 3 s)
    cmd = f'for i in 1 2 3 4 5 6; do sleep 0.5; touch {obj}/o$i.o; done'
    proc, _ = _heartbeat(cmd, 1, obj, 77)
    assert proc.stdout.strip() == 'rc=0'
    beats = re.findall(r'^\[install\] mmcv compile: (\d+)m(\d\d)s elapsed, (\d+)/77 objects '
                       r'compiled$', proc.stderr, re.M)
    assert len(beats) >= 1, proc.stderr
    elapsed = [60 * int(m) + int(s) for m, s, _ in beats]
    counts = [int(n) for _, _, n in beats]
    assert elapsed == sorted(set(elapsed)) and all(e >= 1 for e in elapsed)
    assert counts == sorted(counts) and all(0 <= n <= 6 for n in counts)

    # the command's failure is returned, and a long interval does not delay the return (a
    # sleeping heartbeat must not keep the output pipe open)
    proc, wall = _heartbeat('sleep 1; exit 3', 30, tmp_path / 'none', '')
    assert proc.stdout.strip() == 'rc=3' and proc.stderr == ''
    assert wall < 15, wall


def test_make_without_target_lists_the_targets():
    proc = subprocess.run(['make', '-s', '-C', REPO], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    with open(osp.join(REPO, 'Makefile')) as f:
        phony = re.search(r'^\.PHONY:(.*)$', f.read(), re.M).group(1).split()
    assert {'install', 'test', 'demo', 'help'} <= set(phony)
    for target in phony:  # every target, with a description
        assert re.search(rf'^  make {re.escape(target)} +\S.{{10,}}$', proc.stdout, re.M), \
            (target, proc.stdout)
    assert '[install]' not in proc.stdout + proc.stderr  # nothing was installed
