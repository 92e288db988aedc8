"""Errors shared by every domain; views turn them into 4xx answers a person understands."""


class LookoutError(Exception):
    """Base for refusals that carry a message meant for the person who caused them."""

    status_code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(LookoutError):
    status_code = 404


class Forbidden(LookoutError):
    status_code = 403


class Conflict(LookoutError):
    status_code = 409


class Unavailable(LookoutError):
    """A part the request needs (a database, a processor) failed for now; trying again may
    work, and nothing was done."""

    status_code = 503
