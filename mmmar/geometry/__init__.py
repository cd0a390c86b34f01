"""Pure camera/depth geometry of MAR (no registry, no model code).

Each paper equation is one named function (torch, differentiable) with a
float64 numpy twin ``*_np``:

- Eq. 1: :func:`back_project` / :func:`project`
- Eq. 6, 9: :func:`laplace_nll`
- Eq. 7-8: :func:`geometry_depth`
- Eq. 12: :func:`fuse_depths`

plus intrinsics helpers (numpy or torch): :func:`focal_of`,
:func:`intrinsics_matrix`, :func:`affine_to_3x3`,
:func:`transform_intrinsics`, :func:`flip_affine`, :func:`flip_camera`, image-space
affines of points (:func:`transform_points`, :func:`inverse_input_transform`), and the
default camera of an image
without intrinsics, :func:`default_intrinsics` (``DEFAULT_FOV_DEG``).
"""
from .camera import (DEFAULT_FOV_DEG, affine_to_3x3, back_project, back_project_np,
                     default_intrinsics, flip_affine, flip_camera, focal_of, focal_of_np,
                     intrinsics_matrix, inverse_input_transform, pixel_rays, pixel_rays_np, project,
                     project_np, transform_intrinsics, transform_points)
from .depth import (fuse_depths, fuse_depths_np, geometry_depth, geometry_depth_np, laplace_nll,
                    laplace_nll_np)

__all__ = [
    'back_project', 'back_project_np', 'project', 'project_np', 'pixel_rays',
    'pixel_rays_np', 'geometry_depth', 'geometry_depth_np', 'laplace_nll',
    'laplace_nll_np', 'fuse_depths', 'fuse_depths_np', 'focal_of',
    'focal_of_np', 'intrinsics_matrix', 'affine_to_3x3',
    'transform_intrinsics', 'flip_camera', 'default_intrinsics', 'DEFAULT_FOV_DEG',
    'flip_affine', 'transform_points', 'inverse_input_transform'
]
