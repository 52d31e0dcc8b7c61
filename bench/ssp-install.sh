#!/usr/bin/env bash
# Installs SimpleSAMLphp, the load harness's SAML peer, from Debian when it is missing: the
# package, Apache with mod_php, and the PHP extensions it needs but does not depend on (XML's
# DOM, mbstring). As root.
set -euo pipefail
need=()
for p in simplesamlphp apache2 libapache2-mod-php php-xml php-mbstring; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
