"""Cameras (camera:N), read with OpenCV."""

from . import Interface


class CameraInterface(Interface):
    connection_type = "camera"
    # Opening a camera to look for it takes it from whoever uses it: the driver tries.
