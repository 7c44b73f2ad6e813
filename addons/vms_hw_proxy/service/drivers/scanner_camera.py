"""Cameras read with OpenCV and decoded with zbar (optional: needs opencv)."""

import importlib.util
import time

from .scanner import ScannerDriver


def camera_available():
    return importlib.util.find_spec("cv2") is not None


class CameraScanner(ScannerDriver):
    """A camera read with OpenCV and decoded with zbar."""

    kind = "camera"
    connection_types = ("camera",)
    # The same code seen again within this many seconds is the same scan.
    REPEAT_WINDOW = 2.0

    def __init__(self, spec, queue, **kwargs):
        super().__init__(spec, queue, **kwargs)
        self._capture = None

    def read_forever(self):
        import cv2
        from pyzbar import pyzbar

        self._capture = capture = cv2.VideoCapture(self.spec.index)
        if not capture.isOpened():
            raise OSError(f"camera {self.spec.index} cannot be opened")
        self._set_state("connected")
        last_code, last_seen = None, 0.0
        while not self._stopping.is_set():
            ok, frame = capture.read()
            if not ok:
                raise OSError(f"camera {self.spec.index} stopped sending frames")
            grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            for symbol in pyzbar.decode(grey):
                code = symbol.data.decode("utf-8", "replace")
                now = time.monotonic()
                if code != last_code or now - last_seen > self.REPEAT_WINDOW:
                    self.queue.push(code)
                last_code, last_seen = code, now

    def close(self):
        capture, self._capture = self._capture, None
        if capture is not None:
            capture.release()
