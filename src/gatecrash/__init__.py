"""gatecrash: provoke API Gateway failures on purpose and prove their causes from the gateway's logs."""

__version__ = "0.1.0"
