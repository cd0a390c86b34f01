"""Registration of all mmmar components into mmpose's registries."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register mmpose's and mmmar's modules into mmpose's registries.

    Mirrors :func:`mmpose.utils.register_all_modules`, which neither imports the
    inferencers: :class:`mmmar.apis.MARInferencer` registers when ``mmmar.apis`` is imported,
    e.g. by the configs' ``custom_imports``. mmmar components live in mmpose's registries
    (scope ``'mmpose'``), so after this call ``MODELS.build(dict(type='MARHead'))`` works
    under ``default_scope='mmpose'``.

    Args:
        init_default_scope (bool): Whether to set the default scope to ``'mmpose'``.
    """
    from mmpose.utils import register_all_modules as register_mmpose
    register_mmpose(init_default_scope=False)

    import mmmar.codecs  # noqa: F401
    import mmmar.datasets  # noqa: F401
    import mmmar.engine  # noqa: F401
    import mmmar.evaluation  # noqa: F401
    import mmmar.models  # noqa: F401
    import mmmar.visualization  # noqa: F401

    if init_default_scope:
        never_created = DefaultScope.get_current_instance() is None \
            or not DefaultScope.check_instance_created('mmpose')
        if never_created:
            DefaultScope.get_instance('mmpose', scope_name='mmpose')
            return
        current_scope = DefaultScope.get_current_instance()
        if current_scope.scope_name != 'mmpose':
            warnings.warn('The current default scope '
                          f'"{current_scope.scope_name}" is not "mmpose", '
                          '`register_all_modules` will force the current'
                          'default scope to be "mmpose". If this is not '
                          'expected, please set `init_default_scope=False`.')
            new_instance_name = f'mmpose-{datetime.datetime.now()}'
            DefaultScope.get_instance(new_instance_name, scope_name='mmpose')
