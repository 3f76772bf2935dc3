"""JSON log lines that never carry patient data.

Only the message, the logger, the level, the request id and a few known, coded fields are
written. An exception is written as its type and its stack frames, never its message: a
database error can quote the row it refused, and that row may hold a patient's details.
"""

import json
import logging
import traceback

# Extra fields a log call may attach; anything else passed in `extra` is dropped.
ALLOWED_EXTRA = ("method", "route", "status", "duration_ms", "actor", "status_code")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": _message(record),
            "request_id": getattr(record, "request_id", "-"),
        }
        for name in ALLOWED_EXTRA:
            value = getattr(record, name, None)
            if isinstance(value, str | int | float):
                entry[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            kind, _, tb = record.exc_info
            entry["exception"] = kind.__name__
            entry["stack"] = [
                f"{frame.filename}:{frame.lineno} in {frame.name}"
                for frame in traceback.extract_tb(tb)
            ]
        return json.dumps(entry)


def _message(record: logging.LogRecord) -> str:
    # Django's request loggers put the path in the message ("Bad Request: /api/..."); our
    # paths carry no patient data. Arguments are never interpolated for other loggers' records
    # that carry objects (a request or a model instance could print patient details).
    if record.args and any(not isinstance(arg, str | int | float) for arg in _args(record)):
        return str(record.msg)
    return record.getMessage()


def _args(record: logging.LogRecord) -> tuple:
    return record.args if isinstance(record.args, tuple) else (record.args,)
