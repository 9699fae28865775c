"""The phases of one cell, in the order ``runner.run_cell`` tells them.

1. ``build.build_disk``: the strategy bound to its target, and a fresh source disk with the profile's data.
2. ``simulate.simulate_hours``: the simulated hours up to the detection: the users' churn, the protect
   runs on the strategy's schedule, the ground truth each run may capture, the state at the fault;
3. ``strike.strike``: each fault on its hour (called from within the hours; timed as its own phase).
4. ``recover.recover_cell``: recovery as a user of the strategy would go about it.
5. ``score.judge``: what came back, as the judge reads it (the root tree and the disk's facts).
6. ``boot_check.boot_check`` (``--boot-check``, profiles with an OS): boot the recovered disk when its boot
   could have changed.
7. ``score.score_cell``: what came back, against the ground truth, as one results row.

``timing.PhaseClock`` records each phase's wall seconds in the cell's details (``phases_s``).
"""
