"""Data Protection Workbench: measure image, backup, clone and mirror on real loopback disks."""

__version__ = "0.1.0"
