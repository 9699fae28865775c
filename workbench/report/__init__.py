"""The report layer: plots, summary tables and one self-contained HTML file from a results folder.

It only reads result tables (``results.csv`` / ``results.parquet`` and ``run.json``);
it never touches a disk, so it runs without root on results made elsewhere.
"""
