"""mmmar: Mutual Adaptive Reasoning for monocular 3D multi-person pose estimation, on mmpose."""
import os.path as osp
from setuptools import find_packages, setup


def readme():
    with open('README.md', encoding='utf-8') as f:
        return f.read()


def get_version():
    ns = {}
    with open(osp.join('mmmar', 'version.py'), encoding='utf-8') as f:
        exec(compile(f.read(), 'version.py', 'exec'), ns)
    return ns['__version__']


def parse_requirements(fname):
    """Read a requirements file, skipping comments and -r includes."""
    reqs = []
    with open(fname, encoding='utf-8') as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line and not line.startswith('-'):
                reqs.append(line)
    return reqs


setup(
    name='mmmar',
    version=get_version(),
    description='MAR (ACM MM 2022) bottom-up monocular 3D multi-person pose '
    'estimation as mmpose components',
    long_description=readme(),
    long_description_content_type='text/markdown',
    author='mmmar contributors',
    license='Apache License 2.0',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'demo', 'projects')),
    include_package_data=True,
    python_requires='>=3.9',
    install_requires=parse_requirements('requirements/runtime.txt'),
    extras_require={
        'tests': parse_requirements('requirements/tests.txt'),
        'optional': parse_requirements('requirements/optional.txt'),
        'mim': parse_requirements('requirements/mminstall.txt'),
    },
    zip_safe=False,
)
