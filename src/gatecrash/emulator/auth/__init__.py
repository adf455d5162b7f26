"""Authorization in the emulator, in API Gateway's terms: AWS_IAM (SigV4), Lambda and Cognito authorizers.

- `sigv4`: verify a request's Signature Version 4 against the side file's credentials (botocore).
- `iam`: method ARNs, IAM resource wildcards, Allow/Deny evaluation of execute-api:Invoke.
- `config`: the definition's `x-amazon-apigateway-authorizer` objects as typed values.
- `authorizers`: Lambda authorizer identity, events and results; `cache`: their TTL cache.
- `cognito`: local user pools' keys, JWT verification and `mint_token` for probes.
- `gate`: the pipeline step that runs the method's authorization and records what AWS records.
"""
