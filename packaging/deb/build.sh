#!/bin/sh
# Builds the amane Debian packages: the release builder's static binaries
# for the Debian architectures, then nfpm once per architecture.
#
#   packaging/deb/build.sh [ARCH...]     (default: amd64 arm64 armhf)
#
# Writes packaging/dist/amane_VERSION_ARCH.deb beside the binaries,
# SHA256SUMS and VERSION. Needs Go and nfpm
# (go install github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.41.3).
# VERSION may be set to override the version from git.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
dist=${DIST:-packaging/dist}
nfpm=${NFPM:-$(command -v nfpm || echo "$(go env GOPATH)/bin/nfpm")}

archs=${*:-amd64 arm64 armhf}

# The release builder's target for each Debian architecture (its Deb
# field): armhf is the ARMv6 build, which runs on every Raspberry Pi.
target() {
	case "$1" in
	amd64) echo amd64 ;;
	arm64) echo arm64 ;;
	armhf) echo armv6 ;;
	*)
		echo "build.sh: no Debian package for architecture $1" >&2
		exit 2
		;;
	esac
}

targets=
for a in $archs; do
	t=$(target "$a")
	targets=${targets:+$targets,}$t
done

set -- -out "$dist" -targets "$targets"
if [ -n "${VERSION:-}" ]; then
	set -- "$@" -version "$VERSION"
fi
go run ./packaging/release "$@"

VERSION=$(cat "$dist/VERSION")
export VERSION
for a in $archs; do
	# nfpm expands environment variables in some fields only (not in a
	# file's src), so the template's three variables are filled in here.
	sed -e "s|\${ARCH}|$a|g" -e "s|\${VERSION}|$VERSION|g" \
		-e "s|\${AMANE_BINARY}|$dist/amane-linux-$(target "$a")|g" \
		packaging/deb/nfpm.yaml >"$dist/nfpm-$a.yaml"
	"$nfpm" package -f "$dist/nfpm-$a.yaml" -p deb -t "$dist/"
	rm -f "$dist/nfpm-$a.yaml"
done
ls -l "$dist"/*.deb
