from . import test_pos_tours
