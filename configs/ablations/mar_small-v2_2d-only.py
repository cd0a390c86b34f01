# Control (issue 21, "2D first"): the same backbone and head trained on the 2D parts alone:
# heatmaps, PAFs and the offsets' du, dv. No relative depth (the offsets' dZ), no root depth
# (Eq. 6), no geometry depth (Eq. 9, hence no Eq. 10 gradient): the depth branches stay at their
# initialisation and no depth gradient reaches the backbone. Scored by the COCO keypoint AP of its
# 2D joints (`tools/analysis_tools/eval_mupots.py --keypoint-ap`) beside (d) trained the same way.
_base_ = ['../mar_hrnet-small_synthetic-v2-256x256.py']
num_keypoints = 17  # the MuPoTS-3D skeleton
model = dict(
    head=dict(
        offset_loss=dict(channel_weights=[1.] * (2 * num_keypoints) + [0.] * num_keypoints),
        reg_loss=dict(loss_weight=0.),
        geo_loss=dict(loss_weight=0.)))
