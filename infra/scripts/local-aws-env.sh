# Sourced: points the AWS SDKs at a local moto server on port $1 with dummy credentials.
export AWS_ENDPOINT_URL="http://127.0.0.1:$1"
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=local
export AWS_SECRET_ACCESS_KEY=local
unset AWS_PROFILE AWS_SESSION_TOKEN
