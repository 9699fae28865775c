"""Engines of the tools people run, behind the same protocol as the workbench's own (``strategies.base``).

Each engine runs its tool as a subprocess through ``proc`` (partclone, a disk
tool, through ``disk.partclone``) and reads the tool's output in a small
adapter of its own (``*_output``), a pure module tested on captured output.
Mirror family: ``rsync`` (``mirror-sync/rsync``), ``unison``
(``mirror-two-way/unison``). Image family: ``partclone`` (``image/partclone``).
"""
