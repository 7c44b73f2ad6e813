from . import sms_simulator
