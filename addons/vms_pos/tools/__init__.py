from . import sms_simulator
from . import receipt_image
