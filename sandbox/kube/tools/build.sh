#!/usr/bin/env bash
# Builds the sandbox's control-plane binaries (kube-apiserver, kube-controller-manager, kube-scheduler,
# etcd, kwok) with the ordinary go client from the pinned modules beside this script, into a cache
# outside the repository that clean clones and CI reuse. Prints the binaries' directory on its last line.
# A cold build takes many minutes on 2 cores, so it says what it is doing while it works.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# The cache key: the pinned modules and the build flags (change "flags-2" when the flags below change).
key=$( (cat "$here"/*/go.mod "$here"/*/go.sum; echo flags-2) | sha256sum | cut -c1-12)
cache=${AML_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/azureml-kubernetes/kube}
out="$cache/$key/bin"
export GOFLAGS="${GOFLAGS:-} -modcacherw -mod=readonly" GOTOOLCHAIN=local CGO_ENABLED=0

say() { printf 'kube-binaries: %s\n' "$*" >&2; }

build() { # module dir, package, binary name, extra linker flags
  local dir=$1 pkg=$2 name=$3 ldflags="-s -w ${4:-}" log start pid n
  [ -x "$out/$name" ] && return 0
  log=$(mktemp); start=$(date +%s)
  say "building $name from $pkg (first build of a cache: several minutes)"
  (cd "$here/$dir" && go build -v -trimpath -ldflags="$ldflags" -o "$out/$name.tmp" "$pkg") >"$log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 20
    kill -0 "$pid" 2>/dev/null || break
    n=$(grep -vc '^go: ' "$log" || true)
    say "  $name: $(( $(date +%s) - start )) s, $n packages compiled"
  done
  if ! wait "$pid"; then cat "$log" >&2; rm -f "$log"; say "building $name failed"; exit 1; fi
  rm -f "$log"; mv "$out/$name.tmp" "$out/$name"
  say "  $name built in $(( $(date +%s) - start )) s"
  # make bench reports how long this cache's build took.
  echo "$name $(( $(date +%s) - start ))" >> "$out/../build-seconds"
}

if [ -n "${AML_KUBE_PRINT_ONLY:-}" ]; then echo "$out"; exit 0; fi
all_built=yes
for name in etcd kwok kube-apiserver kube-controller-manager kube-scheduler; do
  [ -x "$out/$name" ] || all_built=""
done
if [ -n "$all_built" ]; then echo "$out"; exit 0; fi
command -v go >/dev/null || { say "the go command is not on PATH: install Go 1.25 or newer"; exit 1; }
mkdir -p "$out"
build etcd go.etcd.io/etcd/server/v3 etcd
build kwok sigs.k8s.io/kwok/cmd/kwok kwok
# Kubernetes' own build stamps the version into component-base (and client-go); `go build` does not, and
# without it the API server reports v0.0.0-master, which clients cannot parse.
version=$(cd "$here/kubernetes" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
minor=$(echo "$version" | cut -d. -f2)
stamp=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  stamp="$stamp -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  stamp="$stamp -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
for cmd in kube-apiserver kube-controller-manager kube-scheduler; do
  build kubernetes "k8s.io/kubernetes/cmd/$cmd" "$cmd" "$stamp"
done
echo "$out"
