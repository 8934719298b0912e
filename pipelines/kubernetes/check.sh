#!/usr/bin/env bash
# Validates the Kubernetes files without a cluster: renders the kustomization, checks every
# object against Kubernetes' JSON schemas (strict), and parses the example manifest with dinstyle.
# Needs kubectl (for `kubectl kustomize`); installs kubernetes-validate into a private venv.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
version=${K8S_VERSION:-1.31.0}
command -v kubectl >/dev/null || { echo "check.sh: needs kubectl (for kubectl kustomize)" >&2; exit 1; }
venv=${XDG_CACHE_HOME:-$HOME/.cache}/dinstyle-kubernetes-validate
if [ ! -x "$venv/bin/kubernetes-validate" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "kubernetes-validate==1.31.0"
fi
rendered=$(mktemp --suffix=.yaml)
trap 'rm -f "$rendered"' EXIT
kubectl kustomize "$here" > "$rendered"
"$venv/bin/kubernetes-validate" --strict -k "$version" "$rendered"
# The manifest: every line must parse (the summary of an empty report folder lists them all).
empty=$(mktemp -d)
trap 'rm -f "$rendered"; rm -rf "$empty"' EXIT
dinstyle=${DINSTYLE:-$root/target/release/dinstyle}
set +e
"$dinstyle" video --summarize "$empty" --manifest "$here/manifest.tsv" > /dev/null
code=$?
set -e
[ "$code" -eq 75 ] || { echo "check.sh: manifest.tsv does not parse (exit $code)" >&2; exit 1; }
echo "check.sh: kustomization valid for Kubernetes $version; manifest.tsv parses"
