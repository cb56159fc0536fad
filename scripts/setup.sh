#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine with Swift 6.3 lacks to build and run clipcap:
# the native libraries (OpenBLAS, LAPACKE, GLPK, libjpeg-turbo, libpng). Idempotent: installs
# only what is missing. Uses sudo when not root.
set -euo pipefail

packages=(libopenblas-dev liblapacke-dev libglpk-dev libjpeg62-turbo-dev libpng-dev pkg-config)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Ubuntu names libjpeg-turbo's dev package libjpeg-turbo8-dev; accept any libjpeg dev package.
if [[ " ${missing[*]} " == *" libjpeg62-turbo-dev "* ]] && [ -e /usr/include/jpeglib.h ]; then
    missing=("${missing[@]/libjpeg62-turbo-dev}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))

if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
        # Ubuntu fallback for the JPEG package name
        alt=("${missing[@]/libjpeg62-turbo-dev/libjpeg-turbo8-dev}")
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${alt[@]}" >/dev/null
    fi
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "setup: swift is not on PATH; install Swift 6.3 from https://www.swift.org/install/linux/" >&2
    exit 1
fi
