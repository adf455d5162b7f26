"""The embedded API Gateway (REST API) emulator: gatecrash's default target."""
