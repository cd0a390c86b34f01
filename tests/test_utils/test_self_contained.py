"""The repository is self-contained: its test fixtures live in ``tests/data`` (tracked by git)
and no file names an absolute path of a machine or a directory beside the checkout."""
import os.path as osp
import re
import subprocess

from mmmar.testing import SHARED_DATA

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))

# built from pieces so that this file does not match itself
_FORBIDDEN = re.compile('|'.join([
    re.escape('/' + 'work/'),
    re.escape('..' + '/shared'),
    re.escape('/' + 'home/'),
    re.escape('/' + 'root/'),
    re.escape('/' + 'Users/'),
    re.escape('/' + 'mnt/'),
]))


def _repo_files():
    """Tracked files plus untracked, not ignored ones (what a commit would carry)."""
    out = subprocess.run(['git', 'ls-files', '--cached', '--others', '--exclude-standard', '-z'],
                         cwd=ROOT, check=True, capture_output=True).stdout
    files = [f for f in out.decode().split('\0') if f]
    assert len(files) > 50, f'git ls-files listed only {len(files)} files under {ROOT}'
    return files


def test_no_absolute_or_outside_paths_in_repository():
    hits = []
    for rel in _repo_files():
        path = osp.join(ROOT, rel)
        if not osp.isfile(path):  # deleted in the work tree
            continue
        with open(path, 'rb') as f:
            data = f.read()
        if b'\0' in data:  # binary (images, npz, pkl)
            continue
        for n, line in enumerate(data.decode('utf-8', 'replace').splitlines(), 1):
            if _FORBIDDEN.search(line):
                hits.append(f'{rel}:{n}: {line.strip()}')
    assert not hits, 'paths outside the repository:\n' + '\n'.join(hits)


def test_fixtures_are_inside_the_repository_and_tracked():
    assert osp.realpath(SHARED_DATA) == osp.realpath(osp.join(ROOT, 'tests', 'data'))
    files = set(_repo_files())
    # every fixture file the suite reads is committed (not hidden by .gitignore)
    for rel in ('SOURCE.md', 'coco/test_coco.json', 'h36m/test_h36m_body3d.npz',
                'h36m/cameras.pkl', 'mpi_inf_3dhp/test_3dhp_test.npz',
                'panoptic_body3d/160906_band1/calibration_160906_band1.json'):
        assert f'tests/data/{rel}' in files, f'tests/data/{rel} is not tracked by git'
    ignored = subprocess.run(['git', 'check-ignore', 'tests/data/coco/test_coco.json'],
                             cwd=ROOT, capture_output=True)
    assert ignored.returncode == 1, 'tests/data is ignored by .gitignore'
