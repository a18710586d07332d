#!/usr/bin/env bash
# Fetches a real Linux kernel for the kernel tests and the bench, idempotently, into the tool cache: Debian's arm64
# cloud kernel, the Image QEMU boots (linux-image-<abi>-cloud-arm64-unsigned) and its vmlinux with DWARF
# (linux-image-<abi>-cloud-arm64-dbg), by `apt-get download` with arm64 as a dpkg foreign architecture.
#
#   bash scripts/kernel.sh        fetch what is missing, check it, then print NAME=VALUE lines:
#                                 KERNEL_ABI, KERNEL_IMAGE, KERNEL_VMLINUX
#   QEMU_REPLAY_CACHE=DIR         cache folder (default ~/.cache/qemu-replay)
#   QEMU_REPLAY_KERNEL_ABI=ABI    another ABI than the pinned one (e.g. 6.1.0-57)
#
# The pinned ABI's packages are checked against the sha256 below (apt checks them against Debian's signed index
# too). Debian drops old ABIs from its mirrors at point releases: when the pinned one is gone, the newest ABI that
# has both packages is taken and said so. The extracted files' sha256 are kept beside them and checked at every use,
# so a cut-short or changed file is fetched again instead of being used.
set -euo pipefail
cd "$(dirname "$0")/.."

PINNED_ABI=6.1.0-50
declare -A PINNED_SHA256=(
  [linux-image-6.1.0-50-cloud-arm64-unsigned_6.1.176-1_arm64.deb]=6b585efd7121493f37f0e6eecda9c94f2035c6bc1eaa97ab447871a682f93cf3
  [linux-image-6.1.0-50-cloud-arm64-dbg_6.1.176-1_arm64.deb]=7ebf5b670fb2411b94c5ee809b6fd058a2a1ecc03f6fe824f0a9dea7b989eb5a
)
CACHE=${QEMU_REPLAY_CACHE:-$HOME/.cache/qemu-replay}
say() { echo "kernel: $*" >&2; }
die() { say "$*"; exit 1; }
sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"

mkdir -p "$CACHE"
exec 8>"$CACHE/.kernel.lock"
flock -w 900 8 || die "another fetch holds $CACHE/.kernel.lock for 15 min; remove the stale one"

has_candidate() { [[ -n $(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ && $2 != "(none)" {print $2}') ]]; }
packages_of() { echo "linux-image-$1-cloud-arm64-unsigned:arm64 linux-image-$1-cloud-arm64-dbg:arm64"; }

ABI=${QEMU_REPLAY_KERNEL_ABI:-}
if [[ -z $ABI ]]; then
  # A complete cached copy of any ABI is used as it is (checked below); otherwise the pinned one, else the newest.
  for d in "$CACHE/kernel-$PINNED_ABI" "$CACHE"/kernel-*; do
    [[ -f $d/SHA256SUMS ]] && { ABI=${d##*/kernel-}; break; }
  done
fi
DIR=$CACHE/kernel-${ABI:-none}

if [[ -z $ABI || ! -f $DIR/SHA256SUMS ]] || ! (cd "$DIR" && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1); then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    say "adding arm64 as a dpkg foreign architecture (for apt-get download of Debian's arm64 kernel)"
    $sudo dpkg --add-architecture arm64
    $sudo apt-get update -q >&2
  fi
  if [[ -z $ABI ]]; then
    ABI=$PINNED_ABI
    pinned_ok=1
    for p in $(packages_of "$ABI"); do has_candidate "$p" || pinned_ok=0; done
    if [[ $pinned_ok == 0 ]]; then
      $sudo apt-get update -q >&2 || true
      ABI=$(apt-cache search --names-only '^linux-image-[0-9.]+-[0-9]+-cloud-arm64-dbg$' 2>/dev/null |
        sed -E 's/^linux-image-([0-9.]+-[0-9]+)-cloud-arm64-dbg .*/\1/' | sort -V | tail -1)
      [[ -n $ABI ]] || die "apt knows no linux-image-*-cloud-arm64-dbg package: is Debian's main archive in apt's sources?"
      say "the pinned kernel $PINNED_ABI is no longer in Debian's archive; using $ABI"
    fi
  fi
  DIR=$CACHE/kernel-$ABI
  for p in $(packages_of "$ABI"); do has_candidate "$p" || die "apt has no candidate for $p (run apt-get update, or set QEMU_REPLAY_KERNEL_ABI)"; done
  say "fetching Debian's arm64 cloud kernel $ABI (Image + vmlinux with DWARF, ~280 MB) into $DIR"
  rm -rf "$DIR.partial"; mkdir -p "$DIR.partial/debs"
  chmod 755 "$DIR.partial/debs"   # apt's download sandbox user must be able to write there
  (cd "$DIR.partial/debs" && apt-get download -q $(packages_of "$ABI") 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
  for deb in "$DIR.partial"/debs/*.deb; do
    name=${deb##*/}
    if [[ -n ${PINNED_SHA256[$name]:-} ]]; then
      echo "${PINNED_SHA256[$name]}  $deb" | sha256sum --quiet -c - || die "$name does not have its pinned sha256"
    fi
  done
  unsigned=$(ls "$DIR.partial"/debs/linux-image-"$ABI"-cloud-arm64-unsigned_*.deb 2>/dev/null) || die "apt-get download fetched no unsigned image package"
  dbg=$(ls "$DIR.partial"/debs/linux-image-"$ABI"-cloud-arm64-dbg_*.deb 2>/dev/null) || die "apt-get download fetched no -dbg package"
  # On arm64 /boot/vmlinuz-* is the uncompressed Image with its arm64 header, what QEMU's -kernel takes.
  dpkg-deb --fsys-tarfile "$unsigned" | tar -xO "./boot/vmlinuz-$ABI-cloud-arm64" >"$DIR.partial/Image"
  dpkg-deb --fsys-tarfile "$dbg" | tar -xO "./usr/lib/debug/boot/vmlinux-$ABI-cloud-arm64" >"$DIR.partial/vmlinux"
  [[ $(head -c 64 "$DIR.partial/Image" | tail -c 8 | head -c 4) == $'ARM\x64' ]] || die "the extracted Image has no arm64 Image header"
  [[ $(head -c 4 "$DIR.partial/vmlinux") == $'\x7fELF' ]] || die "the extracted vmlinux is not an ELF file"
  rm -rf "$DIR.partial/debs"
  (cd "$DIR.partial" && sha256sum Image vmlinux >SHA256SUMS)
  rm -rf "$DIR"; mv "$DIR.partial" "$DIR"
fi

echo "KERNEL_ABI=$ABI"
echo "KERNEL_IMAGE=$DIR/Image"
echo "KERNEL_VMLINUX=$DIR/vmlinux"
