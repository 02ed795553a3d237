"""The one exception type that reaches users as a single line on stderr."""


class UserError(Exception):
    """A problem the user can fix: shown as `error: <message>` with a non-zero exit code."""

    exit_code = 1
