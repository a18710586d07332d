#!/usr/bin/env bash
# Installs QEMU 10.0.2 beside the system's QEMU 7.2, idempotently, into the tool cache: Debian 12 backports' packages
# (qemu-system-arm, -riscv, -x86, -common, -data and qemu-utils), fetched by `apt-get download` and unpacked with
# `dpkg-deb -x` into one folder. Nothing is installed system-wide; the binaries need only the libraries that the
# system's QEMU 7.2 packages (scripts/setup.sh) already pulled in.
#
#   bash scripts/qemu10.sh        fetch what is missing, check it, then print NAME=VALUE lines:
#                                 QEMU10_VERSION, QEMU10_DIR (the folder holding usr/bin/qemu-system-*)
#   QEMU_REPLAY_CACHE=DIR         cache folder (default ~/.cache/qemu-replay)
#
# bookworm-backports is added to apt's sources when missing, with the same mirror as the system's bookworm entry.
# The pinned packages are checked against the sha256 below (apt checks them against Debian's signed index too);
# when backports has moved on to another 10.0 build, that one is taken and said so. The unpacked binaries' sha256
# are kept beside them and checked at every use.
#
# A QEMU outside /usr still looks for its data files and modules in /usr: the adapter gives it `-L <dir>/usr/share/qemu`
# (its firmware and option ROMs; SeaBIOS comes from the system's /usr/share/seabios) and `-audiodev none` (without
# it, 10.0 probes audio drivers and loads 7.2's modules from /usr/lib, which print "Only modules from the same build
# can be loaded").
set -euo pipefail
cd "$(dirname "$0")/.."

PINNED=1:10.0.2+ds-2+deb13u1~bpo12+1
PACKAGES=(qemu-system-arm qemu-system-riscv qemu-system-x86 qemu-system-common qemu-system-data qemu-utils)
declare -A PINNED_SHA256=(
  [qemu-system-arm]=edebbab09db3882c48ef9c00049c7c6a2d76d195cb88d830baadd1fb705bbc66
  [qemu-system-riscv]=6282ed227bffbcfb2ad2722a302f87b28eeaaa84ed89dae85d8d7b1f4775d18a
  [qemu-system-x86]=4a6b1856c8b0d7df4ff8e70249e12c473ccf8d516aadb4ae14d3d938faed0c65
  [qemu-system-common]=23a4672a138832d7173855e981aa8282c73ef5e04e080fa7ada9f82c6b34f507
  [qemu-system-data]=2d831088187087013b3fcbd19bdfb955b182a2d5a08f6dafa0ad1c6d2007fb4e
  [qemu-utils]=eb48c3ed24e467838550ade65efcba8b33e3ac65f048b7387d95b9df10173e8e
)
CACHE=${QEMU_REPLAY_CACHE:-$HOME/.cache/qemu-replay}
DIR=$CACHE/qemu-10.0
say() { echo "qemu10: $*" >&2; }
die() { say "$*"; exit 1; }
sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
BINARIES=(usr/bin/qemu-system-aarch64 usr/bin/qemu-system-riscv64 usr/bin/qemu-system-x86_64 usr/bin/qemu-img)

mkdir -p "$CACHE"
exec 8>"$CACHE/.qemu10.lock"
flock -w 900 8 || die "another install holds $CACHE/.qemu10.lock for 15 min; remove the stale one"

backports_candidate() { apt-cache madison "$1" 2>/dev/null | awk -F'|' '$3 ~ /bookworm-backports/ {gsub(/ /,"",$2); print $2; exit}'; }

if [[ ! -f $DIR/SHA256SUMS ]] || ! (cd "$DIR" && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1); then
  if [[ -z $(backports_candidate qemu-system-arm) ]]; then
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      # The mirror of the system's own bookworm entry (deb822 or one-line format), so no host is written here.
      uri=$(awk '/^URIs:/ {u=$2} /^Suites:/ {for (i = 2; i <= NF; i++) if ($i == "bookworm") {print u; exit}}' \
        /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
      [[ -n $uri ]] || uri=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
      [[ -n $uri ]] || die "no bookworm entry in apt's sources to take the mirror from; add bookworm-backports to apt's sources"
      say "adding bookworm-backports ($uri) to apt's sources (/etc/apt/sources.list.d/qemu-replay-backports.sources)"
      printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" |
        $sudo tee /etc/apt/sources.list.d/qemu-replay-backports.sources >/dev/null
    fi
    $sudo apt-get update -q >&2
  fi
  version=$(backports_candidate qemu-system-arm)
  [[ -n $version ]] || die "apt has no qemu-system-arm in bookworm-backports (run apt-get update)"
  [[ $version == 1:10.0.* ]] || die "bookworm-backports has QEMU $version, not 10.0: set up QEMU 10.0 by hand (see docs/qemu-versions.md)"
  [[ $version == "$PINNED" ]] || say "the pinned QEMU $PINNED is no longer in bookworm-backports; using $version"
  say "fetching QEMU $version from bookworm-backports (~60 MB) into $DIR"
  rm -rf "$DIR.partial"; mkdir -p "$DIR.partial/debs"
  chmod 755 "$DIR.partial/debs"   # apt's download sandbox user must be able to write there
  (cd "$DIR.partial/debs" && apt-get download -q $(printf "%s/bookworm-backports " "${PACKAGES[@]}") 2>&1 |
    grep -v '^W: Download is performed unsandboxed' >&2 || true)
  for p in "${PACKAGES[@]}"; do
    deb=$(ls "$DIR.partial"/debs/"${p}"_*.deb 2>/dev/null) || die "apt-get download fetched no $p"
    if [[ $version == "$PINNED" ]]; then
      echo "${PINNED_SHA256[$p]}  $deb" | sha256sum --quiet -c - || die "$p does not have its pinned sha256"
    fi
    dpkg-deb -x "$deb" "$DIR.partial"
  done
  rm -rf "$DIR.partial/debs"
  for b in "${BINARIES[@]}"; do
    "$DIR.partial/$b" --version >/dev/null || die "$b of QEMU $version does not run here (a library missing? run scripts/setup.sh first)"
  done
  (cd "$DIR.partial" && sha256sum "${BINARIES[@]}" >SHA256SUMS && echo "$version" >VERSION)
  rm -rf "$DIR"; mv "$DIR.partial" "$DIR"
fi

echo "QEMU10_VERSION=$(cat "$DIR/VERSION")"
echo "QEMU10_DIR=$DIR"
