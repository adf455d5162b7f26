"""Scenario files: what to provoke, where, with which credentials, within which limits."""

from gatecrash.scenario.loader import load_scenario, scenario_files
from gatecrash.scenario.model import (
    Auth,
    AuthKind,
    AwsTarget,
    Burst,
    CredentialKind,
    CredentialRef,
    EmulatorTarget,
    Judge,
    JwtFault,
    Limits,
    Probe,
    RequestSpec,
    Scenario,
    SigV4Fault,
    StatusBounds,
    Step,
    Target,
)

__all__ = [
    "Auth",
    "AuthKind",
    "AwsTarget",
    "Burst",
    "CredentialKind",
    "CredentialRef",
    "EmulatorTarget",
    "Judge",
    "JwtFault",
    "Limits",
    "Probe",
    "RequestSpec",
    "Scenario",
    "SigV4Fault",
    "StatusBounds",
    "Step",
    "Target",
    "load_scenario",
    "scenario_files",
]
