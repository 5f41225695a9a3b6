"""The one base class of errors a sandbox user can meet (bad input, unknown user, wrong SMS code, ...)."""


class SandboxError(Exception):
    """A refusal with a message fit to show a person as is (it never contains a secret)."""
