# The project's runtime parts: tracker, smoother and visualiser, registered into mmpose's
# TASK_UTILS / VISUALIZERS by the `mar_video` package, which the configs using this file import
# with `custom_imports` (`projects/mar_video` must be on PYTHONPATH; demo.py and the tools
# arrange it). No key here overlaps the core configs (mmengine forbids that between bases).

# fps is replaced by the video's own frame rate at run time.
tracker = dict(
    type='PoseTracker3D',
    fps=25.,
    w_3d=0.5,  # weight of the 3D root distance vs 1 - OKS (2D)
    dist_scale=1000.,  # mm at which the 3D term saturates
    max_dist=800.,  # gate on the root distance (mm) after one frame
    max_speed=1000.,  # the gate grows by this (mm/s) while a track is missed
    max_velocity=2500.,  # largest speed of a track's constant-velocity prediction (mm/s)
    max_cost=0.85,
    min_hits=2,  # birth: confirmed after 2 matched frames
    max_age=50,  # death: after 50 missed frames (2 s at 25 fps)
    predict_frames=None,  # constant-velocity prediction through the whole gap
    depth_weight=0.5,  # MAR's depth is noisier than X, Y: half weight on dZ
    alpha=0.4,  # alpha-beta filter of each track's root
    beta=0.05,
    full_gate=True,  # after misses the whole gate is usable (max_cost: previous frame only)
    rescale_test=True,  # a camera zoom (all depths scaled at once) keeps the IDs
    rescale_min=0.2)  # gates and rescale chosen on the generated video of seed 1 (HOTA)
# One Euro parameters (cutoffs in Hz; beta in Hz per unit/s), chosen on the generated video of
# seed 1 (the README reports seed 0): the root depth strongly smoothed, the root's viewing ray
# lightly (little lateral lag), the root-relative joints in between.
smoother = dict(
    type='OneEuroPoseSmoother',
    fps=25.,
    depth_min_cutoff=0.4,
    depth_beta=0.0002,  # per mm/s
    ray_min_cutoff=3.0,
    ray_beta=10.0,  # per 1/s (ray = X/Z, Y/Z)
    pose_min_cutoff=1.0,
    pose_beta=0.002,  # per mm/s
    d_cutoff=1.0)
# Offline, zero-lag smoothing of whole tracks for the BVH export (forward-backward Butterworth,
# cutoffs in Hz), chosen on the generated video of seed 1 like the One Euro parameters.
offline_smoother = dict(
    type='ZeroLagPoseSmoother', fps=25., depth_cutoff=0.5, ray_cutoff=3.0, pose_cutoff=2.0)
video_visualizer = dict(type='MARVideoVisualizer', name='mar_video')
