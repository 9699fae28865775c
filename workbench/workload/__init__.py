"""Workloads: profiles (``datasets/*.yaml``), deterministic tree building and daily churn."""
