"""Trivial baselines to print beside a model's MuPoTS-protocol scores (plain numpy).

A 3D pose score means little alone: a network whose root-relative pose is no better than a
constant mean pose has learned no 3D pose, whatever its PCK. :func:`mean_pose_guess` builds
that constant guess with everything else perfect: every ground-truth person is "found" with
its true 2D pose (so the official 2D matching pairs it with itself) and its true root, and
its root-relative 3D pose is the *training split's* mean root-relative pose. It scores
PCK_root 100 and PCOD 100 by construction; its PCK_rel / MPJPE_rel are what a model must beat
to have learned any root-relative 3D pose.

The other bound, the codec's perfect-map ceiling (ground truth encoded and decoded), needs the
codec and lives with the tools (``tools/analysis_tools/baselines.py``).

Example::

    from mmmar.evaluation.functional import load_mupots_gt, mean_pose_baseline
    train, _, _ = load_mupots_gt('annotations/synthetic_train.json')
    test, _, _ = load_mupots_gt('annotations/synthetic_test.json')
    res = mean_pose_baseline(train, test)      # evaluate_mupots's result dict
"""
from typing import Any, Dict, Hashable, Mapping

import numpy as np

from mmmar.structures.skeleton import NUM_JOINTS, ROOT
from .mupots_eval import evaluate_mupots

__all__ = ['mean_relative_pose', 'mean_pose_guess', 'mean_pose_baseline']

Frames = Mapping[Hashable, Mapping[Hashable, Mapping[str, Any]]]


def _valid_people(frame: Mapping[str, Any]):
    """The frame's (2D, 3D) people that ``valid`` marks (all when it has no ``valid``)."""
    k2 = np.asarray(frame['keypoints_2d'], np.float64).reshape(-1, NUM_JOINTS, 2)
    k3 = np.asarray(frame['keypoints_3d'], np.float64).reshape(-1, NUM_JOINTS, 3)
    valid = frame.get('valid')
    if valid is not None:
        valid = np.asarray(valid, bool).reshape(-1)
        k2, k3 = k2[valid], k3[valid]
    return k2, k3


def mean_relative_pose(gt_frames: Frames, root_index: int = ROOT) -> np.ndarray:
    """The mean root-relative 3D pose (17, 3) mm of every valid person of ``gt_frames``
    (``{seq: {frame: dict(keypoints_2d, keypoints_3d[, valid])}}``, as
    :func:`~mmmar.evaluation.functional.load_mupots_gt` returns)."""
    total, count = np.zeros((NUM_JOINTS, 3)), 0
    for seq, frames in gt_frames.items():
        for key, frame in frames.items():
            _, k3 = _valid_people(frame)
            if not np.all(np.isfinite(k3)):
                raise ValueError(f'sequence {seq!r} frame {key!r}: keypoints_3d is not finite')
            total += (k3 - k3[:, root_index:root_index + 1]).sum(0)
            count += len(k3)
    if count == 0:
        raise ValueError('mean_relative_pose: the ground truth has no valid person')
    return total / count


def mean_pose_guess(gt_frames: Frames, mean_pose: np.ndarray,
                    root_index: int = ROOT) -> Dict[Hashable, Dict[Hashable, dict]]:
    """Predictions of the mean-pose guess for ``gt_frames``: per valid ground-truth person
    its true 2D pose, and its true root plus ``mean_pose`` (17, 3, root-relative mm) in 3D.
    Same nesting as ``gt_frames`` (the ``pred_frames`` of :func:`evaluate_mupots`)."""
    mean_pose = np.asarray(mean_pose, np.float64)
    if mean_pose.shape != (NUM_JOINTS, 3) or not np.all(np.isfinite(mean_pose)):
        raise ValueError(f'mean_pose must be a finite ({NUM_JOINTS}, 3) array, got '
                         f'shape {mean_pose.shape}')
    mean_pose = mean_pose - mean_pose[root_index]
    preds = {}
    for seq, frames in gt_frames.items():
        preds[seq] = {}
        for key, frame in frames.items():
            k2, k3 = _valid_people(frame)
            preds[seq][key] = dict(keypoints_2d=k2.copy(),
                                   keypoints_3d=k3[:, root_index:root_index + 1] + mean_pose)
    return preds


def mean_pose_baseline(train_frames: Frames, test_frames: Frames,
                       **eval_kwargs) -> Dict[str, Any]:
    """:func:`evaluate_mupots` of :func:`mean_pose_guess` on ``test_frames`` with the mean
    pose of ``train_frames``; ``eval_kwargs`` go to :func:`evaluate_mupots`. The result also
    holds ``mean_pose`` (17, 3) as a list."""
    mean_pose = mean_relative_pose(train_frames)
    res = evaluate_mupots(test_frames, mean_pose_guess(test_frames, mean_pose), **eval_kwargs)
    res['mean_pose'] = mean_pose.tolist()
    return res
