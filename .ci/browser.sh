# shellcheck shell=bash
# Sourced by .ci/run: a real browser and node/npm for the web console's tests.
#
# Installs Debian's chromium and chromium-driver when /usr/bin/chromium is missing, and Debian's
# nodejs and npm when node or npm is missing (make test builds the console with npm). Idempotent
# and quiet: on a machine that has them it only says which versions it found.

stufenlos_browser_install() {
    local packages=()
    [ -x /usr/bin/chromium ] || packages+=(chromium)
    [ -x /usr/bin/chromedriver ] || packages+=(chromium-driver)
    command -v node >/dev/null 2>&1 || packages+=(nodejs)
    command -v npm >/dev/null 2>&1 || packages+=(npm)
    if [ "${#packages[@]}" -gt 0 ]; then
        echo "browser: installing ${packages[*]} from Debian's packages"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
    fi
    echo "browser: $(/usr/bin/chromium --version 2>/dev/null | head -n 1), node $(node --version), npm $(npm --version)"
}

stufenlos_browser_install
