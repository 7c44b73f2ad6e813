from . import main
from . import panel
