#!/usr/bin/env bash
# setup.sh: Gradescope runs this once, as root, when it builds the
# autograder image (gradescope-autograders.readthedocs.io, "Autograder
# Specifications"): it installs the Debian/Ubuntu packages gradcheck needs
# and builds gradcheck from the source shipped in the autograder zip
# (scripts/gradescope/make-autograder put it in gradcheck/).  Packages
# already installed are not installed again, so the script also runs in a
# test that stands a temporary folder in for /autograder
# (GRADCHECK_AUTOGRADER_ROOT).  Ends by checking that the shipped case
# loads: a broken case stops the image build, not every student's run.
set -euo pipefail
root=${GRADCHECK_AUTOGRADER_ROOT:-/autograder}
src=$root/source

# What gradcheck needs to build and to grade C submissions: the build list
# of the shipped source's own scripts/setup (its first packages= line, so
# the two cannot drift apart: gcc, libseccomp-dev for the C sandbox, ...),
# without Check (no unit tests here), and python3 for reading
# submission_metadata.json.  The same names on Debian and Ubuntu.
build=$(sed -n 's/^packages=(\(.*\))$/\1/p' "$src/gradcheck/scripts/setup" | head -1)
if [ -z "$build" ]; then
    echo "setup.sh: no packages=(...) line in gradcheck/scripts/setup" >&2
    exit 2
fi
packages=(python3)
for p in $build; do [ "$p" = check ] || packages+=("$p"); done
missing=()
for p in "${packages[@]}"; do
    if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Only the library and the program: no unit tests, no fuzz targets.
cd "$src/gradcheck"
if [ ! -f build/build.ninja ]; then
    meson setup build --buildtype=release -Dtests=false >/dev/null
fi
meson compile -C build gradcheck:executable >/dev/null
./build/src/gradcheck grade --names "$src/case.yaml" >/dev/null
echo "setup.sh: gradcheck built; case $(sed -n 's/^name: *//p' "$src/case.yaml" | head -1) loads"
