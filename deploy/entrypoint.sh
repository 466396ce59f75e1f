#!/bin/sh
# The image's entry point: `noodwijzer ROLE [extra arguments]` starts one part.
# Ports and addresses come from the NW_* environment (bot/settings.py); extra
# arguments go last, so `rasa --endpoints /etc/noodwijzer/endpoints.yml` wins.
set -eu

role="${1:-gateway}"
[ "$#" -gt 0 ] && shift

case "$role" in
  gateway)
    exec python -m bot.gateway "$@"
    ;;
  nlg)
    exec python -m bot.nlg.server "$@"
    ;;
  actions)
    exec python -m rasa_sdk --actions actions -p "${NW_ACTIONS_PORT:-5055}" --quiet "$@"
    ;;
  rasa)
    # The model trained at build time (Dockerfile, stage "model"); there is exactly one.
    model=$(find /app/models -name 'nw-*.tar.gz' | head -n 1)
    if [ -n "${NW_RASA_TOKEN:-}" ]; then
      set -- --auth-token "$NW_RASA_TOKEN" "$@"
    fi
    exec python -m bot_rasa.launch run --enable-api -i 0.0.0.0 -p "${NW_RASA_PORT:-5005}" \
      --model "$model" --endpoints endpoints.yml --credentials credentials.yml --quiet "$@"
    ;;
  *)
    echo "noodwijzer: unknown role '$role' (use gateway, rasa, actions or nlg)" >&2
    exit 64
    ;;
esac
