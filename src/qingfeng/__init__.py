"""qingfeng (清风): big-data supervision platform for public power."""

__version__ = "0.1.0"
