__version__ = '0.1.0'
short_version = __version__
