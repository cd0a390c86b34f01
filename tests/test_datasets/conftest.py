"""Fixtures of the dataset tests; the builders live in :mod:`mmmar.testing`."""
import pytest


@pytest.fixture(scope='session')
def synth(tmp_path_factory):
    """A small synthetic dataset shared by several tests."""
    from mmmar.datasets.synthetic import generate_synthetic_dataset
    out = tmp_path_factory.mktemp('synth')
    info = generate_synthetic_dataset(str(out), num_images=24, num_sequences=4,
                                      num_test_sequences=1, max_people=6, seed=3)
    info['root'] = str(out)
    return info
