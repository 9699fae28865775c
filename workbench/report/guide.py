"""The report's reading guide, in our own words: what each measure means and where it stops."""

READING_GUIDE = """
<dt>Cells, strategies and scenarios</dt>
<dd>Each cell is one strategy protecting a freshly built system disk through a scenario: some simulated days of
work, then a fault, then the recovery a user of that strategy would make. Every number comes from real operations
on real disk images on the machine named in the run record, judged file by file against what the disk held just
before the fault.</dd>
<dt>Bytes recovered intact</dt>
<dd>Of the bytes the disk held just before the fault, the share that came back with exactly the right content.
The rest were lost (missing, or content that never existed) or stale (an older true version came back).</dd>
<dt>RPO, recovery point objective (simulated hours)</dt>
<dd>How much recent work the recovery gave up, for the data the strategy covers: the age of the oldest version that
came back, counted from the fault. 0 means nothing was lost in time; 24 means the last day of changes is gone (files
made since the newest restore point count as that old). <b>lost</b> means some covered data is gone for good: a
restore point once held it and none brought it back (a mirror that copied a deletion, ransomware in every point), or
the strategy keeps no point at all. That is never 0, and no number of hours describes it. A missing value means the
strategy covers no file. Loss outside what a strategy covers shows in the bytes, not here. Hours are simulated, so
the schedule (a nightly backup, a weekly full image) sets the RPO, not this machine's speed.</dd>
<dt>How damage reached the target</dt>
<dd><i>attack</i>: the fault itself reached the protection (ransomware walked a mirror folder or a repository that
was attached, bits flipped in a target); <i>propagation</i>: the strategy's own runs copied the damage onto its
target (a sync copied the ciphertext or the deletion, a backup stored the encrypted files as a new version);
<i>none</i>: the target stayed as it was. A mirror kept offline between its runs shows propagation; kept attached,
attack.</dd>
<dt>RTO, recovery time objective (seconds)</dt>
<dd>How long the recovery took in real time on this machine: finding the restore point, restoring or attaching,
copying back. Verifying afterwards is not counted. Small test disks make every RTO small; compare strategies with
each other rather than reading the seconds as a promise for a real disk.</dd>
<dt>Space amplification (ratio)</dt>
<dd>The bytes the protection occupies on its target divided by the bytes of data it covers, as they are really
stored (allocated bytes, holes and second names of a hard link not counted; a disk's used blocks). Below 1 means
compression or sharing saves space; 1 is one plain copy; above 1 means versions or overhead cost extra, and about 2
a second copy of everything (RAID 1). A clone also reserves a whole disk, shown as capacity reserved.</dd>
<dt>Scope</dt>
<dd>What a strategy covers: the whole disk (image, clone), the users' folders (backup, the mirrors) or the
filesystem (raid1). Outcomes are always judged against the whole disk, so a folder-level strategy cannot bring back
what lies outside its folders; that is part of the lesson, not an error.</dd>
<dt>Came back clean</dt>
<dd>Yes when no file on the recovered system holds content that never was a true version of it, such as
ransomware's ciphertext or rotted bytes. A recovery can be incomplete and still clean; a mirror that copied the
damage is not.</dd>
<dt>Disk checks</dt>
<dd>Whether the recovered disk has the partition table, boot code, ESP files and filesystem UUID it had before the
fault, and whether fsck finds the root filesystem clean. A freshly made disk does not pass them.</dd>
<dt>Repetitions</dt>
<dd>A repetition reruns a cell with the same seed: the outcomes stay the same, only the timings move. Timings are
shown as the median with the min–max range. A failed repetition is listed with its error and left out of every
median.</dd>
"""
