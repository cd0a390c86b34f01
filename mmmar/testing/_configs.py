"""Small model configs for the tests."""


def _branches(num, block, channels, **kwargs):
    """One HRNet stage of one module with ``num`` branches of one block each."""
    return dict(num_modules=1, num_branches=num, block=block, num_blocks=(1, ) * num,
                num_channels=channels, **kwargs)


def tiny_hrnet(channels=(8, 16, 32, 64)):
    """A tiny 4-branch HRNet backbone config (random init, CPU-fast).

    Args:
        channels (tuple[int]): Channels of the four branches.

    Returns:
        dict: The ``backbone`` config.
    """
    c = channels
    return dict(
        type='HRNet',
        in_channels=3,
        extra=dict(
            stage1=_branches(1, 'BOTTLENECK', (8, )),
            stage2=_branches(2, 'BASIC', c[:2]),
            stage3=_branches(3, 'BASIC', c[:3]),
            stage4=_branches(4, 'BASIC', c, multiscale_output=True)),
        init_cfg=None)
