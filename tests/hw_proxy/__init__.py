"""Tests of the standalone hardware proxy (vms_hw_proxy_service), over real HTTP."""
