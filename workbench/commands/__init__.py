"""Every ``workbench`` command as a plain function with keyword arguments.

Scripts, notebooks and tests call these directly; the CLI (``workbench.cli``)
only turns its arguments into one call and prints what comes back. Each
function returns data (restore points, reports, rows, records) and prints
nothing; errors are the ``WorkbenchError`` family. One module per command
group: ``disk``, ``dataset``, ``manifest``, ``image``, ``clone``, ``backup``,
``mirror``, ``fault``, ``compare``, ``report`` and ``cleanup``.

    from workbench.commands.disk import disk_create
    from workbench.commands.image import image_protect, image_points

    disk_create("pc.img", layout="system", size="256M")
    image_protect(disk="pc.img", target="images/pc")
    image_points(target="images/pc").points
"""
