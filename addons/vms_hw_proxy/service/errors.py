"""The error every HTTP route raises to refuse a request."""


class RequestError(Exception):
    """Answered as a JSON error with an HTTP status; the service carries on."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
