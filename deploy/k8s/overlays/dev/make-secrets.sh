#!/usr/bin/env bash
# Create the dev Secrets with random values (never committed). Idempotent: existing Secrets
# are kept, so restarts keep logins and data. Usage: make-secrets.sh [NAMESPACE]
#   tm-auth      jwt-secret, admin-password      (gateway admin login: user `admin`)
#   tm-postgres  password                        (the dev PostgreSQL StatefulSet)
#   tm-database  uri                             (what the services connect with)
#   tm-redis     password, url
set -euo pipefail
ns="${1:-trademaster-dev}"
kubectl get namespace "$ns" >/dev/null 2>&1 || kubectl create namespace "$ns"
random() { python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; }
create() {  # name, then --from-literal args
  local name="$1"; shift
  if kubectl -n "$ns" get secret "$name" >/dev/null 2>&1; then
    echo "secret/$name exists (kept)"
  else
    kubectl -n "$ns" create secret generic "$name" "$@"
  fi
}
pg="$(kubectl -n "$ns" get secret tm-postgres -o jsonpath='{.data.password}' 2>/dev/null | base64 -d || true)"
pg="${pg:-$(random)}"
redis="$(kubectl -n "$ns" get secret tm-redis -o jsonpath='{.data.password}' 2>/dev/null | base64 -d || true)"
redis="${redis:-$(random)}"
create tm-auth --from-literal=jwt-secret="$(random)" --from-literal=admin-password="$(random)"
create tm-postgres --from-literal=password="$pg"
create tm-database --from-literal=uri="postgresql://trademaster:${pg}@tm-postgres:5432/trademaster"
create tm-redis --from-literal=password="$redis" --from-literal=url="redis://:${redis}@tm-redis:6379/0"
echo "admin password: kubectl -n $ns get secret tm-auth -o jsonpath='{.data.admin-password}' | base64 -d"
