"""The cash drawer driver: a drawer is wired to a receipt printer's kick connector.

It has no thread and no connection of its own: its one action, ``cashbox``,
queues the kick (ESC p) on the printer it is wired to, and its status is that
printer's.
"""

from . import Driver


class CashDrawerDriver(Driver):
    device_type = "cash_drawer"

    def __init__(self, printer):
        super().__init__(printer.spec)
        self.printer = printer
        self._actions = {"cashbox": self.printer.action}

    @property
    def name(self):
        return self.printer.name

    def describe(self):
        return self.printer.describe()

    def status(self):
        return self.printer.status()
