"""The one error family of the workbench.

Every error carries a message written for a user (one line: what is wrong and
what to do) and the exit code the CLI returns for it:

- 1 ``DamageFound``: a check ran and found damage;
- 2 ``UsageError``: bad input or usage (including safety refusals);
- 3 ``OperationFailed``: the operation itself failed.
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base class; ``exit_code`` is what the CLI returns."""

    exit_code = 3

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class DamageFound(WorkbenchError):
    """A check or verify found damage, or stored data read back is damaged."""

    exit_code = 1


class RestoreIncomplete(DamageFound):
    """A restore wrote everything it could read; the damaged rest is named and left out.

    Apart from other damage because a rescue (``--rescue``, or the engine's last resort)
    accepts it: what was written is all the point still holds.
    """


class UsageError(WorkbenchError):
    """Bad input or usage: the user can fix it by changing the call."""

    exit_code = 2


class SafetyError(UsageError):
    """The workbench refused to touch something that is not its own."""


class NotRootError(UsageError):
    """The operation needs root (loop devices, mounts)."""


class MissingToolError(UsageError):
    """A system tool is not installed; the message names the apt package."""


class OperationFailed(WorkbenchError):
    """A command or an operation failed for a reason outside the user's input."""


class Interrupted(BaseException):
    """Raised from the SIGTERM handler so that every ``finally`` releases its resources.

    A BaseException, like KeyboardInterrupt, so ``except Exception`` does not swallow it.
    """
