"""Where the real definitions are (`GATECRASH_CORPUS`), and the template variables each needs.

The folder holds the ten REST API definitions described in its README (`../shared/exports` beside
the repository by default): real files from public repositories, templates most of them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from tests.conftest import ROOT

ENVIRONMENT_VARIABLE = "GATECRASH_CORPUS"
DEFAULT = ROOT.parent / "shared" / "exports"
SUFFIXES = (".yaml", ".yml", ".json")


def corpus_folder() -> Path:
    """`GATECRASH_CORPUS` (a relative path is taken from the working folder), else the default."""
    value = os.environ.get(ENVIRONMENT_VARIABLE, "")
    return Path(value).resolve() if value else DEFAULT


EXPORTS = corpus_folder()


def definitions(folder: Path = EXPORTS) -> list[Path]:
    """The definition files in `folder` (its README and anything else left out), sorted; none if it is missing."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if path.is_file() and path.suffix in SUFFIXES)


# The ten files the corpus README describes.
NAMES = (
    "01-govuk-address-cri-public.yaml",
    "02-tdr-draft-metadata.json",
    "03-edx-api-manager.yaml",
    "04-nhs-notify-templates.json",
    "07-nhs-nrlf-producer.yaml",
    "08-aws-sample-url-shortener.yaml",
    "09-consent-management.json",
    "11-opg-metrics.yaml",
    "13-ai-photo-search.yaml",
    "15-aws-petstore-example.json",
)
PETSTORE = "15-aws-petstore-example.json"
# Which files do not load even with their variables (EXPORT_VARIABLES) supplied: external $refs.
EXPECTED_TO_FAIL = frozenset({"03-edx-api-manager.yaml"})
LAMBDA = "arn:aws:lambda:eu-west-2:123456789012:function:handler"

# What each real template needs to load.
EXPORT_VARIABLES: dict[str, dict[str, str]] = {
    "01-govuk-address-cri-public.yaml": {
        "IsLocalDevEnvironment": "false",
        "IsNotDevEnvironment": "true",
        "Environment": "build",
    },
    "02-tdr-draft-metadata.json": {
        "environment": "intg",
        "title": "DraftMetadata",
        "region": "eu-west-2",
        "lambda_arn": LAMBDA,
        "authoriser_lambda_arn": LAMBDA + "-authoriser",
    },
    "04-nhs-notify-templates.json": {"AWS_REGION": "eu-west-2", "APIG_EXECUTION_ROLE_ARN": "arn:aws:iam::1:role/x"},
    "07-nhs-nrlf-producer.yaml": {"authoriser_name": "producer-authoriser"},
    "08-aws-sample-url-shortener.yaml": {
        "IsLocal": "true",
        "LinkTable": "links",
        "UserPool.Arn": "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_demo0001",
        "AmplifyApp.DefaultDomain": "main.d1.amplifyapp.com",
    },
    "09-consent-management.json": {"region": "eu-west-1", "env_name": "dev", "login_invoke_arn": LAMBDA},
    "11-opg-metrics.yaml": {"name": "opg-metrics", "region": "eu-west-1", "allowed_roles": "[]"},
}
LOADABLE = sorted(EXPORT_VARIABLES)


def _invoke_uri(name: str) -> str:
    function = f"arn:aws:lambda:eu-west-2:123456789012:function:{name}"
    return f"arn:aws:apigateway:eu-west-2:lambda:path/2015-03-31/functions/{function}/invocations"


def _lambda_arns(*names: str) -> dict[str, str]:
    return {name: f"arn:aws:lambda:eu-west-2:123456789012:function:{name.lower()}" for name in names}


def _invoke_uris(*names: str) -> dict[str, str]:
    return {name: _invoke_uri(name.lower()) for name in names}


def full_variables() -> dict[str, dict[str, str]]:
    """Every placeholder of each loadable export, as its deployment tool would fill it.

    The integration and authorizer functions too, so that the offline mirror's stand-ins serve
    them (EXPORT_VARIABLES is the least that loads). Reads 04's file for its function names.
    """
    notify = (EXPORTS / "04-nhs-notify-templates.json").read_text(encoding="utf-8")
    return {
        "01-govuk-address-cri-public.yaml": {
            **EXPORT_VARIABLES["01-govuk-address-cri-public.yaml"],
            "CommonStackName": "common",
            "IssueCredentialFunction.Arn": "arn:aws:lambda:eu-west-2:123456789012:function:issue-credential",
        },
        "02-tdr-draft-metadata.json": EXPORT_VARIABLES["02-tdr-draft-metadata.json"],
        "04-nhs-notify-templates.json": {
            **EXPORT_VARIABLES["04-nhs-notify-templates.json"],
            **_lambda_arns(*sorted(set(re.findall(r"\$\{([A-Z_]+_LAMBDA_ARN)\}", notify)))),
        },
        "07-nhs-nrlf-producer.yaml": {
            **EXPORT_VARIABLES["07-nhs-nrlf-producer.yaml"],
            **_invoke_uris(
                "lambda_invoke_arn",
                "method_createDocumentReference",
                "method_deleteDocumentReference",
                "method_readDocumentReference",
                "method_searchDocumentReference",
                "method_searchPostDocumentReference",
                "method_status",
                "method_updateDocumentReference",
                "method_upsertDocumentReference",
            ),
        },
        "08-aws-sample-url-shortener.yaml": EXPORT_VARIABLES["08-aws-sample-url-shortener.yaml"],
        "09-consent-management.json": {
            **EXPORT_VARIABLES["09-consent-management.json"],
            **_invoke_uris(
                "login_invoke_arn",
                "getSubscriber_invoke_arn",
                "getSubscriptionStatus_invoke_arn",
                "sendSubscriptionUpdate_invoke_arn",
            ),
        },
        "11-opg-metrics.yaml": EXPORT_VARIABLES["11-opg-metrics.yaml"],
        "13-ai-photo-search.yaml": {},
        PETSTORE: {},
    }
