"""The design card's usage: plain ``MMPoseInferencer(pose2d=<config>, pose2d_weights=<shipped
checkpoint>)`` builds the config as mmengine reads it (nothing synchronised) and finds the
same people as :class:`mmmar.apis.MARInferencer` on the same image, at the model's own input
size (before issue 22 it ran the 256x256 model at 832x512 and found 2 people where
MARInferencer found 4)."""
import cv2
import numpy as np
import torch

from mmmar.testing import get_repo_dir

CONFIG = 'configs/mar_hrnet-small_synthetic-v2-256x256.py'
WEIGHTS = 'demo/checkpoints/mar_hrnet-small_synthetic-v2-256x256.pth'


def _synthetic_image(path, people=4, seed=3):
    """A v2 synthetic image (320x240, lossless) with ``people`` people."""
    from mmmar.datasets.synthetic.generator import make_K, render_image
    W, H = 320, 240
    K = make_K(1.1 * W, 1.1 * W, W / 2., H / 2.)
    img, poses, _ = render_image([seed, people, 22], K, (W, H), people, version=2)
    cv2.imwrite(path, img)
    return len(poses)


def test_mmpose_inferencer_finds_the_people_of_mar_inferencer(tmp_path):
    from mmpose.apis import MMPoseInferencer

    from mmmar.apis import MARInferencer
    root = get_repo_dir()
    img = str(tmp_path / 'synthetic.png')
    _synthetic_image(img)
    torch.manual_seed(0)
    mar = MARInferencer(pose2d=f'{root}/{CONFIG}', pose2d_weights=f'{root}/{WEIGHTS}',
                        device='cpu')
    ours = next(mar(img, return_datasamples=True))['predictions'][0]
    assert tuple(ours.metainfo['input_size']) == (256, 256)
    ours = ours.pred_instances
    mmpose = MMPoseInferencer(pose2d=f'{root}/{CONFIG}', pose2d_weights=f'{root}/{WEIGHTS}',
                              device='cpu')
    theirs = next(mmpose(img))['predictions'][0]
    assert mmpose.inferencer.model.head.decoder.input_size == (256, 256)
    assert len(ours.keypoints) >= 3
    assert len(theirs) == len(ours.keypoints)
    # the same people, in the same order: MMPoseInferencer's 'keypoints' are MAR's 3D joints
    got = np.stack([np.asarray(p['keypoints']) for p in theirs])
    np.testing.assert_allclose(got, ours.keypoints, rtol=1e-4, atol=1e-2)
    np.testing.assert_allclose([p['bbox_score'] for p in theirs], ours.bbox_scores, atol=1e-5)
