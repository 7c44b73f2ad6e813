from odoo import models


class IrHttp(models.AbstractModel):
    """The till's tender routes answer unreadable bodies and escaped errors
    as the panel's routes do (see vms_loyalty's ``ir.http``)."""

    _inherit = "ir.http"

    @classmethod
    def _vms_rpc_prefixes(cls):
        return (*super()._vms_rpc_prefixes(), "/vms_pos/tender/")
